"""Reconciliation: store contacts the provider recorded but no webhook delivered.

Webhooks get lost (our server down, a network split). Every run lists each canary number's recent
inbound messages and calls at its provider and stores the missing ones, marked as recovered;
contacts the webhooks did deliver share the provider's id and are left alone.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime

from .contacts import store_record
from .models import CanaryNumber, NumberStatus, Provider
from .providers import NumberProvider, ProviderError, get_provider

log = logging.getLogger(__name__)

# Providers whose records can be listed (Alibaba's receipts are push-only).
LISTABLE = (Provider.TWILIO,)


@dataclass
class ReconcileReport:
    numbers: int = 0
    listed: int = 0
    recovered: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)


def reconcile(since: datetime) -> ReconcileReport:
    report = ReconcileReport()
    providers: dict[str, NumberProvider] = {}
    numbers = CanaryNumber.objects.filter(provider__in=LISTABLE).exclude(status=NumberStatus.RETIRED)
    for number in numbers.order_by("e164"):
        try:
            provider = providers.get(number.provider) or providers.setdefault(
                number.provider, get_provider(number.provider)
            )
            records = provider.recent_contacts(number.e164, since)
        except ProviderError as exc:
            # One number or provider failing must not stop the others from being checked.
            report.errors.append(f"{number.e164}: {exc}")
            log.warning("reconciliation of %s failed: %s", number.e164, exc)
            continue
        report.numbers += 1
        report.listed += len(records)
        for record in records:
            contact, created = store_record(record, number.provider)
            if created:
                report.recovered.append(contact.provider_sid)
    if report.recovered:
        log.warning("reconciliation recovered %d contacts no webhook delivered", len(report.recovered))
    return report
