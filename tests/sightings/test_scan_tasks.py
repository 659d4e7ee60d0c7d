"""Scanning big documents in parts: the split is line-aligned and complete, the merge keeps every
sighting once, progress shows on the document, and a real worker on Redis gets the same answer."""

from __future__ import annotations

import io
import os
import random
import threading
import time
import uuid
from datetime import timedelta
from pathlib import Path

import pytest
import redis
from django.db import connection
from django.utils import timezone

from canary.attribution.models import Signal
from canary.campaigns.models import Decoy
from canary.sightings import services
from canary.sightings.chunking import line_aligned_ranges, shift_location
from canary.sightings.matching import get_matcher
from canary.sightings.models import Document, DocumentStatus, Sighting
from canary.sightings.scanning import scan_document, scan_range
from tests.celery_support import publishing_to, worker_on_queue

WORKER_OPTIONS = ("-P", "prefork", "-c", "3", "-l", "INFO")


# --------------------------------------------------------------------------- the split (pure)


def test_parts_cover_every_byte_once_and_never_cut_a_line():
    rng = random.Random(4)
    data = b"".join(b"x" * rng.randrange(0, 300) + b"\n" for _ in range(2000)) + b"tail without newline"

    parts = line_aligned_ranges(io.BytesIO(data), len(data), chunk_bytes=4096)

    assert len(parts) > 10
    assert b"".join(data[p.start : p.end] for p in parts) == data
    assert all(data[p.end - 1 : p.end] == b"\n" for p in parts[:-1])
    assert [p.first_line for p in parts] == [data.count(b"\n", 0, p.start) + 1 for p in parts]


def test_a_line_longer_than_a_part_stays_whole():
    data = b"short\n" + b"y" * 10_000 + b"\nend\n"
    parts = line_aligned_ranges(io.BytesIO(data), len(data), chunk_bytes=100)
    assert [data[p.start : p.end] for p in parts] == [b"short\n" + b"y" * 10_000 + b"\n", b"end\n"]


def test_a_small_document_is_one_part():
    assert len(line_aligned_ranges(io.BytesIO(b"a\nb\n"), 4, chunk_bytes=1 << 20)) == 1


def test_locations_from_a_part_are_moved_to_the_whole_files_lines():
    assert shift_location("dump.csv line 3 [电话]", "dump.csv", 1000) == "dump.csv line 1003 [电话]"
    assert shift_location("dump.txt line 1", "dump.txt", 0) == "dump.txt line 1"
    assert shift_location("other.txt line 1", "dump.txt", 5) == "other.txt line 1"


# --------------------------------------------------------------------------- the merge (eager)


def planted_dump(decoys: list[Decoy], lines: int = 3000, seed: int = 1) -> tuple[bytes, dict[int, int]]:
    """A GBK CSV of random orders with each decoy's waybill on one line; returns (bytes, line of decoy)."""
    rng = random.Random(seed)
    rows = ["运单号,收件人,电话,地址"]
    for n in range(lines):
        rows.append(f"JT{rng.randrange(10**12):013d},顾客{n},139{rng.randrange(10**8):08d},某路{n}号")
    where: dict[int, int] = {}
    for decoy in decoys:
        index = rng.randrange(1, len(rows))
        while index + 1 in where.values():
            index = rng.randrange(1, len(rows))
        rows[index] = f"{decoy.waybill_no},顾客,13900000000,某路"
        where[decoy.pk] = index + 1  # 1-based line number
    return ("\n".join(rows) + "\n").encode("gbk"), where


@pytest.fixture
def decoys(campaign):
    return list(Decoy.objects.filter(campaign=campaign).order_by("id")[:12])


@pytest.mark.django_db
def test_a_big_dump_scanned_in_parts_finds_every_decoy_once_at_its_line(
    decoys, django_capture_on_commit_callbacks
):
    data, where = planted_dump(decoys)
    document, _ = services.store_document(data, "dump.csv", enqueue=False)

    with django_capture_on_commit_callbacks(execute=True):
        scan_document(document.pk, split_above=0, chunk_bytes=8 * 1024)

    document.refresh_from_db()
    assert document.chunks_total > 5
    assert document.status == DocumentStatus.DONE and document.progress_percent == 100
    found = {s.decoy_id: s.location for s in Sighting.objects.filter(document=document)}
    assert found == {pk: f"dump.csv line {line} [运单号]" for pk, line in where.items()}
    assert Signal.objects.count() == len(decoys)


@pytest.mark.django_db
def test_a_part_scanned_twice_counts_once(decoys, django_capture_on_commit_callbacks):
    data, _ = planted_dump(decoys)
    document, _ = services.store_document(data, "dump.csv", enqueue=False)
    with django_capture_on_commit_callbacks(execute=True):
        scan_document(document.pk, split_above=0, chunk_bytes=8 * 1024)
    sightings, signals = Sighting.objects.count(), list(Signal.objects.values_list("pk", "occurrences"))

    with open(Path(document.file.path), "rb") as stream:
        part = line_aligned_ranges(stream, document.size, 8 * 1024)[2]
    scan_range(document.pk, part)

    document.refresh_from_db()
    assert document.chunks_done == document.chunks_total
    assert Sighting.objects.count() == sightings
    assert list(Signal.objects.values_list("pk", "occurrences")) == signals


@pytest.mark.django_db
def test_a_document_whose_scan_was_lost_is_queued_again_by_the_sweeper(decoys):
    data, _ = planted_dump(decoys[:1], lines=10)
    document, _ = services.store_document(data, "dump.csv", enqueue=False)  # as if the publish was lost
    Document.objects.filter(pk=document.pk).update(updated_at=timezone.now() - timedelta(hours=2))

    assert services.sweep() == 1  # the scan runs eagerly here

    document.refresh_from_db()
    assert document.status == DocumentStatus.DONE
    assert Sighting.objects.filter(document=document, decoy=decoys[0]).exists()
    assert services.sweep() == 0


@pytest.mark.django_db
def test_the_same_bytes_are_stored_once_and_an_earlier_seen_at_wins(decoys):
    first, created = services.store_document(b"hello\n", "a.txt", enqueue=False)
    earlier = timezone.now() - timedelta(days=30)
    second, again = services.store_document(b"hello\n", "b.txt", seen_at=earlier, enqueue=False)

    assert created and not again and first.pk == second.pk
    assert Document.objects.get().seen_at == earlier


# --------------------------------------------------------------------------- a real worker


def redis_db() -> int:
    """A Redis database of its own for each xdist worker, so parallel runs share no queue."""
    worker = os.environ.get("PYTEST_XDIST_WORKER", "gw0")
    return 10 + int("".join(ch for ch in worker if ch.isdigit()) or 0) % 6


@pytest.fixture
def real_worker(settings, tmp_path):
    """A worker subprocess on a Redis database of this xdist worker and a queue of this test alone."""
    broker_url = f"redis://127.0.0.1:6379/{redis_db()}"
    try:
        redis.Redis.from_url(broker_url, socket_connect_timeout=1).ping()
    except redis.ConnectionError:
        pytest.skip("needs Redis on 127.0.0.1:6379")
    queue = f"sightings-e2e-{uuid.uuid4().hex[:8]}"
    log_path = tmp_path / "worker.log"
    env = {"MEDIA_ROOT": str(settings.MEDIA_ROOT)}
    with (
        publishing_to(broker_url),
        log_path.open("w") as log,
        worker_on_queue(queue, broker_url, "sightings.*", env=env, options=WORKER_OPTIONS, log=log),
    ):
        yield lambda: log_path.read_text(errors="replace")[-3000:]


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_a_real_worker_scans_the_parts_in_parallel_and_finds_every_decoy_once(decoys, real_worker):
    data, where = planted_dump(decoys, lines=6000, seed=2)
    document, _ = services.store_document(data, "dump.csv", enqueue=False)

    scan_document(document.pk, split_above=0, chunk_bytes=16 * 1024)  # queues a group of parts

    deadline = time.monotonic() + 120
    while Document.objects.get(pk=document.pk).status != DocumentStatus.DONE:
        assert time.monotonic() < deadline, f"the worker did not finish; it said:\n{real_worker()}"
        time.sleep(0.3)
    document.refresh_from_db()
    assert document.chunks_total > 5 and document.chunks_done == document.chunks_total
    found = list(Sighting.objects.filter(document=document).values_list("decoy_id", "location"))
    assert sorted(found) == sorted((pk, f"dump.csv line {line} [运单号]") for pk, line in where.items())
    assert Signal.objects.count() == len(decoys)


@pytest.mark.django_db(transaction=True)
def test_threads_scanning_at_once_each_get_a_working_matcher_of_their_own(decoys):
    text = f"单号 {decoys[0].waybill_no}"
    results: dict[str, tuple[object, list[int]]] = {}

    def scan_in_thread(name: str) -> None:
        matcher = get_matcher()
        results[name] = (matcher, [m.decoy_id for m in matcher.match_records(text)])
        connection.close()

    threads = [threading.Thread(target=scan_in_thread, args=(f"t{n}",)) for n in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert len({id(matcher) for matcher, _ in results.values()}) == 3  # all still alive here
    assert [found for _, found in results.values()] == [[decoys[0].pk]] * 3
