"""Events in, alerts out: rule matching, the send/hold decision, delivery, digests, sweeping.

Public entry points:
- ``raise_event(kind, campaign=, incident=, severity=, payload=)``: record an event and plan its
  alerts (used by incidents, attribution and the watchers);
- ``raise_watcher_unhealthy(subject, detail, ...)``: the same for a failing watcher, at most
  once per subject per quiet period;
- ``deliver(alert_id, retries, max_retries)``: send one alert (called by the Celery task);
- ``send_digests(now)``, ``sweep(now)``, ``send_test(channel)``, ``apply_twilio_status(...)``.
"""

from __future__ import annotations

import logging
from collections import OrderedDict
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from celery.utils.time import get_exponential_backoff_interval
from django.conf import settings
from django.core.mail import mail_admins, send_mail
from django.db import transaction
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from canary.attribution.models import Signal

from . import policy
from .channels import TransportError, transport_for
from .models import (
    Alert,
    AlertStatus,
    Channel,
    ChannelKind,
    DeliveryAttempt,
    Event,
    EventKind,
    Incident,
    Rule,
    Severity,
    SignalCheck,
    Team,
)

log = logging.getLogger(__name__)

# Statuses that count as "this incident was already told on this channel" for the throttle.
TOLD = (AlertStatus.PENDING, AlertStatus.SENT, AlertStatus.DELIVERED)
# Twilio delivery error codes after which texting the number again cannot work.
PERMANENT_SMS_ERRORS = {"21211", "21610", "21614", "30003", "30004", "30005", "30006"}
STALE_AFTER = timedelta(minutes=2)


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
            transaction.on_commit(lambda pk=alert.pk: enqueue_delivery(pk))
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
    rules = Rule.objects.filter(enabled=True).prefetch_related("campaigns", "channels", "escalation_channels")
    for rule in rules:
        if not rule_matches(rule, event, {c.pk for c in rule.campaigns.all()}):
            continue
        for channel in rule.channels.all():
            if channel.enabled and channel.pk not in planned:
                planned[channel.pk] = _plan(event, rule, channel, payload, now, escalation=False)
        if _escalates(rule, event, now):
            for channel in rule.escalation_channels.all():
                if channel.enabled and channel.pk not in planned:
                    planned[channel.pk] = _plan(event, rule, channel, payload, now, escalation=True)
    return [alert for alert in planned.values() if alert.status == AlertStatus.PENDING]


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
        rule=rule,
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


def enqueue_delivery(alert_id: int) -> None:
    """Queue the send; a broker outage is logged and left to the sweeper, never raised."""
    from tasks.alerts import deliver_alert

    try:
        deliver_alert.delay(alert_id)
    except Exception:
        log.exception("could not queue alert %s; the sweeper will retry", alert_id)


# --------------------------------------------------------------------------- delivery


def sms_sent_this_month(team: Team, now: datetime) -> int:
    local = now.astimezone(team_zone())
    month_start = local.replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    return Alert.objects.filter(
        channel__team=team,
        channel__kind=ChannelKind.SMS,
        sent_at__gte=month_start,
        status__in=(AlertStatus.SENT, AlertStatus.DELIVERED, AlertStatus.FAILED),
    ).count()


def deliver(alert_id: int, *, retries: int = 0, max_retries: int = 6) -> int | None:
    """Send one alert. Returns the seconds to wait before a retry, or None when finished.

    The alert row stays locked while sending, so a duplicate task (sweeper re-queue, broker
    redelivery) waits and then finds the alert already sent.
    """
    now = timezone.now()
    with transaction.atomic():
        alert = (
            Alert.objects.select_for_update(of=("self",))
            .select_related("channel__team", "event")
            .filter(pk=alert_id)
            .first()
        )
        if alert is None or alert.status != AlertStatus.PENDING:
            return None
        channel = alert.channel
        is_test = alert.event is not None and alert.event.kind == EventKind.CHANNEL_TEST
        if not channel.enabled and not is_test:
            return _finish_failed(
                alert, _("channel disabled: %(reason)s") % {"reason": channel.disabled_reason}
            )
        if channel.kind == ChannelKind.SMS:
            team = Team.objects.select_for_update().get(pk=channel.team_id)
            if sms_sent_this_month(team, now) >= team.monthly_sms_quota:
                return _finish_failed(
                    alert, _("monthly SMS quota of team %(team)s used up") % {"team": team.name}
                )
        alert.attempts += 1
        channel.last_attempt_at = now
        try:
            provider_id = transport_for(channel.kind).notify(alert)
        except TransportError as exc:
            return _transport_failed(alert, exc, retries, max_retries)
        alert.status = AlertStatus.SENT
        alert.sent_at = timezone.now()
        alert.provider_id = provider_id or ""
        alert.error = ""
        alert.next_attempt_at = None
        alert.save()
        DeliveryAttempt.objects.create(alert=alert, ok=True)
        channel.last_result, channel.last_error, channel.last_success_at = "ok", "", alert.sent_at
        channel.save(update_fields=["last_result", "last_error", "last_success_at", "last_attempt_at"])
    return None


def _finish_failed(alert: Alert, error: str) -> None:
    alert.status = AlertStatus.FAILED
    alert.error = error[:500]
    alert.next_attempt_at = None
    alert.save()
    DeliveryAttempt.objects.create(alert=alert, ok=False, error=error[:500])
    return None


def _transport_failed(alert: Alert, exc: TransportError, retries: int, max_retries: int) -> int | None:
    channel = alert.channel
    error = str(exc)[:500]
    channel.last_result, channel.last_error = "error", error
    channel.save(update_fields=["last_result", "last_error", "last_attempt_at"])
    if exc.permanent:
        alert.status = AlertStatus.FAILED
        alert.error = error
        alert.save()
        DeliveryAttempt.objects.create(alert=alert, ok=False, permanent=True, error=error)
        disable_channel(channel, error)
        return None
    if retries >= max_retries:
        return _finish_failed(
            alert, _("gave up after %(n)d attempts: %(error)s") % {"n": alert.attempts, "error": error}
        )
    countdown = get_exponential_backoff_interval(
        factor=getattr(settings, "ALERTS_RETRY_BACKOFF_SECONDS", 2),
        retries=retries,
        maximum=getattr(settings, "ALERTS_RETRY_BACKOFF_MAX_SECONDS", 600),
        full_jitter=getattr(settings, "ALERTS_RETRY_JITTER", True),
    )
    alert.error = error
    alert.next_attempt_at = timezone.now() + timedelta(seconds=countdown)
    alert.save()
    DeliveryAttempt.objects.create(alert=alert, ok=False, error=error, retry_in=countdown)
    return countdown


def disable_channel(channel: Channel, reason: str) -> None:
    """Turn a channel off after a permanent error, show why, and tell the admins by e-mail."""
    channel.enabled = False
    channel.disabled_reason = reason[:500]
    channel.disabled_at = timezone.now()
    channel.save(update_fields=["enabled", "disabled_reason", "disabled_at"])
    transaction.on_commit(lambda: _mail_channel_disabled(channel.pk))


def _mail_channel_disabled(channel_id: int) -> None:
    channel = Channel.objects.select_related("team").get(pk=channel_id)
    with translation.override(settings.LANGUAGE_CODE):
        subject = _("Alert channel disabled: %(name)s") % {"name": channel.name}
        body = _(
            "The channel %(name)s (%(kind)s) of team %(team)s was disabled after a permanent error:\n"
            "%(reason)s\n\nFix the target and re-enable it: %(url)s"
        ) % {
            "name": channel.name,
            "kind": channel.get_kind_display(),
            "team": channel.team.name,
            "reason": channel.disabled_reason,
            "url": console_url("alerts:channels"),
        }
    # Admins must hear of it even if one of the two routes fails.
    try:
        mail_admins(subject, body)
        if channel.team.admin_emails:
            send_mail(subject, body, settings.DEFAULT_FROM_EMAIL, channel.team.admin_emails)
    except Exception:
        log.exception("could not e-mail admins about disabled channel %s", channel_id)


def send_test(channel: Channel, actor: str = "") -> Alert:
    """A test message to one channel, bypassing rules, quiet hours and throttles."""
    with transaction.atomic():
        event = Event.objects.create(
            kind=EventKind.CHANNEL_TEST,
            severity=Severity.INFO,
            payload={"detail": _("Test message requested by %(who)s") % {"who": actor or "system"}},
        )
        alert = Alert.objects.create(event=event, channel=channel, payload=build_payload(event))
        transaction.on_commit(lambda: enqueue_delivery(alert.pk))
    return alert


def reenable_channel(channel: Channel) -> None:
    channel.enabled = True
    channel.disabled_reason = ""
    channel.disabled_at = None
    channel.save(update_fields=["enabled", "disabled_reason", "disabled_at"])


def apply_twilio_status(alert_id: int, params: dict[str, str]) -> bool:
    """Record a Twilio delivery report for an SMS alert; False when it does not belong to it."""
    status = params.get("MessageStatus") or params.get("SmsStatus") or ""
    with transaction.atomic():
        alert = Alert.objects.select_for_update().select_related("channel").filter(pk=alert_id).first()
        if alert is None or alert.channel.kind != ChannelKind.SMS:
            return False
        sid = params.get("MessageSid") or params.get("SmsSid") or ""
        if alert.provider_id and sid != alert.provider_id:
            return False
        alert.provider_id = alert.provider_id or sid
        alert.delivery_status = status[:32]
        if status == "delivered" and alert.status in (AlertStatus.SENT, AlertStatus.PENDING):
            alert.status = AlertStatus.DELIVERED
            alert.delivered_at = timezone.now()
        elif status in ("failed", "undelivered"):
            code = params.get("ErrorCode", "")
            alert.status = AlertStatus.FAILED
            alert.error = f"Twilio {status} {code}".strip()
            if code in PERMANENT_SMS_ERRORS and alert.channel.enabled:
                disable_channel(alert.channel, alert.error)
        alert.save()
    return True


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
            transaction.on_commit(lambda pk=digest.pk: enqueue_delivery(pk))
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
    """The ``on_signal`` listener: queue the rule evaluation; the sweeper covers a lost publish."""
    from tasks.alerts import evaluate_signal as evaluate_task

    try:
        evaluate_task.delay(signal_id)
    except Exception:
        log.exception("could not queue evaluation of signal %s; the sweeper will retry", signal_id)


# --------------------------------------------------------------------------- sweeping


def sweep(now: datetime | None = None) -> dict[str, int]:
    """Re-queue alerts and signals a lost task left behind; report stale work as unhealthy."""
    now = now or timezone.now()
    cutoff = now - STALE_AFTER
    stale_alerts = list(
        Alert.objects.filter(status=AlertStatus.PENDING, created_at__lt=cutoff)
        .exclude(next_attempt_at__gte=cutoff)
        .values_list("pk", flat=True)[:500]
    )
    for alert_id in stale_alerts:
        enqueue_delivery(alert_id)
    checked = SignalCheck.objects.values("signal_id")
    stale_signals = list(
        Signal.objects.filter(created_at__lt=cutoff, created_at__gte=now - timedelta(days=1))
        .exclude(pk__in=checked)
        .values_list("pk", flat=True)[:500]
    )
    for signal_id in stale_signals:
        enqueue_signal(signal_id, True)
    if stale_alerts or stale_signals:
        raise_watcher_unhealthy(
            "sweeper",
            _("The sweeper re-queued %(alerts)d alerts and %(signals)d signals left unprocessed")
            % {"alerts": len(stale_alerts), "signals": len(stale_signals)},
        )
    return {"alerts": len(stale_alerts), "signals": len(stale_signals)}


def check_queue_backlog(queue: str = "celery") -> int:
    """Messages waiting in the broker queue; a backlog over the threshold is reported."""
    from canary.celery import app

    with app.connection_for_write() as connection:
        _name, waiting, _consumers = connection.default_channel.queue_declare(queue=queue, passive=True)
    threshold = getattr(settings, "ALERTS_QUEUE_BACKLOG_THRESHOLD", 500)
    if waiting > threshold:
        raise_watcher_unhealthy(
            f"queue:{queue}",
            _("%(n)d tasks are waiting in queue %(queue)s") % {"n": waiting, "queue": queue},
        )
    return waiting
