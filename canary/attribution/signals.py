"""Turning inputs into signals (the switchboard's entry): one call for every watcher."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from django.db import transaction
from django.db.models import F
from django.db.models.functions import Greatest, Least

from canary.campaigns.models import Decoy

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
    full_phone_of_privacy_label: bool = False,
) -> list[tuple[Signal, bool]]:
    """Store (or update) the signal(s) for these candidate decoys, one per campaign.

    Returns [(signal, created)]. Repeated evidence with the same ``dedupe_key`` widens the
    seen window and counts an occurrence; it never adds a second signal.
    """
    ids = sorted(set(decoy_ids))
    by_campaign: dict[int, list[int]] = {}
    for decoy_id, campaign_id in Decoy.objects.filter(id__in=ids).values_list("id", "campaign_id"):
        by_campaign.setdefault(campaign_id, []).append(decoy_id)
    results = []
    with transaction.atomic():
        for campaign_id, members in sorted(by_campaign.items()):
            key = dedupe_key if len(by_campaign) == 1 else f"{dedupe_key}#c{campaign_id}"
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
                    "full_phone_of_privacy_label": full_phone_of_privacy_label,
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
                )
                signal.refresh_from_db()
            results.append((signal, created))
            for listener in _listeners:
                transaction.on_commit(lambda s=signal.pk, c=created, f=listener: f(s, c))
    return results
