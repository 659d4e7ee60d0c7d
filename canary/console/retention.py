"""Retention: the only way evidence leaves the database, counted and audited.

Evidence older than a cut-off is deleted in one transaction: contacts, tracking lookups,
webhook security events, documents (with their sightings and stored files), signals and
attribution snapshots. A campaign with an open incident keeps all its signals and snapshots: the
investigation still relies on them. Decoys, exposures, incidents with their evidence and case
files, and the audit trail are not touched.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.db import transaction

from canary.alerts.models import OPEN_STATES, Incident
from canary.attribution.models import AttributionSnapshot, Signal
from canary.audit.services import record
from canary.phones.models import Contact, SecurityEvent, TrackingLookup
from canary.sightings.models import Document


@dataclass(frozen=True)
class PurgePlan:
    before: datetime
    counts: dict[str, int]


def _querysets(before: datetime) -> dict:
    busy = Incident.objects.filter(state__in=OPEN_STATES).values("campaign_id")
    return {
        "contacts": Contact.objects.filter(received_at__lt=before),
        "tracking_lookups": TrackingLookup.objects.filter(looked_up_at__lt=before),
        "security_events": SecurityEvent.objects.filter(minute__lt=before),
        "documents": Document.objects.filter(fetched_at__lt=before),
        "signals": Signal.objects.filter(last_seen_at__lt=before).exclude(campaign_id__in=busy),
        "attribution_snapshots": AttributionSnapshot.objects.filter(computed_at__lt=before).exclude(
            campaign_id__in=busy
        ),
    }


def plan_purge(before: datetime) -> PurgePlan:
    """What a purge at ``before`` would delete, without deleting it."""
    return PurgePlan(before, {name: qs.count() for name, qs in _querysets(before).items()})


def purge_evidence(before: datetime, *, actor: str | None = None) -> PurgePlan:
    """Delete evidence recorded before ``before``; audited with the counts."""
    with transaction.atomic():
        querysets = _querysets(before)
        counts = {name: qs.count() for name, qs in querysets.items()}
        files = [d.file.name for d in querysets["documents"].only("file") if d.file]
        for qs in querysets.values():
            qs.delete()
        record("evidence.purge", actor=actor, before=before.isoformat(), counts=counts)
        storage = Document._meta.get_field("file").storage
        # Files go only once the rows are gone for good.
        transaction.on_commit(lambda: [storage.delete(name) for name in files])
    return PurgePlan(before, counts)
