"""Turning inputs into signals (the switchboard's entry): one call for every watcher."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from django.db import transaction
from django.db.models import F
from django.db.models.functions import Greatest, Least

from canary.campaigns.models import Decoy, LabelPrint

from .models import Signal

# Listeners run after the signal is committed (e.g. attribution recompute, alert rules).
# Each takes the signal id and whether it is new; they are registered by the apps that care.
_listeners: list = []


def on_signal(listener) -> None:
    """Register ``listener(signal_id: int, created: bool)``, called after commit."""
    if listener not in _listeners:
        _listeners.append(listener)


def record_signal(
    *,
    kind: str,
    decoy_ids: Iterable[int],
    seen_at: datetime,
    strength: float,
    dedupe_key: str,
    origin: str,
    summary: str = "",
    full_phone: bool = False,
) -> list[tuple[Signal, bool]]:
    """Store (or update) the signal(s) for these candidate decoys, one per campaign.

    ``full_phone``: the leak carried the decoys' full phone number (a call or text to the canary
    number, a dump with the number unmasked). If a candidate was printed only as privacy labels,
    the signal is marked ``full_phone_of_privacy_label``: that number came from a system record.

    Returns [(signal, created)]. Repeated evidence with the same ``dedupe_key`` widens the
    seen window and counts an occurrence; it never adds a second signal.
    """
    ids = sorted(set(decoy_ids))
    by_campaign: dict[int, list[int]] = {}
    privacy_only: set[int] = set()  # campaigns with a privacy-label-only candidate
    rows = Decoy.objects.values_by_id(ids, "campaign_id", "label_printed")
    for decoy_id, campaign_id, printed in rows:
        by_campaign.setdefault(campaign_id, []).append(decoy_id)
        if printed == LabelPrint.PRIVACY:
            privacy_only.add(campaign_id)
    results = []
    with transaction.atomic():
        for campaign_id, members in sorted(by_campaign.items()):
            key = dedupe_key if len(by_campaign) == 1 else f"{dedupe_key}#c{campaign_id}"
            system_hint = full_phone and campaign_id in privacy_only
            signal, created = Signal.objects.get_or_create(
                dedupe_key=key,
                defaults={
                    "campaign_id": campaign_id,
                    "kind": kind,
                    "first_seen_at": seen_at,
                    "last_seen_at": seen_at,
                    "strength": strength,
                    "origin": origin,
                    "summary": summary[:500],
                    "full_phone_of_privacy_label": system_hint,
                },
            )
            if created:
                signal.decoys.set(members)
            else:
                Signal.objects.filter(pk=signal.pk).update(
                    occurrences=F("occurrences") + 1,
                    first_seen_at=Least("first_seen_at", seen_at),
                    last_seen_at=Greatest("last_seen_at", seen_at),
                    strength=Greatest("strength", strength),
                    # Once any repeat carried the full number, the hint holds.
                    **({"full_phone_of_privacy_label": True} if system_hint else {}),
                )
                signal.refresh_from_db()
            results.append((signal, created))
            for listener in _listeners:
                transaction.on_commit(lambda s=signal.pk, c=created, f=listener: f(s, c))
    return results
