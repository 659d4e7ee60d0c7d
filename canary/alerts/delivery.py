"""Sending one alert: claim, send, mark — so a retry never sends twice.

1. **Claim** (one short transaction): a conditional UPDATE turns a ``pending`` alert into
   ``sending`` with a lease (``claimed_until``) and counts the attempt. Only one task wins; a
   duplicate (sweeper re-queue, broker redelivery) finds nothing to claim and stops.
2. **Send**, outside any transaction: no database lock is held while a receiver is slow (on
   SQLite a held write lock would stop every other process).
3. **Mark** the outcome (``sent``, ``pending`` again with a retry time, or ``failed``). The mark is
   retried while the database is busy; if it still cannot be written, the lease runs out and the
   sweeper sends again *with the same idempotency key*, which receivers use to drop the repeat.

A channel is disabled only after repeated permanent failures spread over time
(``ALERTS_DISABLE_AFTER_FAILURES`` permanent failures, the first at least
``ALERTS_DISABLE_AFTER_HOURS`` before the last, none succeeded since): one bad moment of a
receiver, and every transient error (DNS, timeouts, 5xx), never turns alerts off.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from datetime import datetime, timedelta
from functools import partial

from celery.utils.time import get_exponential_backoff_interval
from django.conf import settings
from django.core.mail import mail_admins, send_mail
from django.db import OperationalError, transaction
from django.db.models import F, Q
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from .channels import TransportError, transport_for
from .models import Alert, AlertStatus, Channel, ChannelKind, DeliveryAttempt, EventKind, Team

log = logging.getLogger(__name__)

# Twilio delivery error codes after which texting the number again cannot work.
PERMANENT_SMS_ERRORS = {"21211", "21610", "21614", "30003", "30004", "30005", "30006"}
# Longer than any transport's own timeout: a lease that runs out means the sender died.
SEND_LEASE = timedelta(minutes=3)
MARK_TRIES = 6


def sms_sent_this_month(team: Team, now: datetime) -> int:
    local = now.astimezone(timezone.get_default_timezone())
    month_start = local.replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    return Alert.objects.filter(
        channel__team=team,
        channel__kind=ChannelKind.SMS,
        sent_at__gte=month_start,
        status__in=(AlertStatus.SENT, AlertStatus.DELIVERED, AlertStatus.FAILED),
    ).count()


def claimable(now: datetime) -> Q:
    """Alerts a sender may take: pending ones, and those whose sender died mid-send."""
    return Q(status=AlertStatus.PENDING) | Q(status=AlertStatus.SENDING, claimed_until__lt=now)


def deliver(alert_id: int, *, retries: int = 0, max_retries: int = 6) -> int | None:
    """Send one alert. Returns the seconds to wait before a retry, or None when finished."""
    alert = _claim(alert_id)
    if alert is None:
        return None
    try:
        provider_id = transport_for(alert.channel.kind).notify(alert)
    except TransportError as exc:
        return _with_retries(partial(_transport_failed, alert, exc, retries, max_retries))
    _with_retries(partial(_mark_sent, alert, provider_id or ""))
    return None


def _claim(alert_id: int) -> Alert | None:
    """Take the alert for sending (counting the attempt), or None when it is not ours to send."""
    now = timezone.now()
    with transaction.atomic():
        claimed = Alert.objects.filter(claimable(now), pk=alert_id).update(
            status=AlertStatus.SENDING, claimed_until=now + SEND_LEASE, attempts=F("attempts") + 1
        )
        if not claimed:
            return None
        alert = Alert.objects.select_related("channel__team", "event").get(pk=alert_id)
        channel = alert.channel
        is_test = alert.event is not None and alert.event.kind == EventKind.CHANNEL_TEST
        if not channel.enabled and not is_test:
            _finish_failed(alert, _("channel disabled: %(reason)s") % {"reason": channel.disabled_reason})
            return None
        if channel.kind == ChannelKind.SMS:
            team = Team.objects.select_for_update().get(pk=channel.team_id)
            # This alert is not counted yet: it has no sent_at.
            if sms_sent_this_month(team, now) >= team.monthly_sms_quota:
                _finish_failed(alert, _("monthly SMS quota of team %(team)s used up") % {"team": team.name})
                return None
        Channel.objects.filter(pk=channel.pk).update(last_attempt_at=now)
    return alert


def _with_retries(write: Callable[[], int | None]) -> int | None:
    """Write an outcome that must not be lost while the database is briefly busy or away."""
    for attempt in range(MARK_TRIES):
        try:
            with transaction.atomic():
                return write()
        except OperationalError:
            if attempt == MARK_TRIES - 1:
                raise
            log.warning("database busy while recording a delivery; trying again", exc_info=True)
            time.sleep(0.5 * 2**attempt)
    return None


def _mark_sent(alert: Alert, provider_id: str) -> None:
    sent_at = timezone.now()
    Alert.objects.filter(pk=alert.pk, status=AlertStatus.SENDING).update(
        status=AlertStatus.SENT,
        sent_at=sent_at,
        provider_id=provider_id[:64],
        error="",
        next_attempt_at=None,
        claimed_until=None,
    )
    DeliveryAttempt.objects.create(alert=alert, ok=True)
    Channel.objects.filter(pk=alert.channel_id).update(
        last_result="ok", last_error="", last_success_at=sent_at
    )


def _finish_failed(alert: Alert, error: str, *, permanent: bool = False) -> None:
    Alert.objects.filter(pk=alert.pk).update(
        status=AlertStatus.FAILED, error=error[:500], next_attempt_at=None, claimed_until=None
    )
    DeliveryAttempt.objects.create(alert=alert, ok=False, permanent=permanent, error=error[:500])


def _transport_failed(alert: Alert, exc: TransportError, retries: int, max_retries: int) -> int | None:
    error = str(exc)[:500]
    Channel.objects.filter(pk=alert.channel_id).update(last_result="error", last_error=error)
    if exc.permanent:
        _finish_failed(alert, error, permanent=True)
        note_permanent_failure(alert.channel, error)
        return None
    if retries >= max_retries:
        _finish_failed(
            alert, _("gave up after %(n)d attempts: %(error)s") % {"n": alert.attempts, "error": error}
        )
        return None
    countdown = get_exponential_backoff_interval(
        factor=settings.ALERTS_RETRY_BACKOFF_SECONDS,
        retries=retries,
        maximum=settings.ALERTS_RETRY_BACKOFF_MAX_SECONDS,
        full_jitter=settings.ALERTS_RETRY_JITTER,
    )
    Alert.objects.filter(pk=alert.pk, status=AlertStatus.SENDING).update(
        status=AlertStatus.PENDING,
        error=error,
        next_attempt_at=timezone.now() + timedelta(seconds=countdown),
        claimed_until=None,
    )
    DeliveryAttempt.objects.create(alert=alert, ok=False, error=error, retry_in=countdown)
    return countdown


# --------------------------------------------------------------------------- channel health


def note_permanent_failure(channel: Channel, reason: str) -> bool:
    """Disable the channel when its permanent failures have repeated over time; True if it was."""
    channel.refresh_from_db(fields=["enabled", "last_success_at"])
    if not channel.enabled:
        return False
    failures = DeliveryAttempt.objects.filter(alert__channel=channel, ok=False, permanent=True)
    if channel.last_success_at is not None:
        failures = failures.filter(at__gt=channel.last_success_at)
    times = list(failures.order_by("at").values_list("at", flat=True))
    if len(times) < settings.ALERTS_DISABLE_AFTER_FAILURES:
        return False
    if times[-1] - times[0] < timedelta(hours=settings.ALERTS_DISABLE_AFTER_HOURS):
        return False
    disable_channel(
        channel,
        _("%(n)d permanent failures since %(since)s, the last: %(reason)s")
        % {
            "n": len(times),
            "since": timezone.localtime(times[0]).strftime("%Y-%m-%d %H:%M"),
            "reason": reason,
        },
    )
    return True


def disable_channel(channel: Channel, reason: str) -> None:
    """Turn a channel off, show why, and tell the admins by e-mail."""
    channel.enabled = False
    channel.disabled_reason = reason[:500]
    channel.disabled_at = timezone.now()
    channel.save(update_fields=["enabled", "disabled_reason", "disabled_at"])
    transaction.on_commit(lambda: _mail_channel_disabled(channel.pk))


def _mail_channel_disabled(channel_id: int) -> None:
    from .services import console_url

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
        permanent_error = ""
        if status == "delivered" and alert.status in (AlertStatus.SENT, AlertStatus.PENDING):
            alert.status = AlertStatus.DELIVERED
            alert.delivered_at = timezone.now()
        elif status in ("failed", "undelivered"):
            code = params.get("ErrorCode", "")
            alert.status = AlertStatus.FAILED
            alert.error = f"Twilio {status} {code}".strip()
            if code in PERMANENT_SMS_ERRORS:
                permanent_error = alert.error
        alert.save()
        if permanent_error:
            DeliveryAttempt.objects.create(alert=alert, ok=False, permanent=True, error=permanent_error)
            note_permanent_failure(alert.channel, permanent_error)
    return True
