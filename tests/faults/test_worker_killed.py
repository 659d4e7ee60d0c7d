"""The whole worker group is SIGKILLed in the middle of a scan split into parts (an OOM kill, a
host restart). A new worker and the sweeper finish the document within minutes: every planted
decoy sighted exactly once, every sighting turned into a signal."""

from __future__ import annotations

import time

import pytest

from canary.attribution.models import Signal
from canary.campaigns.models import Decoy
from canary.sightings import scanning, services
from canary.sightings.models import Document, DocumentStatus, Sighting
from tests.celery_support import Worker, publishing_to, wait_until
from tests.sightings.test_scan_tasks import planted_dump

from .conftest import needs_redis

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True), needs_redis]

LEASE_SECONDS = 6


def test_worker_group_killed_mid_scan_the_document_still_finishes_with_every_sighting_once(
    campaign, private_broker, tmp_path, settings, django_capture_on_commit_callbacks
):
    settings.SIGHTINGS_SCAN_LEASE_SECONDS = LEASE_SECONDS
    decoys = list(Decoy.objects.filter(campaign=campaign).order_by("id")[:30])
    data, where = planted_dump(decoys, lines=120_000, seed=3)
    document, _ = services.store_document(data, "dump.csv", enqueue=False)
    env = {
        "SIGHTINGS_SCAN_LEASE_SECONDS": str(LEASE_SECONDS),
        "MEDIA_ROOT": str(settings.MEDIA_ROOT),
        "SIGHTINGS_MATCHER_CACHE": settings.SIGHTINGS_MATCHER_CACHE,
    }
    log = tmp_path / "worker.log"
    first = Worker(private_broker.url, log, ("-P", "prefork", "-c", "2", "-l", "INFO"), env)
    second = Worker(private_broker.url, log, ("-P", "prefork", "-c", "2", "-l", "INFO"), env)

    def finished_parts() -> int:
        return len(Document.objects.get(pk=document.pk).chunks_finished)

    with publishing_to(private_broker.url):
        first.start()
        try:
            with django_capture_on_commit_callbacks(execute=True):
                scanning.scan_document(document.pk, split_above=0, chunk_bytes=96 * 1024)
            total = Document.objects.get(pk=document.pk).chunks_total
            wait_until(
                lambda: finished_parts() >= 2, 90, lambda: f"two parts; worker said:\n{first.output()}"
            )
            first.kill_group()
            killed_at = time.monotonic()
            done_at_kill = finished_parts()
            second.start()

            def finished() -> bool:
                if Document.objects.filter(pk=document.pk, status=DocumentStatus.DONE).exists():
                    return True
                services.sweep()  # beat's job, once a second here
                time.sleep(1)
                return False

            wait_until(finished, 150, lambda: f"the document; worker said:\n{second.output()}")
            recovered_in = time.monotonic() - killed_at
        finally:
            first.stop()
            second.stop()

    sightings = Sighting.objects.filter(document=document)
    found = list(sightings.values_list("decoy_id", flat=True))
    counts = {
        "parts": total,
        "parts_done_when_killed": done_at_kill,
        "planted": len(where),
        "sightings": len(found),
        "duplicate_sightings": len(found) - len(set(found)),
        "unsignalled": sightings.filter(signalled=False).count(),
        "signals": Signal.objects.count(),
        "seconds_to_finish_after_kill": round(recovered_in, 1),
    }
    print("worker killed mid-scan:", counts)
    assert done_at_kill < total  # the kill really came mid-scan
    assert sorted(found) == sorted(where)
    assert counts["unsignalled"] == 0 and counts["signals"] == len(where)
