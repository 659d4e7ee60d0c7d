"""SIM-gateway canary numbers: events signed exactly as SMS Gateway for Android signs them."""

from __future__ import annotations

import hashlib
import hmac
import io
import json
import time
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from canary.alerts.gateway_watch import check_silent_gateways
from canary.alerts.models import Event, EventKind
from canary.phones.gateways import gateway_statuses
from canary.phones.models import CanaryNumber, Contact, NumberAssignment, SecurityEvent, SmsGateway
from canary.phones.providers import ProviderError, get_provider
from canary.phones.providers.smsgate import missed_calls

HOOK = "/hooks/smsgate/"
KEY = "gateway-signing-key-for-tests"
DEVICE = "dev-7Hq2"
CALLER = "+8613712345678"
BEIJING = ZoneInfo("Asia/Shanghai")
# The device's clock, in its zone (Beijing), as the app reports it: an hour ago.
RECEIVED_AT = (datetime.now(BEIJING) - timedelta(hours=1)).replace(microsecond=0)


@pytest.fixture
def smsgate_key(settings):
    settings.SMSGATE_SIGNING_KEY = KEY
    return KEY


@pytest.fixture
def gateway_number(campaign, smsgate_key):
    """The campaign's first canary number, on SIM 1 of a gateway phone."""
    number = campaign.numbers.order_by("e164").first()
    call_command(
        "add_numbers",
        number.e164,
        "--provider",
        "smsgate",
        "--device",
        DEVICE,
        "--sim",
        "1",
        stdout=io.StringIO(),
    )
    number.refresh_from_db()
    # The campaign has been running for a day: calls from this morning belong to it.
    NumberAssignment.objects.filter(number=number).update(assigned_at=timezone.now() - timedelta(days=1))
    return number


def event(kind: str, event_id: str, device: str = DEVICE, **payload) -> bytes:
    body = {"deviceId": device, "event": kind, "id": event_id, "webhookId": "wh-1", "payload": payload}
    return json.dumps(body, ensure_ascii=False).encode()


def sms(event_id: str, message: str, sender: str = CALLER, sim: int | None = 1, **extra) -> bytes:
    return event(
        "sms:received",
        event_id,
        messageId="m-" + hashlib.md5(message.encode()).hexdigest()[:8],
        message=message,
        phoneNumber=sender,
        simNumber=sim,
        receivedAt=RECEIVED_AT.isoformat(timespec="milliseconds"),
        **extra,
    )


pytestmark = pytest.mark.django_db


@pytest.fixture
def post_signed(client, django_capture_on_commit_callbacks):
    """POST a body the way the app does: X-Timestamp and hex HMAC-SHA256(key, body + timestamp);
    work queued after commit runs (eagerly) as it would after a real commit."""

    def post(body: bytes, *, key: str = KEY, timestamp: int | None = None, signature: str | None = None):
        stamp = str(int(time.time()) if timestamp is None else timestamp)
        mac = hmac.new(key.encode(), body + stamp.encode(), hashlib.sha256).hexdigest()
        with django_capture_on_commit_callbacks(execute=True):
            return client.post(
                HOOK,
                body,
                content_type="application/json",
                HTTP_X_TIMESTAMP=stamp,
                HTTP_X_SIGNATURE=mac if signature is None else signature,
            )

    return post


def test_a_signed_sms_is_stored_once_across_the_apps_retries(gateway_number, post_signed):
    body = sms("evt-0001", "您好，您的快递丢失了，我们双倍赔偿，加微信 kf8888")
    answers = [post_signed(body, timestamp=int(time.time()) + delay) for delay in (0, 10, 30)]
    assert [a.status_code for a in answers] == [200, 200, 200]
    assert [a.json()["status"] for a in answers] == ["stored", "duplicate", "duplicate"]
    contact = Contact.objects.get()
    assert (contact.provider, contact.provider_sid, contact.kind) == ("smsgate", "evt-0001", "sms")
    assert (contact.from_number, contact.to_number) == (CALLER, gateway_number.e164)
    assert contact.received_at == RECEIVED_AT
    # Processed like any SMS: the number's decoys are the candidates.
    assert contact.processed_at is not None and contact.signal_strength is not None


def test_an_sms_naming_a_decoy_is_a_strong_signal(gateway_number, post_signed):
    decoy = gateway_number.decoys.first()
    post_signed(sms("evt-0002", f"{decoy.recipient_name}您好，快递{decoy.waybill_no}异常，请回电"))
    contact = Contact.objects.get()
    assert contact.signal_strength >= 0.8
    assert decoy in contact.matched_decoys.all()


def test_the_same_event_id_from_another_device_is_kept_too(gateway_number, post_signed):
    post_signed(sms("evt-0003", "第一台"))
    assert (
        post_signed(sms("evt-0003", "第二台").replace(DEVICE.encode(), b"dev-other")).json()["status"]
        == "stored"
    )
    assert set(Contact.objects.values_list("provider_sid", flat=True)) == {"evt-0003", "evt-0003@dev-other"}


@pytest.mark.parametrize(
    ("kwargs", "reason"),
    [
        ({"signature": "0" * 64}, "bad signature"),
        ({"key": "someone-elses-key"}, "bad signature"),
        ({"timestamp": int(time.time()) - 301}, "stale timestamp"),
        ({"timestamp": int(time.time()) + 600}, "stale timestamp"),
        ({"signature": ""}, "missing signature"),
    ],
)
def test_forged_and_stale_events_are_refused_and_counted(gateway_number, post_signed, kwargs, reason):
    response = post_signed(sms("evt-0100", "伪造"), **kwargs)
    assert response.status_code == 403 and response.content.decode() == reason
    assert not Contact.objects.exists()
    refusal = SecurityEvent.objects.get(kind="smsgate.refused")
    assert refusal.detail == {"reason": reason} and refusal.count == 1


def test_a_signed_replay_with_its_old_timestamp_is_refused(gateway_number, post_signed):
    old = int(time.time()) - 3600
    assert post_signed(sms("evt-0101", "旧"), timestamp=old).status_code == 403


@pytest.mark.parametrize(
    "body",
    [
        b"not json",
        b"[]",
        json.dumps({"deviceId": DEVICE, "event": "sms:received"}).encode(),
        event("sms:received", "e1"),
    ],
)
def test_malformed_events_get_400_and_a_recorded_failure(smsgate_key, post_signed, body):
    response = post_signed(body)
    assert response.status_code == 400
    assert not Contact.objects.exists()
    assert SecurityEvent.objects.filter(kind="smsgate.malformed").exists()


def test_without_a_configured_key_everything_is_refused(post_signed, settings, db):
    settings.SMSGATE_SIGNING_KEY = ""
    assert post_signed(sms("evt-0200", "x")).status_code == 403


def test_a_ping_marks_the_device_alive_and_is_no_contact(gateway_number, post_signed):
    response = post_signed(event("system:ping", "ping-1", health={"status": "pass", "battery": 81}))
    assert response.status_code == 200 and response.json()["status"] == "heartbeat"
    assert not Contact.objects.exists()
    gateway = SmsGateway.objects.get(device_id=DEVICE)
    assert gateway.last_ping_at is not None and gateway.health == {"status": "pass", "battery": 81}
    [status] = gateway_statuses()
    assert status.numbers == (gateway_number,) and not status.silent
    assert check_silent_gateways() == []


def test_a_silent_gateway_raises_the_watcher_unhealthy_alert(gateway_number, post_signed, settings):
    post_signed(event("system:ping", "ping-2", health={"status": "pass"}))
    later = timezone.now() + timedelta(minutes=settings.SMSGATE_SILENT_MINUTES + 1)
    assert [g.device_id for g in check_silent_gateways(now=later)] == [DEVICE]
    alert = Event.objects.get(kind=EventKind.WATCHER_UNHEALTHY)
    assert alert.payload["subject"] == f"smsgate:{DEVICE}"
    assert gateway_number.e164 in alert.payload["detail"]
    assert [s.silent for s in gateway_statuses(now=later)] == [True]


def test_a_carriers_missed_call_notice_becomes_a_call_contact(gateway_number, post_signed):
    called = RECEIVED_AT.replace(second=0) - timedelta(minutes=17)
    notice = f"【来电提醒】您好，13712345678在{called:%m月%d日 %H:%M}给您来电1次，请及时回复。【中国移动】"
    assert post_signed(sms("evt-0300", notice, sender="10086")).json()["status"] == "stored"
    contact = Contact.objects.get()
    assert (contact.kind, contact.from_number, contact.to_number) == ("call", CALLER, gateway_number.e164)
    assert contact.provider_sid == "evt-0300"
    assert contact.received_at == called
    assert contact.processed_at is not None and contact.signal_strength is not None


@pytest.mark.parametrize(
    ("sender", "text", "expected"),
    [
        (
            "10010",
            "漏话提醒：18612345678于2026年12月06日23:41:05呼叫过您。【中国联通】",
            [("18612345678", (12, 6, 23, 41, 5))],
        ),
        (
            "+8610000",
            "【来电提醒】021-62345678在12-07 09:03呼叫过您，共2次。",
            [("02162345678", (12, 7, 9, 3, 0))],
        ),
        (
            "10086",
            "以下号码在您不方便接听时呼叫过您：13912345678 12月07日08:01；15812345678 12月07日08:20。",
            [("13912345678", (12, 7, 8, 1, 0)), ("15812345678", (12, 7, 8, 20, 0))],
        ),
    ],
)
def test_missed_call_notices_of_the_three_carriers_are_read(sender, text, expected):
    received = datetime(2026, 12, 7, 10, 0, tzinfo=BEIJING)
    calls = missed_calls(sender, text, received)
    assert [
        (
            c.caller,
            (c.called_at.month, c.called_at.day, c.called_at.hour, c.called_at.minute, c.called_at.second),
        )
        for c in calls
    ] == expected


def test_a_notice_from_january_about_a_call_on_new_years_eve_keeps_last_year():
    received = datetime(2027, 1, 1, 0, 5, tzinfo=BEIJING)
    [call] = missed_calls("10086", "13912345678在12月31日23:58给您来电", received)
    assert call.called_at == datetime(2026, 12, 31, 23, 58, tzinfo=BEIJING)


def test_an_ordinary_text_from_a_carrier_or_a_notice_from_anyone_else_is_an_sms():
    received = datetime(2026, 12, 7, 10, 0, tzinfo=BEIJING)
    assert missed_calls("10086", "您本月话费余额为 32.50 元。", received) == []
    assert missed_calls("+8613712345678", "来电提醒：13912345678在12月07日08:01呼叫过您", received) == []


def test_list_contacts_json_shows_the_event_id_as_provider_sid(gateway_number, post_signed):
    post_signed(sms("evt-0400", "你好"))
    out = io.StringIO()
    call_command("list_contacts", "--json", stdout=out)
    [row] = json.loads(out.getvalue())
    assert (row["provider"], row["provider_sid"], row["to"]) == ("smsgate", "evt-0400", gateway_number.e164)


def test_add_numbers_maps_a_sim_slot_once(smsgate_key, db):
    out = io.StringIO()
    call_command(
        "add_numbers",
        "+8613912340001",
        "--provider",
        "smsgate",
        "--device",
        "pool-1",
        "--sim",
        "2",
        stdout=out,
    )
    assert "added +8613912340001 (smsgate, device pool-1, SIM 2)" in out.getvalue()
    number = CanaryNumber.objects.get(e164="+8613912340001")
    assert (number.provider, number.gateway.device_id, number.sim_slot) == ("smsgate", "pool-1", 2)
    with pytest.raises(CommandError, match="SIM slot 2 of pool-1 already holds"):
        call_command(
            "add_numbers", "+8613912340002", "--provider", "smsgate", "--device", "pool-1", "--sim", "2"
        )
    with pytest.raises(CommandError, match="--device and --sim"):
        call_command("add_numbers", "+8613912340003", "--provider", "smsgate")


def test_sim_gateway_numbers_cannot_be_bought_only_registered():
    with pytest.raises(ProviderError, match="--provider smsgate --device DEVICE_ID --sim N"):
        get_provider("smsgate").buy_numbers("CN", 1)
