"""Attribution tasks: thin wrappers around ``canary.attribution.services``."""

from __future__ import annotations

import logging

from celery import shared_task

from canary.attribution import services

log = logging.getLogger(__name__)


@shared_task(name="attribution.recompute")
def recompute(campaign_id: int) -> int | None:
    return services.recompute(campaign_id)


@shared_task(name="attribution.sweep")
def sweep() -> int:
    queued = services.sweep()
    log.info("attribution sweep: re-queued %d campaign recomputes", queued)
    return queued
