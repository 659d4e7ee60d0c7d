"""Self-test heartbeats travel the signal pipeline, a watched folder or a canary number; a missing one
raises a critical alert."""

from __future__ import annotations

import base64
from datetime import timedelta
from pathlib import Path

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone
from twilio.request_validator import RequestValidator

from canary.alerts import selftest
from canary.alerts.models import Event, EventKind, Incident, SelfTest, SelfTestMode, Severity
from canary.attribution.models import Signal, SignalKind
from canary.attribution.services import collect_signals
from canary.phones.models import Contact
from canary.sightings.models import Document, DocumentStatus, Sighting, Source, SourceKind

from .conftest import SMS_FROM, TWILIO_SID, TWILIO_TOKEN, twilio_message

pytestmark = pytest.mark.django_db


@pytest.fixture
def heartbeat(campaign):
    return SelfTest.objects.create(name="pipeline", decoy=campaign.decoys.first(), expected_within_seconds=60)


def test_heartbeat_is_seen_by_the_pipeline_without_opening_an_incident(heartbeat, run_on_commit):
    run_on_commit(selftest.send_heartbeat, heartbeat)

    heartbeat.refresh_from_db()
    assert heartbeat.last_seen_at is not None and heartbeat.last_seen_at >= heartbeat.last_sent_at
    assert heartbeat.last_latency_ms is not None
    assert not Incident.objects.exists()
    assert selftest.check() == []


def test_heartbeat_not_seen_in_time_raises_a_critical_alert(
    heartbeat, receiver, make_channel, make_rule, run_on_commit
):
    make_rule(
        make_channel("webhook", receiver.url, secret="k"),
        events=[EventKind.WATCHER_UNHEALTHY],
        min_severity=Severity.CRITICAL,
    )
    SelfTest.objects.filter(pk=heartbeat.pk).update(
        last_sent_at=timezone.now() - timedelta(minutes=5), last_key="lost"
    )

    missed = run_on_commit(selftest.check)
    again = run_on_commit(selftest.check)

    assert [m.pk for m in missed] == [heartbeat.pk] and again == []
    (request,) = receiver.requests
    body = request.json()
    assert body["event"] == EventKind.WATCHER_UNHEALTHY and body["severity"] == Severity.CRITICAL
    assert "pipeline" in body["detail"]


# --------------------------------------------------------------------------- through the watchers


def make_selftest(**fields) -> SelfTest:
    fields.setdefault("expected_within_seconds", 300)
    test = SelfTest(**fields)
    test.full_clean()
    test.save()
    return test


def no_leak_evidence(decoy) -> None:
    """Self-test signals raise no signal event, open no incident and stay out of attribution."""
    assert not Incident.objects.exists()
    assert not Event.objects.filter(kind__in=[EventKind.SIGNAL, EventKind.STRONG_SIGNAL]).exists()
    assert Signal.objects.filter(decoys=decoy).exists()
    assert collect_signals(decoy.campaign) == {}


def test_source_heartbeat_is_planted_fetched_scanned_and_seen(selftest_decoy, drop, run_on_commit):
    test = make_selftest(name="folder", decoy=selftest_decoy, mode=SelfTestMode.SOURCE, source=drop)

    key = run_on_commit(selftest.send_heartbeat, test)

    planted = Path(drop.path) / f"selftest-{test.pk}-{key.rsplit(':', 1)[1]}.csv"
    lines = planted.read_text(encoding="utf-8").splitlines()
    assert lines[0] == "运单号,收件人,收件电话,收件地址,下单时间,备注"
    assert lines[1].startswith(
        f"{selftest_decoy.waybill_no},{selftest_decoy.recipient_name},{selftest_decoy.recipient_phone},"
    )
    assert lines[1].endswith(key.rsplit(":", 1)[1])
    document = Document.objects.get(source=drop)
    assert document.name == planted.name and document.status == DocumentStatus.DONE
    sighting = Sighting.objects.get(document=document)
    assert sighting.decoy == selftest_decoy and sighting.strength == "strong"
    signal = Signal.objects.get(decoys=selftest_decoy)
    assert signal.kind == SignalKind.ONLINE and signal.origin == f"sightings.document:{document.pk}"
    test.refresh_from_db()
    assert test.last_error == "" and test.last_key == key
    assert test.last_seen_at >= test.last_sent_at and test.last_latency_ms is not None
    no_leak_evidence(selftest_decoy)
    assert selftest.check(timezone.now() + timedelta(hours=1)) == []

    # The next heartbeat is a new file (new hash) and updates the same signal: still seen.
    second = run_on_commit(selftest.send_heartbeat, test)

    assert second != key and not planted.exists()
    assert Document.objects.filter(source=drop).count() == 2
    signal.refresh_from_db()
    assert signal.occurrences == 2 and signal.origin == f"sightings.document:{document.pk}"
    test.refresh_from_db()
    assert test.last_key == second and test.last_seen_at >= test.last_sent_at
    no_leak_evidence(selftest_decoy)


@pytest.fixture
def critical_receiver(receiver, make_channel, make_rule):
    make_rule(
        make_channel("webhook", receiver.url, secret="k"),
        events=[EventKind.WATCHER_UNHEALTHY],
        min_severity=Severity.CRITICAL,
    )
    return receiver


def test_source_heartbeat_into_a_disabled_source_is_missed_and_raises_a_critical_alert(
    selftest_decoy, drop, critical_receiver, run_on_commit
):
    Source.objects.filter(pk=drop.pk).update(enabled=False)
    test = make_selftest(name="drop heartbeat", decoy=selftest_decoy, mode=SelfTestMode.SOURCE, source=drop)

    run_on_commit(selftest.send_heartbeat, test)
    in_time = run_on_commit(selftest.check, timezone.now() + timedelta(seconds=60))
    late = run_on_commit(selftest.check, timezone.now() + timedelta(seconds=301))

    test.refresh_from_db()
    assert list(Path(drop.path).iterdir()) and not Document.objects.exists()
    assert test.last_error == "" and test.last_seen_at is None and test.missed
    assert in_time == [] and [m.pk for m in late] == [test.pk]
    (request,) = critical_receiver.requests
    body = request.json()
    assert body["event"] == EventKind.WATCHER_UNHEALTHY and body["severity"] == Severity.CRITICAL
    assert "drop heartbeat" in body["detail"] and "self-test drop" in body["detail"]  # test and source


def test_source_heartbeat_into_a_missing_folder_records_the_error_and_is_missed(
    selftest_decoy, drop, critical_receiver, run_on_commit
):
    test = make_selftest(name="folder", decoy=selftest_decoy, mode=SelfTestMode.SOURCE, source=drop)
    Path(drop.path).rmdir()

    run_on_commit(selftest.send_heartbeat, test)

    test.refresh_from_db()
    assert "no such folder" in test.last_error and test.last_sent_at is not None
    (failed,) = Event.objects.filter(kind=EventKind.WATCHER_UNHEALTHY)
    assert failed.severity == Severity.HIGH and failed.payload["subject"] == f"selftest:{test.pk}:send"
    assert critical_receiver.requests == []  # the rule pages on critical events only

    missed = run_on_commit(selftest.check, timezone.now() + timedelta(seconds=301))

    assert [m.pk for m in missed] == [test.pk]
    (request,) = critical_receiver.requests
    body = request.json()
    assert body["severity"] == Severity.CRITICAL and "no such folder" in body["detail"]


def test_a_source_self_test_needs_a_watched_folder_under_the_root(selftest_decoy, drop, tmp_path):
    page = Source.objects.create(name="forum", kind=SourceKind.HTTP_PAGE, url="https://example.com/")
    outside = Source.objects.create(name="etc", kind=SourceKind.FOLDER, path="/etc")

    for source in (None, page, outside):
        with pytest.raises(ValidationError) as refused:
            make_selftest(name="bad", decoy=selftest_decoy, mode=SelfTestMode.SOURCE, source=source)
        assert "source" in refused.value.message_dict
    with pytest.raises(ValidationError) as refused:
        make_selftest(name="bad", decoy=selftest_decoy, mode=SelfTestMode.SIGNAL, source=drop)
    assert "source" in refused.value.message_dict


def test_sms_heartbeat_texts_the_canary_number_and_the_inbound_webhook_marks_it_seen(
    selftest_decoy, receiver, settings, client, run_on_commit, django_capture_on_commit_callbacks
):
    settings.TWILIO_API_BASE_URL = receiver.url
    receiver.default = (201, twilio_message)
    test = make_selftest(name="sms", decoy=selftest_decoy, mode=SelfTestMode.SMS)
    number = selftest_decoy.number.e164

    key = run_on_commit(selftest.send_heartbeat, test)

    nonce = key.rsplit(":", 1)[1]
    (request,) = receiver.requests
    assert request.path == f"/2010-04-01/Accounts/{TWILIO_SID}/Messages.json"
    auth = base64.b64decode(request.headers["Authorization"].split()[1]).decode()
    assert auth == f"{TWILIO_SID}:{TWILIO_TOKEN}"
    assert request.form() == {
        "To": [number],
        "From": [SMS_FROM],
        "Body": [f"您好，快递{selftest_decoy.waybill_no}已到站，请核对。自检码{nonce}"],
    }
    test.refresh_from_db()
    assert test.last_error == "" and test.last_seen_at is None

    # Twilio delivers the text to our canary number and calls the inbound SMS webhook.
    path = reverse("phones:twilio-sms")
    params = {
        "MessageSid": "SM" + "3" * 32,
        "SmsSid": "SM" + "3" * 32,
        "AccountSid": TWILIO_SID,
        "From": SMS_FROM,
        "To": number,
        "Body": request.form()["Body"][0],
        "NumMedia": "0",
        "NumSegments": "1",
    }
    signature = RequestValidator(TWILIO_TOKEN).compute_signature(settings.PUBLIC_BASE_URL + path, params)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(path, params, HTTP_X_TWILIO_SIGNATURE=signature)

    assert response.status_code == 200
    contact = Contact.objects.get()
    assert contact.processed_at is not None and list(contact.matched_decoys.all()) == [selftest_decoy]
    test.refresh_from_db()
    assert test.last_seen_at >= test.last_sent_at and test.last_latency_ms is not None
    assert not test.missed and selftest.check(timezone.now() + timedelta(hours=1)) == []
    no_leak_evidence(selftest_decoy)


def test_sms_heartbeat_twilio_refuses_records_the_error_instead_of_crashing(
    selftest_decoy, receiver, settings, run_on_commit
):
    settings.TWILIO_API_BASE_URL = receiver.url
    receiver.default = (400, '{"code": 21211, "message": "Invalid To number", "status": 400}')
    test = make_selftest(name="sms", decoy=selftest_decoy, mode=SelfTestMode.SMS)

    run_on_commit(selftest.send_heartbeat, test)

    test.refresh_from_db()
    assert "21211" in test.last_error and test.last_sent_at is not None
    (event,) = Event.objects.filter(kind=EventKind.WATCHER_UNHEALTHY)
    assert "21211" in event.payload["detail"]
    assert [m.pk for m in selftest.check(timezone.now() + timedelta(seconds=301))] == [test.pk]
