"""A scan whose worker died: the sweeper sees the lease run out within minutes and runs the scan
again (a document big enough to split re-runs only its unfinished parts); every sighting stays
once."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from canary.attribution.models import Signal
from canary.sightings import lease, services
from canary.sightings.models import Document, DocumentStatus, Sighting
from canary.sightings.scanning import scan_document

from .test_scan_tasks import decoys, planted_dump  # noqa: F401  (fixture)

pytestmark = pytest.mark.django_db


def test_parts_lost_with_their_worker_are_run_again_once_the_lease_runs_out(
    decoys,  # noqa: F811
    django_capture_on_commit_callbacks,
):
    data, where = planted_dump(decoys)
    document, _ = services.store_document(data, "dump.csv", enqueue=False)
    with django_capture_on_commit_callbacks(execute=False) as lost:  # the worker died with the parts
        scan_document(document.pk, split_above=0, chunk_bytes=8 * 1024)
    assert lost and Document.objects.get(pk=document.pk).status == DocumentStatus.SCANNING

    assert services.sweep() == 0  # the lease is fresh: a slow scan is not a dead one
    Document.objects.filter(pk=document.pk).update(
        updated_at=timezone.now() - lease.lease() - timedelta(seconds=1)
    )
    with django_capture_on_commit_callbacks(execute=True):
        assert services.sweep() == 1

    document.refresh_from_db()
    assert document.status == DocumentStatus.DONE and document.chunks_done == document.chunks_total
    found = {s.decoy_id: s.location for s in Sighting.objects.filter(document=document)}
    assert found == {pk: f"dump.csv line {line} [运单号]" for pk, line in where.items()}
    assert Signal.objects.count() == len(decoys)
