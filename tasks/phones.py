"""Phone-contact watcher tasks: processing, the sweeper, reconciliation, caller lookup."""

from __future__ import annotations

import logging
from datetime import timedelta

from celery import shared_task
from django.conf import settings
from django.utils import timezone

from canary.phones import aliyun_receipts, numbers, processing, reconcile, tracking
from canary.phones.providers import ProviderError

log = logging.getLogger(__name__)


@shared_task(name="phones.process_contact", bind=True)
def process_contact(self, contact_id: int) -> bool:
    outcome = processing.process_contact(contact_id, owner=self.request.id or "")
    if outcome is not None and settings.PHONES_CALLER_LOOKUP:
        enrich_caller.delay(contact_id)
    return outcome is not None


@shared_task(
    name="phones.fetch_aliyun_recording",
    autoretry_for=(ProviderError,),
    max_retries=5,
    default_retry_delay=60,
)
def fetch_aliyun_recording(contact_id: int) -> str:
    """Alibaba's recording receipt carries no address: ask for it (retried while not ready)."""
    return aliyun_receipts.fetch_recording(contact_id)


@shared_task(name="phones.process_tracking_lookup")
def process_tracking_lookup(lookup_id: int) -> bool:
    return tracking.process_lookup(lookup_id)


@shared_task(name="phones.sweep")
def sweep_contacts() -> int:
    """Re-queue contacts and lookups whose queued processing was lost (broker down, worker killed)."""
    age = settings.PHONES_SWEEP_AFTER_SECONDS
    contact_ids = processing.unprocessed_contacts(timedelta(seconds=age))
    for contact_id in contact_ids:
        process_contact.delay(contact_id)
    lookup_ids = tracking.unprocessed_lookups(age)
    for lookup_id in lookup_ids:
        process_tracking_lookup.delay(lookup_id)
    log.info("phones sweep: re-queued %d contacts, %d lookups", len(contact_ids), len(lookup_ids))
    return len(contact_ids) + len(lookup_ids)


@shared_task(name="phones.reconcile_contacts")
def reconcile_contacts(window_minutes: int = 180) -> dict:
    report = reconcile.reconcile(since=timezone.now() - timedelta(minutes=window_minutes))
    return {"numbers": report.numbers, "listed": report.listed, "recovered": len(report.recovered)}


@shared_task(name="phones.enrich_caller", autoretry_for=(Exception,), max_retries=3, retry_backoff=True)
def enrich_caller(contact_id: int) -> bool:
    return numbers.enrich_caller(contact_id) is not None
