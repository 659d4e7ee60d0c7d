"""Attribution tasks: thin wrappers around ``canary.attribution.services``."""

from __future__ import annotations

from celery import shared_task

from canary.attribution import services


@shared_task(name="attribution.recompute")
def recompute(campaign_id: int) -> int | None:
    return services.recompute(campaign_id)


@shared_task(name="attribution.sweep")
def sweep() -> int:
    return services.sweep()
