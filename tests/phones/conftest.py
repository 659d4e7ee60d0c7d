"""Phone-watcher fixtures: Twilio credentials, requests signed exactly as Twilio signs them, and a
local fake of Twilio's REST API."""

from __future__ import annotations

import pytest
from twilio.request_validator import RequestValidator

from .fakes import FakeHttpService

PUBLIC_BASE_URL = "https://canary.example.test"
AUTH_TOKEN = "test-auth-token-0123456789abcdef"
ACCOUNT_SID = "AC" + "0" * 32
# A caller in Ofcom's drama range (never a real person).
CALLER = "+447700900999"


@pytest.fixture
def twilio_env(settings):
    settings.PUBLIC_BASE_URL = PUBLIC_BASE_URL
    settings.TWILIO_AUTH_TOKEN = AUTH_TOKEN
    settings.TWILIO_ACCOUNT_SID = ACCOUNT_SID
    return settings


def twilio_signature(
    path: str, params: dict, base_url: str = PUBLIC_BASE_URL, token: str = AUTH_TOKEN
) -> str:
    return RequestValidator(token).compute_signature(base_url + path, params)


@pytest.fixture
def post_twilio(client, twilio_env):
    """POST form params to ``path`` with the signature Twilio would send (or the one given)."""

    def post(path: str, params: dict, signature: str | None = None):
        headers = {}
        signature = twilio_signature(path, params) if signature is None else signature
        if signature:
            headers["HTTP_X_TWILIO_SIGNATURE"] = signature
        return client.post(path, params, **headers)

    return post


@pytest.fixture
def fake_twilio(settings, twilio_env):
    service = FakeHttpService()
    settings.TWILIO_API_BASE_URL = service.start()
    yield service
    service.stop()


def sms_params(sid: str, to: str, body: str, sender: str = CALLER, **extra) -> dict:
    return {
        "MessageSid": sid,
        "SmsSid": sid,
        "AccountSid": ACCOUNT_SID,
        "From": sender,
        "To": to,
        "Body": body,
        "NumMedia": "0",
        "NumSegments": "1",
        "FromCountry": "GB",
        "FromCity": "LONDON",
        **extra,
    }


def call_params(sid: str, to: str, sender: str = CALLER, **extra) -> dict:
    return {
        "CallSid": sid,
        "AccountSid": ACCOUNT_SID,
        "From": sender,
        "To": to,
        "CallStatus": "ringing",
        "Direction": "inbound",
        "FromCountry": "GB",
        **extra,
    }
