"""Signed deliveries are stored whatever their shape: nothing a provider signs is refused.

Twilio requests are form-encoded and signed exactly as Twilio signs them; Alibaba receipts come on
the secret path; tracking reports carry the shared-secret HMAC.
"""

from __future__ import annotations

import base64
import json
import time
from urllib.parse import urlencode

import pytest

from canary.campaigns.models import Decoy
from canary.phones.models import Contact, TrackingLookup, UnreadDelivery

from .conftest import call_params, sms_params, twilio_signature
from .test_aliyun_pls import URL as ALIYUN_URL
from .test_aliyun_pls import aliyun_env  # noqa: F401 - fixture
from .test_tracking_hook import post_signed, tracking_env  # noqa: F401 - fixture

pytestmark = pytest.mark.django_db

SMS = "/hooks/twilio/sms/"
VOICE = "/hooks/twilio/voice/"
RECORDING = "/hooks/twilio/recording/"
TRANSCRIPTION = "/hooks/twilio/transcription/"
STATUS = "/hooks/twilio/status/"
CANARY = "+447700900200"


@pytest.fixture
def post_form(client, twilio_env):
    """POST as Twilio does: application/x-www-form-urlencoded, signed over the public URL."""

    def post(path: str, params: dict):
        return client.post(
            path,
            urlencode(params),
            content_type="application/x-www-form-urlencoded",
            HTTP_X_TWILIO_SIGNATURE=twilio_signature(path, params),
        )

    return post


def test_a_message_sid_longer_than_its_column_is_stored_under_a_unique_bounded_id(post_form):
    long_sid = "SM" + "7" * 200
    other = "SM" + "7" * 199 + "8"
    assert post_form(SMS, sms_params(long_sid, CANARY, "一")).status_code == 200
    assert post_form(SMS, sms_params(other, CANARY, "二")).status_code == 200
    first, second = Contact.objects.order_by("id")
    assert len(first.provider_sid) <= 100 and first.provider_sid != second.provider_sid
    assert first.raw["sms"]["MessageSid"] == long_sid
    assert "provider_sid:hashed" in first.anomalies
    # A retry of the long-id message is still absorbed.
    post_form(SMS, sms_params(long_sid, CANARY, "一"))
    assert Contact.objects.count() == 2


def test_a_nul_in_the_body_is_stored_and_the_exact_request_kept(post_form):
    params = sms_params("SM" + "a" * 32, CANARY, "加微信\x00kf8888")
    assert post_form(SMS, params).status_code == 200
    contact = Contact.objects.get()
    assert contact.body == "加微信\ufffdkf8888"
    assert {"body:nul", "raw:nul"} <= set(contact.anomalies)
    exact = base64.b64decode(contact.raw["sms"]["body_base64"]).decode()
    assert exact == urlencode(params)


def test_a_sender_longer_than_its_column_is_cut_in_the_column_and_whole_in_the_raw_request(post_form):
    sender = "+86" + "1" * 60
    assert post_form(SMS, sms_params("SM" + "b" * 32, CANARY, "hi", sender=sender)).status_code == 200
    contact = Contact.objects.get()
    assert contact.from_number == sender[:32]
    assert contact.raw["sms"]["From"] == sender
    assert "from_number:truncated" in contact.anomalies


def test_sms_without_a_message_sid_gets_an_id_from_its_body_and_is_not_merged(post_form):
    def without_sid(body: str) -> dict:
        params = sms_params("", CANARY, body)
        del params["MessageSid"], params["SmsSid"]
        return params

    post_form(SMS, without_sid("第一条"))
    post_form(SMS, without_sid("第二条"))
    post_form(SMS, without_sid("第一条"))  # a retry of the first
    contacts = Contact.objects.order_by("id")
    assert [c.body for c in contacts] == ["第一条", "第二条"]
    assert all(c.provider_sid.startswith("twilio:MessageSid:sha256:") for c in contacts)
    assert all("provider_sid:missing" in c.anomalies for c in contacts)


def test_a_huge_num_media_is_bounded_and_not_allocated(post_form):
    params = sms_params(
        "SM" + "c" * 32,
        CANARY,
        "图",
        NumMedia="100000000",
        MediaUrl0="https://api.twilio.com/2010-04-01/Accounts/AC/Messages/MM/Media/ME1",
        MediaContentType0="image/jpeg",
    )
    started = time.monotonic()
    assert post_form(SMS, params).status_code == 200
    assert time.monotonic() - started < 5
    contact = Contact.objects.get()
    assert contact.media_urls == [{"url": params["MediaUrl0"], "content_type": "image/jpeg"}]
    assert "NumMedia:bounded" in contact.anomalies
    assert contact.raw["sms"]["NumMedia"] == "100000000"


def test_a_media_url_that_is_not_http_is_kept_only_in_the_raw_request(post_form):
    params = sms_params("SM" + "d" * 32, CANARY, "图", NumMedia="1", MediaUrl0="javascript:alert(1)")
    post_form(SMS, params)
    contact = Contact.objects.get()
    assert contact.media_urls == []
    assert contact.raw["sms"]["MediaUrl0"] == "javascript:alert(1)"
    assert "media_url:not_http" in contact.anomalies


def test_a_call_duration_past_two_to_the_31_is_stored_without_the_duration(post_form):
    sid = "CA" + "e" * 32
    post_form(VOICE, call_params(sid, CANARY))
    response = post_form(STATUS, call_params(sid, CANARY, CallStatus="completed", CallDuration=str(2**31)))
    assert response.status_code == 200
    contact = Contact.objects.get()
    assert (contact.call_status, contact.call_duration) == ("completed", None)
    assert contact.raw["status"]["CallDuration"] == str(2**31)
    assert "CallDuration:out_of_range" in contact.anomalies


@pytest.mark.parametrize(
    ("url", "anomaly"),
    [
        pytest.param("https://api.twilio.com/" + "r" * 600, "recording_url:too_long", id="too-long"),
        pytest.param("javascript:alert(document.cookie)", "recording_url:not_http", id="javascript"),
    ],
)
def test_a_recording_url_that_is_too_long_or_not_http_is_kept_only_in_the_raw_request(
    post_form, url, anomaly
):
    sid = "CA" + "f" * 32
    params = call_params(sid, CANARY, RecordingSid="RE" + "1" * 32, RecordingUrl=url, RecordingDuration="12")
    assert post_form(RECORDING, params).status_code == 200
    contact = Contact.objects.get()
    assert contact.recording_url == ""
    assert contact.raw["recording"]["RecordingUrl"] == url
    assert contact.recording_duration == 12
    assert anomaly in contact.anomalies


def test_a_transcription_with_a_nul_is_stored(post_form):
    sid = "CA" + "9" * 32
    post_form(VOICE, call_params(sid, CANARY))
    params = call_params(
        sid, CANARY, TranscriptionSid="TR1", TranscriptionStatus="completed", TranscriptionText="张\x00伟"
    )
    assert post_form(TRANSCRIPTION, params).status_code == 200
    contact = Contact.objects.get()
    assert contact.transcript == "张\ufffd伟"
    assert "transcript:nul" in contact.anomalies


def test_a_call_without_a_call_sid_is_stored_under_an_id_from_its_body(post_form):
    first = call_params("", CANARY)
    del first["CallSid"]
    second = {**first, "From": "+447700900998"}
    post_form(VOICE, first)
    post_form(VOICE, second)
    assert Contact.objects.filter(provider_sid__startswith="twilio:CallSid:sha256:").count() == 2


@pytest.mark.usefixtures("aliyun_env")
def test_aliyun_json_nested_100000_deep_is_kept_raw_with_a_recorded_failure(client):
    body = "[" * 100_000 + "]" * 100_000
    response = client.post(ALIYUN_URL, body, content_type="application/json")
    assert response.status_code == 400
    assert json.loads(response.content)["code"] == 1
    delivery = UnreadDelivery.objects.get()
    assert bytes(delivery.body) == body.encode()
    assert "RecursionError" in delivery.error
    client.post(ALIYUN_URL, body, content_type="application/json")  # Alibaba retries
    assert UnreadDelivery.objects.count() == 1


@pytest.mark.usefixtures("aliyun_env")
def test_aliyun_records_of_any_shape_are_stored_and_flagged(client):
    records = [
        {
            "call_id": "c" * 150,
            "peer_no": "13800138000",
            "secret_no": "17000000001",
            "record_url": "file:///etc",
        },
        {"peer_no": "1" * 80, "secret_no": "17000000001", "city": "杭\x00州"},
    ]
    response = client.post(ALIYUN_URL, json.dumps(records), content_type="application/json")
    assert response.status_code == 200
    long_id, no_id = Contact.objects.order_by("id")
    assert len(long_id.provider_sid) <= 100 and "provider_sid:hashed" in long_id.anomalies
    assert long_id.recording_url == "" and "recording_url:not_http" in long_id.anomalies
    assert long_id.raw["aliyun"]["record_url"] == "file:///etc"
    assert no_id.provider_sid.startswith("aliyun:call:sha256:")
    assert {"provider_sid:missing", "from_number:truncated", "raw:nul"} <= set(no_id.anomalies)
    assert no_id.raw["aliyun"]["peer_no"] == "1" * 80
    client.post(ALIYUN_URL, json.dumps(records), content_type="application/json")  # a re-push
    assert Contact.objects.count() == 2


@pytest.mark.parametrize(
    ("field", "value", "anomaly"),
    [
        pytest.param("ip", "999.1.2.3; DROP TABLE", "ip:invalid", id="bad-ip"),
        pytest.param("looked_up_at", "2026-13-45T25:61:00", "looked_up_at:invalid", id="impossible-date"),
        pytest.param("looked_up_at", "yesterday", "looked_up_at:invalid", id="not-a-date"),
    ],
)
@pytest.mark.usefixtures("tracking_env")
def test_a_tracking_report_with_a_bad_ip_or_date_is_stored_and_flagged(
    client, campaign, field, value, anomaly
):
    decoy = Decoy.objects.filter(campaign=campaign).first()
    report = {"waybill_no": decoy.waybill_no, "ip": "203.0.113.7", field: value}
    response = post_signed(client, json.dumps(report, ensure_ascii=False).encode())
    assert response.status_code == 202
    lookup = TrackingLookup.objects.get()
    assert lookup.raw[field] == value
    assert anomaly in lookup.anomalies


@pytest.mark.usefixtures("tracking_env")
def test_a_signed_tracking_report_that_is_not_json_is_kept_with_its_failure(client):
    body = b"{" * 50_000
    response = post_signed(client, body)
    assert response.status_code == 400
    assert bytes(UnreadDelivery.objects.get(hook="tracking").body) == body
