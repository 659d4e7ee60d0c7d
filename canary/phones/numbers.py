"""Provider-side number work: buying, importing, releasing, and looking callers up."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from django.db import transaction
from django.utils import timezone

from .models import CallerInfo, CanaryNumber, Contact, NumberStatus
from .pool import free_numbers
from .providers import OwnedNumber, ProviderError, get_provider

CALLER_INFO_MAX_AGE = timedelta(days=30)


def provision(
    provider_name: str, country: str, count: int, area_code: str | None = None
) -> list[CanaryNumber]:
    """Buy ``count`` numbers pointed at our webhooks and add them to the pool."""
    provider = get_provider(provider_name)
    bought = provider.buy_numbers(country, count, area_code)
    with transaction.atomic():
        return [
            CanaryNumber.objects.update_or_create(
                e164=owned.e164, defaults={"provider": provider_name, "provider_sid": owned.provider_sid}
            )[0]
            for owned in bought
        ]


@dataclass(frozen=True)
class SyncReport:
    added: list[str]
    updated: list[str]


def sync(provider_name: str, point_webhooks: bool = False) -> SyncReport:
    """Import the numbers the account already owns (optionally re-pointing their webhooks)."""
    provider = get_provider(provider_name)
    added, updated = [], []
    for owned in provider.owned_numbers():
        if point_webhooks:
            provider.point_webhooks(owned)
        number, created = CanaryNumber.objects.get_or_create(
            e164=owned.e164, defaults={"provider": provider_name, "provider_sid": owned.provider_sid}
        )
        if created:
            added.append(owned.e164)
        elif (number.provider, number.provider_sid) != (provider_name, owned.provider_sid):
            CanaryNumber.objects.filter(pk=number.pk).update(
                provider=provider_name, provider_sid=owned.provider_sid
            )
            updated.append(owned.e164)
    return SyncReport(added, updated)


def releasable(number: CanaryNumber) -> str | None:
    """Why ``number`` may not be given back yet, or None when it may.

    A number printed on decoys keeps ringing for months; it is released only once it is free
    (never assigned, or out of its quarantine).
    """
    if number.status == NumberStatus.RETIRED:
        return "already released"
    if not CanaryNumber.objects.filter(free_numbers(), pk=number.pk).exists():
        if number.status == NumberStatus.QUARANTINED:
            return f"quarantined until {number.quarantined_until:%Y-%m-%d}"
        return f"assigned to campaign {number.campaign}"
    return None


def release(number: CanaryNumber) -> None:
    """Give a free number back to its provider and retire it (its history stays)."""
    reason = releasable(number)
    if reason:
        raise ProviderError(f"{number.e164} cannot be released: {reason}")
    get_provider(number.provider).release(OwnedNumber(number.e164, number.provider_sid))
    CanaryNumber.objects.filter(pk=number.pk).update(status=NumberStatus.RETIRED, quarantined_until=None)


def enrich_caller(contact_id: int) -> CallerInfo | None:
    """Look the caller of a Twilio contact up (line type, caller name), cached per caller."""
    contact = Contact.objects.filter(pk=contact_id).first()
    if contact is None or not contact.from_number.startswith("+") or contact.provider != "twilio":
        return None
    cached = CallerInfo.objects.filter(e164=contact.from_number).first()
    if cached and cached.fetched_at > timezone.now() - CALLER_INFO_MAX_AGE:
        return cached
    details = get_provider("twilio").lookup_caller(contact.from_number)
    info, _ = CallerInfo.objects.update_or_create(
        e164=contact.from_number,
        defaults={
            "line_type": details.line_type,
            "carrier_name": details.carrier_name[:100],
            "caller_name": details.caller_name[:100],
            "country_code": details.country_code,
            "raw": details.raw,
        },
    )
    return info
