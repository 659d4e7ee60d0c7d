"""Inbound Twilio webhooks, signed exactly as Twilio signs them."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import pytest

from canary.attribution.models import Signal
from canary.campaigns.models import Decoy
from canary.phones.models import Contact, SecurityEvent

from .conftest import PUBLIC_BASE_URL, call_params, sms_params, twilio_signature

pytestmark = pytest.mark.django_db

SMS = "/hooks/twilio/sms/"
VOICE = "/hooks/twilio/voice/"


def test_sms_is_stored_with_chinese_body_and_answered_with_empty_twiml(post_twilio):
    body = "您好，您的快递丢失了，我们将双倍赔偿，请加微信 kf8888"
    response = post_twilio(SMS, sms_params("SM" + "1" * 32, "+8613900139200", body))

    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/xml")
    assert ET.fromstring(response.content).tag == "Response"
    assert len(ET.fromstring(response.content)) == 0
    contact = Contact.objects.get()
    assert (contact.kind, contact.body, contact.from_number, contact.to_number) == (
        "sms",
        body,
        "+447700900999",
        "+8613900139200",
    )
    assert contact.caller_geo["FromCity"] == "LONDON"
    assert contact.raw["sms"]["MessageSid"] == "SM" + "1" * 32


def test_sms_media_urls_are_kept(post_twilio):
    params = sms_params(
        "SM" + "2" * 32,
        "+8613900139200",
        "看图",
        NumMedia="1",
        MediaUrl0="https://api.twilio.com/2010-04-01/Accounts/AC/Messages/MM/Media/ME1",
        MediaContentType0="image/jpeg",
    )
    post_twilio(SMS, params)
    assert Contact.objects.get().media_urls == [{"url": params["MediaUrl0"], "content_type": "image/jpeg"}]


def test_retried_sms_delivery_is_stored_once_and_answered_the_same(post_twilio):
    params = sms_params("SM" + "3" * 32, "+8613900139200", "重复投递")
    first = post_twilio(SMS, params)
    second = post_twilio(SMS, params)
    assert first.status_code == second.status_code == 200
    assert first.content == second.content
    assert Contact.objects.count() == 1


@pytest.mark.parametrize(
    "signature",
    [
        pytest.param("", id="missing"),
        pytest.param("bm90IGEgc2lnbmF0dXJlIGF0IGFsbA==", id="forged"),
        pytest.param(
            twilio_signature(
                SMS, sms_params("SM" + "4" * 32, "+8613900139200", "hi"), base_url="http://old.example"
            ),
            id="stale-url",
        ),
        pytest.param(
            twilio_signature(SMS, sms_params("SM" + "4" * 32, "+8613900139200", "hi"), token="another-token"),
            id="other-token",
        ),
    ],
)
def test_unsigned_or_forged_sms_is_refused_and_nothing_stored(post_twilio, signature):
    response = post_twilio(SMS, sms_params("SM" + "4" * 32, "+8613900139200", "hi"), signature=signature)
    assert response.status_code == 403
    assert not Contact.objects.exists()
    assert SecurityEvent.objects.get().kind == "twilio.bad_signature"


def test_a_signed_request_with_a_tampered_body_is_refused(client, twilio_env):
    params = sms_params("SM" + "5" * 32, "+8613900139200", "原文")
    signature = twilio_signature(SMS, params)
    response = client.post(SMS, {**params, "Body": "篡改"}, HTTP_X_TWILIO_SIGNATURE=signature)
    assert response.status_code == 403
    assert not Contact.objects.exists()


def test_refusals_are_logged_once_per_source_and_minute(post_twilio):
    for n in range(5):
        post_twilio(SMS, sms_params(f"SM{n:032d}", "+8613900139200", "x"), signature="forged")
    event = SecurityEvent.objects.get()
    assert event.count == 5
    assert event.source_ip == "127.0.0.1"


def test_signature_is_checked_against_the_public_url_not_the_request_host(client, twilio_env):
    """Behind a TLS proxy the request arrives as http://internal-host; Twilio signed the https URL."""
    params = sms_params("SM" + "6" * 32, "+8613900139200", "代理")
    signature = twilio_signature(SMS, params)
    response = client.post(SMS, params, HTTP_X_TWILIO_SIGNATURE=signature, HTTP_HOST="localhost")
    assert response.status_code == 200
    assert Contact.objects.filter(provider_sid=params["MessageSid"]).exists()

    # The same request signed for the URL it arrived at is not what Twilio signs: refused.
    other = sms_params("SM" + "7" * 32, "+447700900200", "代理")
    signed_for_host = twilio_signature(SMS, other, base_url="http://localhost")
    response = client.post(SMS, other, HTTP_X_TWILIO_SIGNATURE=signed_for_host, HTTP_HOST="localhost")
    assert response.status_code == 403
    assert not Contact.objects.filter(provider_sid=other["MessageSid"]).exists()


def test_voice_call_answers_chinese_voicemail_greeting_and_records(post_twilio):
    response = post_twilio(VOICE, call_params("CA" + "1" * 32, "+8613900139201"))
    assert response.status_code == 200
    twiml = ET.fromstring(response.content)
    say, record, hangup = list(twiml)
    assert say.tag == "Say" and say.get("language") == "zh-CN" and "留言" in say.text
    assert record.tag == "Record"
    assert record.get("action") == PUBLIC_BASE_URL + "/hooks/twilio/voice/done/"
    assert record.get("recordingStatusCallback") == PUBLIC_BASE_URL + "/hooks/twilio/recording/"
    assert record.get("transcribeCallback") == PUBLIC_BASE_URL + "/hooks/twilio/transcription/"
    assert record.get("transcribe") == "true"
    assert hangup.tag == "Hangup"
    contact = Contact.objects.get()
    assert (contact.kind, contact.provider_sid, contact.to_number) == (
        "call",
        "CA" + "1" * 32,
        "+8613900139201",
    )


def test_voice_greeting_can_be_a_recorded_file(post_twilio, settings):
    settings.PHONES_VOICEMAIL_GREETING_URL = "https://cdn.example.test/greeting-zh.mp3"
    twiml = ET.fromstring(post_twilio(VOICE, call_params("CA" + "2" * 32, "+8613900139201")).content)
    assert twiml[0].tag == "Play" and twiml[0].text == "https://cdn.example.test/greeting-zh.mp3"


def test_record_action_hangs_up(post_twilio):
    sid = "CA" + "3" * 32
    post_twilio(VOICE, call_params(sid, "+8613900139201"))
    response = post_twilio(
        "/hooks/twilio/voice/done/", {"CallSid": sid, "RecordingUrl": "https://r.example/RE1"}
    )
    assert [child.tag for child in ET.fromstring(response.content)] == ["Hangup"]


def test_recording_transcription_and_status_attach_to_the_stored_call(post_twilio):
    sid = "CA" + "4" * 32
    post_twilio(VOICE, call_params(sid, "+8613900139201"))
    post_twilio(
        "/hooks/twilio/recording/",
        {
            "CallSid": sid,
            "RecordingSid": "RE" + "1" * 32,
            "RecordingUrl": "https://api.twilio.com/2010-04-01/Accounts/AC/Recordings/RE1",
            "RecordingStatus": "completed",
            "RecordingDuration": "17",
        },
    )
    post_twilio(
        "/hooks/twilio/transcription/",
        {
            "CallSid": sid,
            "RecordingSid": "RE" + "1" * 32,
            "TranscriptionSid": "TR" + "1" * 32,
            "TranscriptionText": "你好 我是快递客服 你的包裹丢了",
            "TranscriptionStatus": "completed",
        },
    )
    post_twilio("/hooks/twilio/status/", {"CallSid": sid, "CallStatus": "completed", "CallDuration": "31"})

    contact = Contact.objects.get()
    assert contact.recording_sid == "RE" + "1" * 32
    assert contact.recording_duration == 17
    assert contact.transcript == "你好 我是快递客服 你的包裹丢了"
    assert (contact.call_status, contact.call_duration) == ("completed", 31)
    assert set(contact.raw) == {"voice", "recording", "transcription", "status"}


@pytest.mark.parametrize(
    "path", ["/hooks/twilio/recording/", "/hooks/twilio/transcription/", "/hooks/twilio/status/"]
)
def test_forged_callbacks_change_nothing(post_twilio, path):
    sid = "CA" + "5" * 32
    post_twilio(VOICE, call_params(sid, "+8613900139201"))
    response = post_twilio(
        path, {"CallSid": sid, "TranscriptionText": "伪造", "CallStatus": "failed"}, signature="forged"
    )
    assert response.status_code == 403
    contact = Contact.objects.get()
    assert contact.transcript == "" and contact.call_status == "ringing"


def test_webhooks_only_accept_post(client, twilio_env):
    assert client.get(SMS).status_code == 405


def test_sms_naming_a_decoy_gives_a_strong_signal_for_that_decoy(
    post_twilio, campaign, django_capture_on_commit_callbacks
):
    decoy = Decoy.objects.filter(campaign=campaign).order_by("id").first()
    body = f"{decoy.recipient_name}您好，您的快递{decoy.waybill_no}丢失，我们将双倍赔偿"
    with django_capture_on_commit_callbacks(execute=True):
        post_twilio(SMS, sms_params("SM" + "7" * 32, decoy.number.e164, body))

    contact = Contact.objects.get()
    assert contact.processed_at is not None
    assert list(contact.matched_decoys.all()) == [decoy]
    strong = Signal.objects.get(dedupe_key=f"phones.contact:{contact.pk}:text")
    assert strong.is_strong
    assert list(strong.decoys.all()) == [decoy]
    assert strong.kind == "sms"


def test_transcript_naming_a_decoy_upgrades_a_bare_call(
    post_twilio, campaign, django_capture_on_commit_callbacks
):
    decoy = Decoy.objects.filter(campaign=campaign).order_by("id").first()
    sid = "CA" + "6" * 32
    with django_capture_on_commit_callbacks(execute=True):
        post_twilio(VOICE, call_params(sid, decoy.number.e164))
    contact = Contact.objects.get()
    assert contact.signal_strength < 0.5

    with django_capture_on_commit_callbacks(execute=True):
        post_twilio(
            "/hooks/twilio/transcription/",
            {
                "CallSid": sid,
                "TranscriptionText": f"请 {decoy.waybill_no} 回电",
                "TranscriptionStatus": "completed",
            },
        )
    contact.refresh_from_db()
    assert contact.signal_strength >= 0.8
    assert list(contact.matched_decoys.all()) == [decoy]
