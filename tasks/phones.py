"""Phone-contact watcher tasks: processing, the sweeper, reconciliation, caller lookup."""

from __future__ import annotations

from datetime import timedelta

from celery import shared_task
from django.conf import settings
from django.utils import timezone

from canary.phones import aliyun_receipts, numbers, processing, reconcile, tracking
from canary.phones.providers import ProviderError


@shared_task(acks_late=True, max_retries=5, default_retry_delay=30)
def process_contact(contact_id: int) -> bool:
    outcome = processing.process_contact(contact_id)
    if outcome is not None and getattr(settings, "PHONES_CALLER_LOOKUP", False):
        enrich_caller.delay(contact_id)
    return outcome is not None


@shared_task(acks_late=True, autoretry_for=(ProviderError,), max_retries=5, default_retry_delay=60)
def fetch_aliyun_recording(contact_id: int) -> str:
    """Alibaba's recording receipt carries no address: ask for it (retried while not ready)."""
    return aliyun_receipts.fetch_recording(contact_id)


@shared_task(acks_late=True)
def process_tracking_lookup(lookup_id: int) -> bool:
    return tracking.process_lookup(lookup_id)


@shared_task(acks_late=True)
def sweep_contacts() -> int:
    """Re-queue contacts and lookups whose queued processing was lost (broker down, worker killed)."""
    age = getattr(settings, "PHONES_SWEEP_AFTER_SECONDS", 60)
    contact_ids = processing.unprocessed_contacts(timedelta(seconds=age))
    for contact_id in contact_ids:
        process_contact.delay(contact_id)
    lookup_ids = tracking.unprocessed_lookups(age)
    for lookup_id in lookup_ids:
        process_tracking_lookup.delay(lookup_id)
    return len(contact_ids) + len(lookup_ids)


@shared_task(acks_late=True)
def reconcile_contacts(window_minutes: int = 180) -> dict:
    report = reconcile.reconcile(since=timezone.now() - timedelta(minutes=window_minutes))
    return {"numbers": report.numbers, "listed": report.listed, "recovered": len(report.recovered)}


@shared_task(acks_late=True, autoretry_for=(Exception,), max_retries=3, retry_backoff=True)
def enrich_caller(contact_id: int) -> bool:
    return numbers.enrich_caller(contact_id) is not None
