"""Console tasks: thin wrappers around ``canary.console`` services."""

from __future__ import annotations

from celery import shared_task

from canary.console import tallies


@shared_task(name=tallies.COUNT_TASK)
def count_decoys_seen(campaign_id: int) -> int:
    return tallies.count_decoys_seen(campaign_id)
