"""Tracking-lookup canary: signed reports of waybill lookups."""

from __future__ import annotations

import json
import time

import pytest

from canary.attribution.models import Signal
from canary.campaigns.models import Decoy
from canary.phones.models import SecurityEvent, TrackingLookup
from canary.phones.tracking import decoy_waybills
from canary.phones.tracking_signature import sign, verify

pytestmark = pytest.mark.django_db

URL = "/hooks/tracking/"
SECRET = "tracking-shared-secret"


@pytest.fixture
def tracking_env(settings):
    settings.TRACKING_HOOK_SECRET = SECRET
    decoy_waybills.invalidate()
    yield settings
    decoy_waybills.invalidate()


def report(waybill_no: str, **extra) -> bytes:
    data = {
        "waybill_no": waybill_no,
        "looked_up_at": "2026-11-23T11:02:03+08:00",
        "ip": "203.0.113.7",
        "user_agent": "Mozilla/5.0 (Linux; Android 12) MicroMessenger/8.0",
        "client_id": "open-api-4411",
        "platform": "pdd",
        **extra,
    }
    return json.dumps(data, ensure_ascii=False).encode()


def post_signed(client, body: bytes, timestamp: int | None = None, secret: str = SECRET, signature=None):
    timestamp = int(time.time()) if timestamp is None else timestamp
    return client.post(
        URL,
        body,
        content_type="application/json",
        HTTP_X_CANARY_TIMESTAMP=str(timestamp),
        HTTP_X_CANARY_SIGNATURE=signature or sign(secret, timestamp, body),
    )


def test_signed_lookup_of_a_decoy_yields_a_signal_with_the_requester_as_evidence(
    client, tracking_env, campaign, django_capture_on_commit_callbacks
):
    decoy = Decoy.objects.filter(campaign=campaign).first()
    with django_capture_on_commit_callbacks(execute=True):
        response = post_signed(client, report(decoy.waybill_no.lower()))

    assert response.status_code == 202
    lookup = TrackingLookup.objects.get()
    assert (lookup.decoy, lookup.requester_ip, lookup.client_id) == (
        decoy,
        "203.0.113.7",
        "open-api-4411 / pdd",
    )
    signal = Signal.objects.get()
    assert signal.kind == "tracking" and signal.is_strong
    assert list(signal.decoys.all()) == [decoy]
    assert "203.0.113.7" in signal.summary


def test_lookup_of_a_non_decoy_number_is_ignored(client, tracking_env, campaign):
    response = post_signed(client, report("SF1234567890123"))
    assert response.status_code == 204
    assert not TrackingLookup.objects.exists()


def test_bad_signature_is_refused(client, tracking_env, campaign):
    decoy = Decoy.objects.filter(campaign=campaign).first()
    response = post_signed(client, report(decoy.waybill_no), secret="guessed")
    assert response.status_code == 403
    assert not TrackingLookup.objects.exists()
    assert SecurityEvent.objects.get().detail == {"reason": "bad signature"}


def test_stale_timestamp_is_refused(client, tracking_env, campaign):
    decoy = Decoy.objects.filter(campaign=campaign).first()
    response = post_signed(client, report(decoy.waybill_no), timestamp=int(time.time()) - 3600)
    assert response.status_code == 403
    assert not TrackingLookup.objects.exists()


def test_replayed_report_is_refused_and_stored_once(client, tracking_env, campaign):
    decoy = Decoy.objects.filter(campaign=campaign).first()
    body, timestamp = report(decoy.waybill_no), int(time.time())
    assert post_signed(client, body, timestamp).status_code == 202
    assert post_signed(client, body, timestamp).status_code == 409
    assert TrackingLookup.objects.count() == 1


def test_new_decoys_are_seen_without_waiting_for_the_reload(client, tracking_env, campaign):
    decoy = Decoy.objects.filter(campaign=campaign).first()
    post_signed(client, report("SF0000000000000"))  # loads the set
    Decoy.objects.filter(pk=decoy.pk).update(waybill_no="SF0000000000000")
    decoy.refresh_from_db()
    decoy.save()  # a save in this process drops the cached set
    assert post_signed(client, report("SF0000000000000")).status_code == 202


def test_signature_binds_body_and_timestamp():
    body = b'{"waybill_no":"SF1"}'
    good = sign(SECRET, 1_800_000_000, body)
    assert verify(SECRET, "1800000000", good, body, now=1_800_000_010).ok
    assert verify(SECRET, "1800000001", good, body, now=1_800_000_010).reason == "bad signature"
    assert verify(SECRET, "1800000000", good, body + b" ", now=1_800_000_010).reason == "bad signature"
    assert verify(SECRET, "1800000000", good, body, now=1_800_001_000).reason == "stale timestamp"
    assert verify("", "1800000000", good, body, now=1_800_000_010).reason == "no secret configured"
    assert verify(SECRET, None, good, body, now=1_800_000_010).reason == "missing signature"
