"""Each transport against a real local listener: exact payload, signature and error mapping."""

from __future__ import annotations

import base64
import hashlib
import hmac
from email import message_from_bytes
from email.header import decode_header, make_header
from urllib.parse import quote_plus

import pytest

from canary.alerts import services
from canary.alerts.models import AlertStatus

from .conftest import SMS_FROM, TWILIO_SID, TWILIO_TOKEN, twilio_message

pytestmark = pytest.mark.django_db


@pytest.fixture
def send_test(run_on_commit):
    def send(channel):
        alert = run_on_commit(services.send_test, channel, "tester")
        alert.refresh_from_db()
        channel.refresh_from_db()
        return alert

    return send


def test_webhook_posts_json_signed_with_hmac_sha256(receiver, make_channel, send_test):
    channel = make_channel("webhook", receiver.url + "/hook", secret="s3cret")
    alert = send_test(channel)

    assert alert.status == AlertStatus.SENT
    (request,) = receiver.requests
    timestamp = request.headers["X-Canary-Timestamp"]
    expected = hmac.new(b"s3cret", timestamp.encode() + b"." + request.body, hashlib.sha256).hexdigest()
    assert request.headers["X-Canary-Signature"] == f"sha256={expected}"
    assert request.headers["X-Canary-Alert-Id"] == str(alert.pk)
    body = request.json()
    assert body["alert_id"] == alert.pk and body["event"] == "channel.test"
    assert "tester" in body["text"]
    assert channel.last_result == "ok" and channel.last_success_at is not None


def test_dingtalk_robot_gets_markdown_with_timestamp_and_sign(receiver, make_channel, send_test):
    channel = make_channel("dingtalk", receiver.url + "/robot/send?access_token=tok", secret="SECabc+/")
    send_test(channel)

    (request,) = receiver.requests
    assert request.query["access_token"] == ["tok"]
    timestamp = request.query["timestamp"][0]
    expected = base64.b64encode(
        hmac.new(b"SECabc+/", f"{timestamp}\nSECabc+/".encode(), hashlib.sha256).digest()
    ).decode()
    # The signature travels URL-encoded, or a '+' in the base64 would arrive as a space.
    assert f"sign={quote_plus(expected)}" in request.raw_query
    assert request.query["sign"][0] == expected
    assert len(timestamp) == 13  # milliseconds
    body = request.json()
    assert body["msgtype"] == "markdown" and body["markdown"]["title"] in body["markdown"]["text"]


def test_wecom_robot_gets_markdown(receiver, make_channel, send_test):
    channel = make_channel("wecom", receiver.url + "/cgi-bin/webhook/send?key=abc")
    alert = send_test(channel)

    assert alert.status == AlertStatus.SENT
    (request,) = receiver.requests
    body = request.json()
    assert request.query["key"] == ["abc"]
    assert body["msgtype"] == "markdown" and body["markdown"]["content"].startswith("### ")


def test_feishu_bot_gets_text_signed_in_the_body(receiver, make_channel, send_test):
    channel = make_channel("feishu", receiver.url + "/open-apis/bot/v2/hook/xyz", secret="fsecret")
    send_test(channel)

    body = receiver.requests[0].json()
    key = f"{body['timestamp']}\nfsecret".encode()
    assert body["sign"] == base64.b64encode(hmac.new(key, b"", hashlib.sha256).digest()).decode()
    assert len(body["timestamp"]) == 10  # seconds
    assert body["msg_type"] == "text" and body["content"]["text"]


def test_slack_gets_text(receiver, make_channel, send_test):
    channel = make_channel("slack", receiver.url + "/services/T/B/X")
    receiver.default = (200, "ok")
    alert = send_test(channel)

    assert alert.status == AlertStatus.SENT
    assert set(receiver.requests[0].json()) == {"text"}


def test_email_arrives_over_smtp_with_alert_id_header(smtp, make_channel, send_test):
    channel = make_channel("email", "a@example.com, b@example.com")
    alert = send_test(channel)

    assert alert.status == AlertStatus.SENT
    (envelope,) = smtp.messages
    assert sorted(envelope.rcpt_tos) == ["a@example.com", "b@example.com"]
    message = message_from_bytes(envelope.content)
    assert message["X-Canary-Alert-Id"] == str(alert.pk)
    assert "渠道测试" in str(make_header(decode_header(message["Subject"])))


def test_sms_goes_through_twilio_rest_with_status_callback(receiver, make_channel, send_test, settings):
    settings.TWILIO_API_BASE_URL = receiver.url
    receiver.default = (201, twilio_message)
    channel = make_channel("sms", "+447700900201")
    alert = send_test(channel)

    assert alert.status == AlertStatus.SENT and alert.provider_id == "SM" + "1" * 32
    (request,) = receiver.requests
    assert request.path == f"/2010-04-01/Accounts/{TWILIO_SID}/Messages.json"
    auth = base64.b64decode(request.headers["Authorization"].split()[1]).decode()
    assert auth == f"{TWILIO_SID}:{TWILIO_TOKEN}"
    form = request.form()
    assert form["To"] == ["+447700900201"] and form["From"] == [SMS_FROM]
    assert form["StatusCallback"] == [f"https://canary.example.com/hooks/alerts/twilio/status/{alert.pk}/"]


def test_robot_error_code_disables_channel_with_reason(receiver, make_channel, send_test, smtp):
    receiver.default = (200, '{"errcode":310000,"errmsg":"sign not match"}')
    channel = make_channel("dingtalk", receiver.url + "/robot/send?access_token=t", secret="wrong")
    alert = send_test(channel)

    assert alert.status == AlertStatus.FAILED
    assert not channel.enabled and "310000" in channel.disabled_reason
    assert {r for m in smtp.messages for r in m.rcpt_tos} == {"admin@example.com", "lead@example.com"}


def test_url_pointing_inside_is_refused_and_disables_channel(make_channel, send_test, settings):
    settings.ALLOW_LOOPBACK_TARGETS = False
    channel = make_channel("webhook", "http://127.0.0.1:9/hook", secret="x")
    send_test(channel)

    assert not channel.enabled and "loopback" in channel.disabled_reason
