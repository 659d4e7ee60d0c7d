"""Incidents: signals of one campaign that point at one suspected node, within a horizon.

API for attribution and the watchers (keep calls to these names):

``open_or_update_incident(campaign, node, posterior, snapshot, signal_ids) -> Incident``
    Call when the top node's posterior crosses your threshold (and again when it changes).
    Finds the open incident of ``campaign`` for ``node`` active within the horizon
    (``ALERTS_INCIDENT_HORIZON_HOURS``, default 72), else adopts the campaign's unattributed
    incident (opened by a strong signal before attribution ran), else opens a new one. Stores
    ``posterior`` and ``snapshot`` (kept as evidence; put the ranking in
    ``snapshot["ranking"] = [{"node": code, "name": ..., "posterior": p}, ...]`` top first so
    alerts can show the top three, and a plain-language ``snapshot["explanation"]``), attaches
    the signals, and raises one event: ``attribution.top_node_changed`` when the campaign's
    previously suspected node differs, else ``incident.opened`` for a new incident, else
    ``attribution.posterior_crossed``.

``attach_signal(incident, signal, actor="system") -> bool``
    Add a signal to an incident (timeline + evidence); False if it was already there.

``add_evidence(incident, kind=, title=, content=None, filename="", text="", data=None,
source="", actor="") -> Evidence``
    Add a document, excerpt, recording, transcript or call record; files are hashed (SHA-256).
    A non-empty ``source`` (e.g. ``"sightings.document:17"``) makes the call idempotent.

``raise_event(kind, campaign=, incident=, severity=, payload=)`` (re-exported from services)
    Any other event rules can match; kinds are ``EventKind`` values, severities ``Severity``.
"""

from __future__ import annotations

import hashlib
import json
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from canary.attribution.models import Signal
from canary.campaigns.models import Campaign

from .models import OPEN_STATES, Event, EventKind, Evidence, EvidenceKind, Incident, IncidentState, Severity
from .services import raise_event, signal_summary

__all__ = [
    "EventKind",
    "InvalidTransition",
    "Severity",
    "add_evidence",
    "add_note",
    "assign",
    "attach_signal",
    "change_state",
    "incident_for_signal",
    "open_or_update_incident",
    "raise_event",
]

TRANSITIONS = {
    IncidentState.NEW: {IncidentState.INVESTIGATING, IncidentState.CONFIRMED, IncidentState.FALSE_POSITIVE},
    IncidentState.INVESTIGATING: {IncidentState.CONFIRMED, IncidentState.FALSE_POSITIVE},
    IncidentState.CONFIRMED: {IncidentState.CLOSED},
    IncidentState.FALSE_POSITIVE: {IncidentState.CLOSED, IncidentState.INVESTIGATING},
    IncidentState.CLOSED: {IncidentState.INVESTIGATING},
}


class InvalidTransition(ValueError):
    pass


def horizon() -> timedelta:
    return timedelta(hours=getattr(settings, "ALERTS_INCIDENT_HORIZON_HOURS", 72))


def _open_incidents(campaign: Campaign):
    return Incident.objects.filter(
        campaign=campaign, state__in=OPEN_STATES, last_activity_at__gte=timezone.now() - horizon()
    )


def _lock_campaign(campaign: Campaign) -> None:
    # Serialises incident creation per campaign: two workers must not open two incidents at once.
    Campaign.objects.select_for_update().filter(pk=campaign.pk).first()


def _title(campaign: Campaign, node: Any) -> str:
    if node is None:
        return _("%(campaign)s · leak not yet attributed") % {"campaign": campaign.name}
    return f"{campaign.name} · {node.code} {node.name}"


def _timeline(incident: Incident, kind: str, text: str, actor: str = "system", **data: Any) -> None:
    incident.timeline.create(kind=kind, text=text, actor=actor, data=data)


def incident_for_signal(signal: Signal) -> Incident:
    """The open incident a strong signal belongs to, opening a campaign-level one if none."""
    campaign = signal.campaign
    with transaction.atomic():
        _lock_campaign(campaign)
        candidates = _open_incidents(campaign).order_by("-last_activity_at")
        targets = set(signal.decoys.values_list("target_id", flat=True))
        incident = None
        if len(targets) == 1:
            incident = candidates.filter(node_id=next(iter(targets))).first()
        incident = incident or candidates.first()
        created = incident is None
        if created:
            incident = Incident.objects.create(
                campaign=campaign, title=_title(campaign, None), last_activity_at=timezone.now()
            )
            _timeline(incident, "opened", _("Opened by a strong signal"), signal=signal.pk)
        attach_signal(incident, signal)
        if created:
            # The signal travels with the incident's first message: a throttle holds the signal's
            # own alert, and the team must still read what was seen.
            raise_event(
                EventKind.INCIDENT_OPENED,
                incident=incident,
                severity=Severity.HIGH,
                payload={"signal": signal_summary(signal)},
            )
    return incident


def open_or_update_incident(
    campaign: Campaign, node: Any, posterior: float, snapshot: dict, signal_ids: list[int]
) -> Incident:
    """See the module docstring."""
    with transaction.atomic():
        _lock_campaign(campaign)
        open_incidents = _open_incidents(campaign)
        previous = open_incidents.filter(node__isnull=False).order_by("-last_activity_at").first()
        incident = open_incidents.filter(node=node).first() if node is not None else None
        created = False
        if incident is None:
            incident = open_incidents.filter(node__isnull=True).order_by("-last_activity_at").first()
        if incident is None:
            incident = Incident(campaign=campaign)
            created = True
        old_posterior = incident.posterior
        incident.node = node
        incident.title = _title(campaign, node)
        incident.posterior = posterior
        incident.snapshot = snapshot
        incident.last_activity_at = timezone.now()
        incident.save()
        node_label = f"{node.code} {node.name}" if node is not None else "-"
        _timeline(
            incident,
            "attribution",
            _("Attribution: %(node)s, posterior %(p).2f") % {"node": node_label, "p": posterior},
            posterior=posterior,
            node=getattr(node, "code", None),
        )
        add_evidence(
            incident,
            kind=EvidenceKind.SNAPSHOT,
            title=_("Attribution snapshot: %(node)s %(p).2f") % {"node": node_label, "p": posterior},
            data=snapshot,
            source="attribution.snapshot:"
            + _digest(json.dumps(snapshot, sort_keys=True, default=str).encode()),
        )
        for signal in Signal.objects.filter(pk__in=signal_ids, campaign=campaign):
            attach_signal(incident, signal)
        _raise_attribution_event(incident, created, previous, old_posterior)
    return incident


def _raise_attribution_event(
    incident: Incident, created: bool, previous: Incident | None, old: float | None
) -> Event:
    if previous is not None and previous.node_id != incident.node_id:
        return raise_event(
            EventKind.TOP_NODE_CHANGED,
            incident=incident,
            severity=Severity.HIGH,
            payload={"previous_node": {"code": previous.node.code, "name": previous.node.name}},
        )
    if created:
        return raise_event(EventKind.INCIDENT_OPENED, incident=incident, severity=Severity.HIGH)
    return raise_event(
        EventKind.POSTERIOR_CROSSED,
        incident=incident,
        severity=Severity.HIGH,
        payload={"previous_posterior": old},
    )


def attach_signal(incident: Incident, signal: Signal, actor: str = "system") -> bool:
    """Add a signal (and its summary as evidence) to the incident; False if already attached."""
    if incident.signals.filter(pk=signal.pk).exists():
        return False
    incident.signals.add(signal)
    Incident.objects.filter(pk=incident.pk).update(last_activity_at=timezone.now())
    summary = signal_summary(signal)
    summary["waybills"] = list(signal.decoys.values_list("waybill_no", flat=True))
    _timeline(incident, "signal", signal.summary or str(signal), actor, signal=signal.pk)
    add_evidence(
        incident,
        kind=EvidenceKind.SIGNAL,
        title=str(signal),
        text=signal.summary,
        data=summary,
        source=f"attribution.signal:{signal.pk}",
        actor=actor,
    )
    return True


def _digest(content: bytes) -> str:
    return hashlib.sha256(content).hexdigest()


def add_evidence(
    incident: Incident,
    *,
    kind: str,
    title: str,
    content: bytes | None = None,
    filename: str = "",
    text: str = "",
    data: dict | None = None,
    source: str = "",
    actor: str = "system",
) -> Evidence:
    """Store one evidence item; a file's SHA-256 is taken from the bytes as received."""
    if source:
        existing = incident.evidence.filter(source=source).first()
        if existing is not None:
            return existing
    evidence = Evidence(
        incident=incident, kind=kind, title=title[:200], text=text, data=data or {}, source=source
    )
    evidence.added_by = actor
    if content is not None:
        evidence.sha256 = _digest(content)
        evidence.file.save(filename or f"{kind}.bin", ContentFile(content), save=False)
    evidence.save()
    _timeline(incident, "evidence", title[:200], actor, evidence=evidence.pk, sha256=evidence.sha256)
    return evidence


def change_state(incident: Incident, state: str, *, actor: str, note: str = "") -> Incident:
    if state not in TRANSITIONS.get(incident.state, set()):
        raise InvalidTransition(f"{incident.state} → {state}")
    old = incident.state
    incident.state = state
    incident.closed_at = timezone.now() if state == IncidentState.CLOSED else None
    incident.last_activity_at = timezone.now()
    incident.save(update_fields=["state", "closed_at", "last_activity_at"])
    _timeline(incident, "state", note, actor, old=old, new=state)
    return incident


def assign(incident: Incident, user: Any, *, actor: str) -> Incident:
    incident.assignee = user
    incident.save(update_fields=["assignee"])
    _timeline(incident, "assign", user.get_username() if user else "", actor)
    return incident


def add_note(incident: Incident, text: str, *, actor: str) -> None:
    _timeline(incident, "note", text, actor)
