"""Turning a stored contact into signals: which decoys can it have come from, and how surely.

Candidates are the decoys printed with the called number in the campaign that held the number at
the contact time (its quarantine tail included: late calls still belong to the old campaign). A
text or transcript that names decoys pins exactly those. Processing is claimed with a conditional
UPDATE, so a contact queued twice (sweeper and webhook) is processed once, and every signal has a
dedupe key, so even a run repeated after a crash adds no weight.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone

from canary.attribution.models import SignalKind
from canary.attribution.signals import record_signal
from canary.campaigns.masking import mask_phone
from canary.campaigns.models import CampaignStatus, Decoy

from .models import CanaryNumber, Contact, ContactKind, NumberAssignment
from .strength import number_strength, text_strength

log = logging.getLogger(__name__)

# A claim older than this is presumed dead (worker killed mid-task) and may be taken over.
CLAIM_LEASE = timedelta(minutes=5)
WATCHED_STATUSES = (CampaignStatus.ACTIVE, CampaignStatus.ENDED)


@dataclass(frozen=True)
class Outcome:
    candidates: tuple[int, ...]
    named: dict[int, float]
    strength: float | None


def assignment_at(number: CanaryNumber, when: datetime) -> NumberAssignment | None:
    """The campaign assignment that held ``number`` at ``when``, quarantine tail included."""
    assignment = number.assignments.filter(assigned_at__lte=when).order_by("-assigned_at").first()
    if assignment is None:
        return None
    if assignment.released_at is not None:
        tail = timedelta(days=settings.NUMBER_QUARANTINE_DAYS)
        if when >= assignment.released_at + tail:
            return None
    return assignment


def candidate_decoys(number: CanaryNumber | None, when: datetime) -> list[int]:
    if number is None:
        return []
    assignment = assignment_at(number, when)
    if assignment is None:
        return []
    return list(
        Decoy.objects.filter(
            number=number, campaign_id=assignment.campaign_id, campaign__status__in=WATCHED_STATUSES
        ).values_list("id", flat=True)
    )


def _is_phone_kind(kind: str) -> bool:
    return "phone" in kind


def named_decoys(text: str, candidates: list[int]) -> dict[int, float]:
    """Decoys the text names → matcher strength. A mere spelling of the called number itself
    narrows nothing beyond the number signal, so it is left out."""
    # Imported here: the matcher (sightings) loads the decoy tokens, phones must load without it.
    from canary.sightings.matching import match_text

    if not text.strip():
        return {}
    named: dict[int, float] = {}
    candidate_set = set(candidates)
    for match in match_text(text):
        phone_only = all(_is_phone_kind(kind) for kind in match.kinds)
        if phone_only and match.decoy_id in candidate_set:
            continue
        named[match.decoy_id] = max(match.strength, named.get(match.decoy_id, 0.0))
    return named


def claim(contact_id: int, owner: str = "") -> datetime | None:
    """Take the contact for processing (compare-and-set); None when processed or claimed elsewhere.

    ``owner`` names the task run: when the database failed under it, its retry (same task id)
    takes its own claim back at once instead of waiting for the lease to run out."""
    now = timezone.now()
    free = Q(claimed_at__isnull=True) | Q(claimed_at__lt=now - CLAIM_LEASE)
    if owner:
        free |= Q(claimed_by=owner)
    won = (
        Contact.objects.filter(pk=contact_id, processed_at__isnull=True)
        .filter(free)
        .update(claimed_at=now, claimed_by=owner, processing_attempts=F("processing_attempts") + 1)
    )
    return now if won else None


def _summary(contact: Contact) -> str:
    caller = mask_phone(contact.from_number) if contact.from_number else "?"
    text = (contact.body or contact.transcript).replace("\n", " ")
    return f"{contact.get_kind_display()} {caller} → {contact.to_number}: {text[:200]}".strip()


def process_contact(contact_id: int, owner: str = "") -> Outcome | None:
    """Emit the contact's signals and mark it processed. None when another run has it."""
    claimed_at = claim(contact_id, owner)
    if claimed_at is None:
        return None
    contact = Contact.objects.get(pk=contact_id)
    number = CanaryNumber.objects.filter(e164=contact.to_number).first()
    candidates = candidate_decoys(number, contact.received_at)
    named = named_decoys("\n".join(filter(None, [contact.body, contact.transcript])), candidates)
    kind = SignalKind.SMS if contact.kind == ContactKind.SMS else SignalKind.CALL
    origin = f"phones.contact:{contact.pk}"
    strengths = []
    with transaction.atomic():
        if candidates:
            strength = number_strength(contact.kind, len(candidates))
            strengths.append(strength)
            record_signal(
                kind=kind,
                decoy_ids=candidates,
                seen_at=contact.received_at,
                strength=strength,
                dedupe_key=f"{origin}:number",
                origin=origin,
                summary=_summary(contact),
                full_phone=True,  # whoever called or texted had the whole canary number
            )
        if named:
            strength = text_strength(list(named.values()))
            strengths.append(strength)
            record_signal(
                kind=kind,
                decoy_ids=named,
                seen_at=contact.received_at,
                strength=strength,
                dedupe_key=f"{origin}:text",
                origin=origin,
                summary=_summary(contact),
                full_phone=True,  # whoever called or texted had the whole canary number
            )
        best = max(strengths, default=None)
        finished = Contact.objects.filter(pk=contact.pk, claimed_at=claimed_at).update(
            processed_at=timezone.now(), number=number, signal_strength=best
        )
        if finished:
            contact.matched_decoys.set(named or candidates)
    if not finished:
        log.info("contact %s changed while processing; a newer run will finish it", contact.pk)
    return Outcome(tuple(candidates), named, best)


def unprocessed_contacts(older_than: timedelta) -> list[int]:
    """Contacts the queue lost (broker down at store time, worker killed): to be queued again."""
    now = timezone.now()
    return list(
        Contact.objects.filter(processed_at__isnull=True, stored_at__lt=now - older_than)
        .filter(Q(claimed_at__isnull=True) | Q(claimed_at__lt=now - CLAIM_LEASE))
        .order_by("stored_at")
        .values_list("id", flat=True)[:5000]
    )
