"""The canary number pool: registering, claiming for a campaign, releasing to quarantine."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import timedelta

import phonenumbers
from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from canary.campaigns.masking import is_mainland_mobile

from .models import CanaryNumber, NumberAssignment, NumberStatus, Provider


class NumberError(ValueError):
    pass


# Ofcom's drama range (07700 900000-900999): numbers reserved for fiction that can never ring
# a real person. phonenumbers calls them invalid; the demo and the tests print them on decoys.
FICTIONAL_PREFIXES = ("+447700900",)


def to_e164(raw: str, region: str = "CN") -> str:
    """Normalise a number as typed (full-width digits, spaces, +86…) to E.164, or refuse it."""
    try:
        parsed = phonenumbers.parse(raw, region)
    except phonenumbers.NumberParseException as exc:
        raise NumberError(f"{raw!r} is not a phone number: {exc}") from exc
    e164 = phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)
    if not (phonenumbers.is_valid_number(parsed) or e164.startswith(FICTIONAL_PREFIXES)):
        raise NumberError(f"{raw!r} is not a valid phone number")
    return e164


def add_numbers(
    raw_numbers: list[str], provider: str = Provider.MANUAL
) -> tuple[list[CanaryNumber], list[str]]:
    """Register numbers the team owns; returns (newly added, already known E.164 numbers)."""
    if provider not in Provider.values:
        raise NumberError(f"unknown provider {provider!r}; one of {', '.join(Provider.values)}")
    numbers = [to_e164(raw) for raw in raw_numbers]
    added, known = [], []
    with transaction.atomic():
        for e164 in dict.fromkeys(numbers):
            number, created = CanaryNumber.objects.get_or_create(e164=e164, defaults={"provider": provider})
            (added if created else known).append(number if created else e164)
    return added, known


def free_numbers() -> Q:
    """Numbers that may be assigned now: available, or out of an expired quarantine."""
    now = timezone.now()
    return Q(status=NumberStatus.AVAILABLE) | Q(status=NumberStatus.QUARANTINED, quarantined_until__lte=now)


def fitting(e164s: Iterable[str], mainland_only: bool) -> list[str]:
    """The numbers that may be printed: mainland mobiles only when the decoys go to the mainland."""
    return [e164 for e164 in e164s if not mainland_only or is_mainland_mobile(e164)]


def claim_numbers(campaign, count: int | None, mainland_only: bool = False) -> list[CanaryNumber]:
    """Assign free numbers to a campaign; each is claimed by a conditional UPDATE so two
    campaigns planned at once can never print the same number."""
    free = dict(CanaryNumber.objects.filter(free_numbers()).order_by("e164").values_list("e164", "id"))
    ids = [free[e164] for e164 in fitting(free, mainland_only)]
    if count is not None:
        if count > len(ids):
            raise NumberError(f"{count} canary numbers requested but only {len(ids)} are free")
        ids = ids[:count]
    claimed = []
    for number_id in ids:
        won = CanaryNumber.objects.filter(free_numbers(), id=number_id).update(
            status=NumberStatus.ASSIGNED, campaign=campaign, quarantined_until=None
        )
        if won:
            claimed.append(number_id)
    if count is not None and len(claimed) < count:
        raise NumberError("another campaign claimed numbers at the same time; try again")
    NumberAssignment.objects.bulk_create(NumberAssignment(number_id=i, campaign=campaign) for i in claimed)
    return list(CanaryNumber.objects.filter(id__in=claimed).order_by("e164"))


def release_numbers(campaign) -> int:
    """Take a campaign's numbers back into the pool, quarantined: late calls still arrive."""
    now = timezone.now()
    until = now + timedelta(days=settings.NUMBER_QUARANTINE_DAYS)
    NumberAssignment.objects.filter(campaign=campaign, released_at__isnull=True).update(released_at=now)
    return CanaryNumber.objects.filter(campaign=campaign, status=NumberStatus.ASSIGNED).update(
        status=NumberStatus.QUARANTINED, quarantined_until=until, campaign=None
    )
