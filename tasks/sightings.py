"""Sightings tasks: thin wrappers around ``canary.sightings`` services."""

from __future__ import annotations

from celery import shared_task

from canary.sightings import fetchers, matching, scanning, services
from canary.sightings.chunking import ByteRange

# Reading a whole archive or a photo with OCR can take longer than the default task limits.
SCAN_SOFT_LIMIT, SCAN_HARD_LIMIT = 1800, 1900


@shared_task(name="sightings.scan_document", soft_time_limit=SCAN_SOFT_LIMIT, time_limit=SCAN_HARD_LIMIT)
def scan_document(document_id: int) -> str:
    return scanning.scan_document(document_id).status


@shared_task(name="sightings.scan_range", soft_time_limit=SCAN_SOFT_LIMIT, time_limit=SCAN_HARD_LIMIT)
def scan_range(document_id: int, index: int, start: int, end: int, first_line: int) -> None:
    scanning.scan_range(document_id, ByteRange(index, start, end, first_line))


@shared_task(name="sightings.fetch_source")
def fetch_source(source_id: int) -> int:
    return fetchers.fetch_source_by_id(source_id)


@shared_task(name="sightings.sweep")
def sweep() -> int:
    return services.sweep()


@shared_task(name="sightings.merge_matcher", soft_time_limit=SCAN_SOFT_LIMIT, time_limit=SCAN_HARD_LIMIT)
def merge_matcher() -> str:
    """The background full build behind an updated matcher."""
    return matching.merge_matcher()
