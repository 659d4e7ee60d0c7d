"""Events in, alerts out: rule matching, the send/hold decision, digests, sweeping.

Public entry points:
- ``raise_event(kind, campaign=, incident=, severity=, payload=)``: record an event and plan its
  alerts (used by incidents, attribution and the watchers);
- ``raise_watcher_unhealthy(subject, detail, ...)``: the same for a failing watcher, at most
  once per subject per quiet period;
- ``send_digests(now)``, ``sweep(now)``, ``send_test(channel)``, ``check_queue_backlog()``.

Sending one alert (claim, send, mark), channel health and Twilio delivery reports live in
:mod:`canary.alerts.delivery`; the rule that applies until a team writes its own in
:mod:`canary.alerts.defaults`.
"""

from __future__ import annotations

import logging
from collections import OrderedDict
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from kombu.exceptions import ChannelError

from canary.attribution.models import Signal
from canary.queue import publish, publish_after_commit

from . import defaults, policy
from .delivery import apply_twilio_status, reenable_channel  # noqa: F401  (the console and hooks call them here)
from .models import (
    Alert,
    AlertStatus,
    Channel,
    Event,
    EventKind,
    Incident,
    Rule,
    Severity,
    SignalCheck,
)

log = logging.getLogger(__name__)

# Statuses that count as "this incident was already told on this channel" for the throttle.
TOLD = (AlertStatus.PENDING, AlertStatus.SENDING, AlertStatus.SENT, AlertStatus.DELIVERED)
STALE_AFTER = timedelta(minutes=2)
DELIVER_TASK = "alerts.deliver"
EVALUATE_TASK = "alerts.evaluate_signal"
SWEEP_BATCH = 500
SIGNAL_SWEEP_WINDOW = timedelta(days=7)


def console_url(name: str, *args: Any) -> str:
    return settings.PUBLIC_BASE_URL + reverse(name, args=args)


def team_zone() -> ZoneInfo:
    return ZoneInfo(settings.TIME_ZONE)


# --------------------------------------------------------------------------- events → alerts


def raise_event(
    kind: str,
    *,
    campaign: Any = None,
    incident: Incident | None = None,
    severity: int = Severity.WARNING,
    payload: dict[str, Any] | None = None,
) -> Event:
    """Record an event and write the alert rows the rules call for; sending starts after commit."""
    if incident is not None and campaign is None:
        campaign = incident.campaign
    with transaction.atomic():
        event = Event.objects.create(
            kind=kind, severity=severity, campaign=campaign, incident=incident, payload=payload or {}
        )
        for alert in dispatch(event):
            publish_after_commit(DELIVER_TASK, alert.pk)
    return event


def raise_watcher_unhealthy(
    subject: str, detail: str, *, severity: int = Severity.WARNING, quiet_minutes: int = 60
) -> Event | None:
    """Report a failing watcher (source failing N times, queue backing up, stale work).

    The same ``subject`` raises at most one event per ``quiet_minutes``: a broken source should
    page once, not on every failed fetch.
    """
    since = timezone.now() - timedelta(minutes=quiet_minutes)
    recent = Event.objects.filter(
        kind=EventKind.WATCHER_UNHEALTHY, created_at__gte=since, payload__subject=subject
    )
    if recent.exists():
        return None
    return raise_event(
        EventKind.WATCHER_UNHEALTHY, severity=severity, payload={"subject": subject, "detail": detail}
    )


def rule_matches(rule: Rule, event: Event, campaign_ids: set[int]) -> bool:
    if rule.events and event.kind not in rule.events:
        return False
    if event.severity < rule.min_severity:
        return False
    return not campaign_ids or event.campaign_id in campaign_ids


def dispatch(event: Event) -> list[Alert]:
    """Write one alert per matching (rule, channel); return those to send now."""
    now = timezone.now()
    payload = build_payload(event)
    planned: dict[int, Alert] = {}
    for rule, channels, escalation_channels in routes(event):
        for channel in channels:
            if channel.enabled and channel.pk not in planned:
                planned[channel.pk] = _plan(event, rule, channel, payload, now, escalation=False)
        if _escalates(rule, event, now):
            for channel in escalation_channels:
                if channel.enabled and channel.pk not in planned:
                    planned[channel.pk] = _plan(event, rule, channel, payload, now, escalation=True)
    return [alert for alert in planned.values() if alert.status == AlertStatus.PENDING]


def routes(event: Event) -> list[tuple[Rule, list[Channel], list[Channel]]]:
    """(rule, channels, escalation channels) for every rule the event matches; until the team has
    written a rule, the default rule to every enabled channel."""
    if not defaults.team_has_rules():
        if not defaults.default_rule_covers(event):
            return []
        return [(defaults.default_rule(), list(Channel.objects.filter(enabled=True)), [])]
    rules = Rule.objects.filter(enabled=True).prefetch_related("campaigns", "channels", "escalation_channels")
    return [
        (rule, list(rule.channels.all()), list(rule.escalation_channels.all()))
        for rule in rules
        if rule_matches(rule, event, {c.pk for c in rule.campaigns.all()})
    ]


def _escalates(rule: Rule, event: Event, now: datetime) -> bool:
    local = now.astimezone(team_zone())
    return event.severity >= Severity.CRITICAL and policy.in_quiet_hours(
        local, rule.quiet_start, rule.quiet_end
    )


def _plan(
    event: Event, rule: Rule, channel: Channel, payload: dict, now: datetime, *, escalation: bool
) -> Alert:
    # Lock the channel so two workers deciding for the same incident cannot both send.
    Channel.objects.select_for_update().filter(pk=channel.pk).first()
    last_told = None
    if event.incident_id:
        last = (
            Alert.objects.filter(
                channel=channel, incident_id=event.incident_id, status__in=TOLD, is_digest=False
            )
            .order_by("-created_at")
            .first()
        )
        last_told = last.created_at if last else None
    decision = policy.decide(
        now=now,
        zone=team_zone(),
        severity=event.severity,
        quiet_start=None if escalation else rule.quiet_start,
        quiet_end=None if escalation else rule.quiet_end,
        daily_digest=rule.daily_digest and not escalation,
        digest_hour=rule.digest_hour,
        throttle=timedelta(minutes=rule.throttle_minutes),
        last_sent_for_incident=last_told,
    )
    return Alert.objects.create(
        event=event,
        rule=rule if rule.pk else None,  # the default rule is not stored
        channel=channel,
        incident_id=event.incident_id,
        status=AlertStatus.PENDING if decision.send else AlertStatus.HELD,
        hold_reason=decision.hold_reason,
        release_after=decision.release_after,
        escalation=escalation or decision.escalate,
        payload=payload,
    )


def build_payload(event: Event) -> dict[str, Any]:
    """Everything a message needs, frozen at the time of the event (a retry says the same)."""
    with translation.override(settings.LANGUAGE_CODE):
        payload: dict[str, Any] = {
            "event": event.kind,
            "event_label": str(EventKind(event.kind).label),
            "severity": event.severity,
            "severity_label": str(Severity(event.severity).label),
            "at": event.created_at.isoformat(),
            "url": console_url("alerts:incidents"),
        }
    if event.campaign is not None:
        payload["campaign"] = {"slug": event.campaign.slug, "name": event.campaign.name}
    incident = event.incident
    if incident is not None:
        payload["incident"] = {"id": incident.pk, "title": incident.title, "state": incident.state}
        payload["url"] = console_url("alerts:incident", incident.pk)
        payload["suspects"] = suspects(incident)
    payload.update(event.payload)
    return payload


def suspects(incident: Incident) -> list[dict[str, Any]]:
    """Top suspected nodes: the attribution snapshot's ranking, else the incident's node."""
    ranking = incident.snapshot.get("ranking") if isinstance(incident.snapshot, dict) else None
    if ranking:
        return [
            {
                "code": r.get("node") or r.get("code", ""),
                "name": r.get("name", ""),
                "posterior": r.get("posterior"),
            }
            for r in ranking[:3]
        ]
    if incident.node_id:
        return [{"code": incident.node.code, "name": incident.node.name, "posterior": incident.posterior}]
    return []


# --------------------------------------------------------------------------- tests


def send_test(channel: Channel, actor: str = "") -> Alert:
    """A test message to one channel, bypassing rules, quiet hours and throttles."""
    with transaction.atomic():
        event = Event.objects.create(
            kind=EventKind.CHANNEL_TEST,
            severity=Severity.INFO,
            payload={"detail": _("Test message requested by %(who)s") % {"who": actor or "system"}},
        )
        alert = Alert.objects.create(event=event, channel=channel, payload=build_payload(event))
        publish_after_commit(DELIVER_TASK, alert.pk)
    return alert


# --------------------------------------------------------------------------- digests


def send_digests(now: datetime | None = None) -> int:
    """Gather held alerts whose hold is over into one digest per channel. Returns digests made."""
    now = now or timezone.now()
    made = 0
    due = Alert.objects.filter(status=AlertStatus.HELD, release_after__lte=now)
    for channel_id in sorted(set(due.values_list("channel_id", flat=True))):
        with transaction.atomic():
            Channel.objects.select_for_update().filter(pk=channel_id).first()
            held = list(
                due.filter(channel_id=channel_id)
                .select_for_update(of=("self",))
                .select_related("event", "incident")
                .order_by("created_at")
            )
            if not held:
                continue
            digest = Alert.objects.create(
                channel_id=channel_id, is_digest=True, digest_count=len(held), payload=digest_payload(held)
            )
            Alert.objects.filter(pk__in=[a.pk for a in held]).update(
                status=AlertStatus.DIGESTED, digest=digest
            )
            publish_after_commit(DELIVER_TASK, digest.pk)
            made += 1
    return made


def digest_payload(held: list[Alert]) -> dict[str, Any]:
    groups: OrderedDict[tuple, dict[str, Any]] = OrderedDict()
    for alert in held:
        incident = alert.payload.get("incident")
        subject = f"#{incident['id']} {incident['title']}" if incident else alert.payload.get("subject", "")
        key = (alert.payload.get("event"), incident["id"] if incident else subject)
        group = groups.setdefault(
            key,
            {"event_label": alert.payload.get("event_label", ""), "subject": subject, "count": 0},
        )
        group["count"] += 1
    return {
        "digest": {"count": len(held), "items": list(groups.values())},
        "url": console_url("alerts:incidents"),
    }


# --------------------------------------------------------------------------- signals


def evaluate_signal(signal_id: int) -> Event | None:
    """Turn a newly recorded signal into events; idempotent (a signal is evaluated once)."""
    from . import incidents, selftest

    signal = Signal.objects.select_related("campaign").filter(pk=signal_id).first()
    if signal is None:
        return None
    if selftest.is_selftest(signal):
        selftest.mark_seen(signal)
        SignalCheck.objects.get_or_create(signal=signal)
        return None
    with transaction.atomic():
        _, new = SignalCheck.objects.get_or_create(signal=signal)
        if not new:
            return None
        incident = incidents.incident_for_signal(signal) if signal.is_strong else None
        return raise_event(
            EventKind.STRONG_SIGNAL if signal.is_strong else EventKind.SIGNAL,
            campaign=signal.campaign,
            incident=incident,
            severity=Severity.HIGH if signal.is_strong else Severity.INFO,
            payload={"signal": signal_summary(signal)},
        )


def signal_summary(signal: Signal) -> dict[str, Any]:
    with translation.override(settings.LANGUAGE_CODE):
        kind_label = str(signal.get_kind_display())
    return {
        "id": signal.pk,
        "kind": signal.kind,
        "kind_label": kind_label,
        "strength": signal.strength,
        "seen": timezone.localtime(signal.first_seen_at).strftime("%Y-%m-%d %H:%M"),
        "summary": signal.summary,
        "origin": signal.origin,
    }


def enqueue_signal(signal_id: int, created: bool) -> None:
    """The ``on_signal`` listener (already after commit): queue the rule evaluation; the sweeper
    covers a lost publish."""
    publish(EVALUATE_TASK, signal_id)


# --------------------------------------------------------------------------- sweeping


def sweep(now: datetime | None = None) -> dict[str, int]:
    """Re-queue alerts and signals a lost task left behind; report stale work as unhealthy.

    Alerts: pending ones past their retry time, and ``sending`` ones whose sender died (its lease
    ran out; the repeat carries the same idempotency key). Signals: recorded but never evaluated.
    """
    now = now or timezone.now()
    cutoff = now - STALE_AFTER
    stale_alerts = list(
        Alert.objects.filter(
            Q(status=AlertStatus.PENDING, created_at__lt=cutoff)
            | Q(status=AlertStatus.SENDING, claimed_until__lt=now)
        )
        .exclude(next_attempt_at__gte=cutoff)
        .values_list("pk", flat=True)[:SWEEP_BATCH]
    )
    for alert_id in stale_alerts:
        publish(DELIVER_TASK, alert_id)
    checked = SignalCheck.objects.values("signal_id")
    stale_signals = list(
        Signal.objects.filter(created_at__lt=cutoff, created_at__gte=now - SIGNAL_SWEEP_WINDOW)
        .exclude(pk__in=checked)
        .values_list("pk", flat=True)[:SWEEP_BATCH]
    )
    for signal_id in stale_signals:
        publish(EVALUATE_TASK, signal_id)
    log.info("alerts sweep: re-queued %d alerts, %d signals", len(stale_alerts), len(stale_signals))
    if stale_alerts or stale_signals:
        raise_watcher_unhealthy(
            "sweeper",
            _("The sweeper re-queued %(alerts)d alerts and %(signals)d signals left unprocessed")
            % {"alerts": len(stale_alerts), "signals": len(stale_signals)},
        )
    return {"alerts": len(stale_alerts), "signals": len(stale_signals)}


def check_queue_backlog(queue: str | None = None) -> int:
    """Messages waiting in the broker queue; a backlog over the threshold is reported.

    On Redis a queue nobody has declared yet (no worker started, or all its messages taken) does
    not exist, and a passive declare says so with an error: that is an empty queue, not a fault.
    """
    from canary.celery import app

    queue = queue or app.conf.task_default_queue
    with app.connection_for_write() as connection:
        try:
            _name, waiting, _consumers = connection.default_channel.queue_declare(queue=queue, passive=True)
        except ChannelError:
            waiting = 0
    if waiting > settings.ALERTS_QUEUE_BACKLOG_THRESHOLD:
        raise_watcher_unhealthy(
            f"queue:{queue}",
            _("%(n)d tasks are waiting in queue %(queue)s") % {"n": waiting, "queue": queue},
        )
    return waiting
