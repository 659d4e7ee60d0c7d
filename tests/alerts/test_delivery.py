"""From a recorded signal to alerts: retries, disabling, throttling, digests, quiet hours, quota."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone
from twilio.request_validator import RequestValidator

from canary.alerts import delivery, services
from canary.alerts.models import Alert, AlertStatus, DeliveryAttempt, Event, EventKind, Severity

from .conftest import TWILIO_TOKEN, twilio_message

pytestmark = pytest.mark.django_db


def test_transient_failure_is_retried_with_backoff_and_delivered_once(
    receiver, make_channel, make_rule, strong_signal
):
    receiver.script.extend([(503, "busy"), (503, "busy")])
    make_rule(make_channel("webhook", receiver.url, secret="k"), events=[EventKind.INCIDENT_OPENED])

    strong_signal()

    (alert,) = Alert.objects.all()
    assert alert.status == AlertStatus.SENT and alert.attempts == 3
    attempts = list(alert.delivery_attempts.values_list("ok", "retry_in"))
    assert attempts == [(False, 2), (False, 4), (True, None)]
    assert len(receiver.requests) == 3  # two refused, one accepted: delivered once


def test_one_permanent_failure_fails_the_alert_but_keeps_the_channel(
    receiver, make_channel, make_rule, strong_signal, smtp
):
    receiver.default = (410, "gone")
    channel = make_channel("webhook", receiver.url, secret="k")
    make_rule(channel, events=[EventKind.INCIDENT_OPENED])

    strong_signal()
    channel.refresh_from_db()

    assert Alert.objects.get().status == AlertStatus.FAILED
    assert channel.enabled and channel.last_error.startswith("HTTP 410")
    assert smtp.messages == []


def test_permanent_failures_repeated_over_hours_disable_the_channel_and_stop_further_alerts(
    receiver, make_channel, make_rule, strong_signal, smtp, settings
):
    settings.ALERTS_DISABLE_AFTER_FAILURES, settings.ALERTS_DISABLE_AFTER_HOURS = 3, 6
    receiver.default = (410, "gone")
    channel = make_channel("webhook", receiver.url, secret="k")
    make_rule(channel, events=[EventKind.STRONG_SIGNAL], throttle_minutes=0)

    strong_signal()
    strong_signal()
    DeliveryAttempt.objects.update(at=timezone.now() - timedelta(hours=7))
    channel.refresh_from_db()
    assert channel.enabled  # two failures, however old, are not enough

    strong_signal()
    channel.refresh_from_db()

    assert not channel.enabled and "HTTP 410" in channel.disabled_reason
    assert len(smtp.messages) == 2  # the site admins and the team's admins
    strong_signal()
    assert len(receiver.requests) == 3


def test_permanent_failures_within_minutes_do_not_disable_the_channel(
    receiver, make_channel, make_rule, strong_signal, settings
):
    settings.ALERTS_DISABLE_AFTER_FAILURES, settings.ALERTS_DISABLE_AFTER_HOURS = 3, 6
    receiver.default = (410, "gone")
    channel = make_channel("webhook", receiver.url, secret="k")
    make_rule(channel, events=[EventKind.STRONG_SIGNAL], throttle_minutes=0)

    for _ in range(5):
        strong_signal()
    channel.refresh_from_db()

    assert channel.enabled and len(receiver.requests) == 5


def test_hundred_strong_signals_for_one_incident_make_one_alert_and_one_counted_digest(
    receiver, make_channel, make_rule, strong_signal, run_on_commit
):
    make_rule(make_channel("webhook", receiver.url, secret="k"), throttle_minutes=60)

    for _ in range(100):
        strong_signal()

    assert len(receiver.requests) == 1
    assert receiver.requests[0].json()["event"] == EventKind.INCIDENT_OPENED
    assert Event.objects.filter(kind=EventKind.STRONG_SIGNAL).count() == 100
    assert Alert.objects.filter(status=AlertStatus.HELD, hold_reason="throttle").count() == 100

    assert run_on_commit(services.send_digests, timezone.now()) == 0  # still inside the window
    assert run_on_commit(services.send_digests, timezone.now() + timedelta(minutes=61)) == 1

    digest = Alert.objects.get(is_digest=True)
    assert digest.status == AlertStatus.SENT and digest.digest_count == 100
    assert Alert.objects.filter(status=AlertStatus.DIGESTED, digest=digest).count() == 100
    body = receiver.requests[1].json()
    assert body["digest"]["count"] == 100
    assert [item["count"] for item in body["digest"]["items"]] == [100]


def _quiet_now():
    local = timezone.localtime()
    return (local - timedelta(hours=1)).time(), (local + timedelta(hours=1)).time()


def test_quiet_hours_hold_ordinary_events_for_the_morning_digest(
    receiver, make_channel, make_rule, strong_signal
):
    start, end = _quiet_now()
    make_rule(make_channel("webhook", receiver.url, secret="k"), quiet_start=start, quiet_end=end)

    strong_signal()

    assert receiver.requests == []
    held = Alert.objects.filter(status=AlertStatus.HELD, hold_reason="quiet_hours")
    assert held.count() == 2  # the new incident and its strong signal, both kept
    assert timezone.localtime(held.first().release_after).time().replace(
        second=0, microsecond=0
    ) == end.replace(second=0, microsecond=0)


def test_critical_event_breaks_through_quiet_hours_and_escalates(
    receiver, make_channel, make_rule, run_on_commit
):
    start, end = _quiet_now()
    day_channel = make_channel("webhook", receiver.url + "/day", secret="k", name="day")
    on_call = make_channel("webhook", receiver.url + "/on-call", secret="k", name="on-call")
    make_rule(day_channel, escalation=[on_call], quiet_start=start, quiet_end=end)

    run_on_commit(
        services.raise_watcher_unhealthy, "selftest:1", "heartbeat missed", severity=Severity.CRITICAL
    )

    assert sorted(r.path for r in receiver.requests) == ["/day", "/on-call"]
    assert Alert.objects.get(channel=on_call).escalation


def test_rule_filters_by_event_kind_and_severity(receiver, make_channel, make_rule, strong_signal):
    make_rule(
        make_channel("webhook", receiver.url, secret="k"),
        events=[EventKind.INCIDENT_OPENED],
        min_severity=Severity.HIGH,
    )

    strong_signal()
    strong_signal(strength=0.2)

    assert [r.json()["event"] for r in receiver.requests] == [EventKind.INCIDENT_OPENED]


def test_sms_quota_stops_texts_for_the_rest_of_the_month(
    receiver, make_channel, run_on_commit, settings, team
):
    settings.TWILIO_API_BASE_URL = receiver.url
    receiver.default = (201, twilio_message)
    team.monthly_sms_quota = 1
    team.save()
    channel = make_channel("sms", "+447700900201")

    first = run_on_commit(services.send_test, channel)
    second = run_on_commit(services.send_test, channel)

    first.refresh_from_db(), second.refresh_from_db()
    assert first.status == AlertStatus.SENT
    assert second.status == AlertStatus.FAILED and "配额" in second.error
    assert len(receiver.requests) == 1


@pytest.fixture
def sent_sms(receiver, make_channel, run_on_commit, settings):
    settings.TWILIO_API_BASE_URL = receiver.url
    receiver.default = (201, twilio_message)
    alert = run_on_commit(services.send_test, make_channel("sms", "+447700900201"))
    alert.refresh_from_db()
    return alert


def _status_post(client, alert, **params):
    path = f"/alerts/twilio/status/{alert.pk}/"
    params = {"MessageSid": alert.provider_id, "AccountSid": "AC" + "0" * 32, **params}
    signature = RequestValidator(TWILIO_TOKEN).compute_signature("https://canary.example.com" + path, params)
    return client.post(path, params, HTTP_X_TWILIO_SIGNATURE=signature)


def test_signed_twilio_status_callback_marks_sms_delivered(client, sent_sms):
    response = _status_post(client, sent_sms, MessageStatus="delivered")

    sent_sms.refresh_from_db()
    assert response.status_code == 204
    assert sent_sms.status == AlertStatus.DELIVERED and sent_sms.delivered_at is not None


def test_unsigned_status_callback_is_refused(client, sent_sms):
    response = client.post(f"/alerts/twilio/status/{sent_sms.pk}/", {"MessageStatus": "delivered"})

    sent_sms.refresh_from_db()
    assert response.status_code == 403 and sent_sms.status == AlertStatus.SENT


def test_undeliverable_number_reported_by_twilio_disables_the_sms_channel(client, sent_sms, smtp, settings):
    settings.ALERTS_DISABLE_AFTER_FAILURES, settings.ALERTS_DISABLE_AFTER_HOURS = 1, 0
    _status_post(client, sent_sms, MessageStatus="undelivered", ErrorCode="30005")

    sent_sms.refresh_from_db()
    sent_sms.channel.refresh_from_db()
    assert sent_sms.status == AlertStatus.FAILED
    assert not sent_sms.channel.enabled and "30005" in sent_sms.channel.disabled_reason


def test_sweeper_requeues_an_alert_whose_task_was_lost(receiver, make_channel, make_rule, run_on_commit):
    channel = make_channel("webhook", receiver.url, secret="k")
    event = Event.objects.create(kind=EventKind.WATCHER_UNHEALTHY, severity=Severity.WARNING)
    lost = Alert.objects.create(event=event, channel=channel, payload={"event": event.kind})
    Alert.objects.filter(pk=lost.pk).update(created_at=timezone.now() - timedelta(minutes=10))

    result = run_on_commit(services.sweep)

    lost.refresh_from_db()
    assert result["alerts"] == 1 and lost.status == AlertStatus.SENT


def test_an_alert_being_sent_by_a_live_worker_is_not_sent_again(receiver, make_channel, run_on_commit):
    channel = make_channel("webhook", receiver.url, secret="k")
    alert = run_on_commit(services.send_test, channel)
    Alert.objects.filter(pk=alert.pk).update(
        status=AlertStatus.SENDING, claimed_until=timezone.now() + timedelta(minutes=1), sent_at=None
    )
    receiver.requests.clear()

    assert delivery.deliver(alert.pk) is None
    assert run_on_commit(services.sweep)["alerts"] == 0
    assert receiver.requests == []


def test_an_alert_whose_sender_died_mid_send_is_sent_again_with_the_same_key(
    receiver, make_channel, run_on_commit
):
    channel = make_channel("webhook", receiver.url, secret="k")
    event = Event.objects.create(kind=EventKind.WATCHER_UNHEALTHY, severity=Severity.WARNING)
    alert = Alert.objects.create(event=event, channel=channel, payload={"event": event.kind})
    Alert.objects.filter(pk=alert.pk).update(
        status=AlertStatus.SENDING, attempts=1, claimed_until=timezone.now() - timedelta(seconds=1)
    )

    assert run_on_commit(services.sweep)["alerts"] == 1

    alert.refresh_from_db()
    assert alert.status == AlertStatus.SENT and alert.attempts == 2
    (request,) = receiver.requests
    assert request.headers["Idempotency-Key"] == str(alert.idempotency_key)
