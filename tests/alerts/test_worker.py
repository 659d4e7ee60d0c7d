"""End to end with a real Celery worker on Redis: a recorded signal becomes a delivered alert."""

from __future__ import annotations

import os
import uuid
from datetime import timedelta

import pytest
from django.db import connection
from django.test import Client
from django.utils import timezone

from canary import celery_app
from canary.alerts import selftest
from canary.alerts.models import Alert, EventKind, Incident, SelfTest, SelfTestMode
from canary.attribution.signals import record_signal
from canary.broker_check import broker_answers
from canary.sightings.models import Document, DocumentStatus
from tests.celery_support import wait_until, worker_on_queue


@pytest.fixture
def worker_queue(settings, tmp_path):
    """A Celery worker subprocess consuming a queue of its own, so parallel test runs never mix."""
    if connection.vendor != "postgresql" or not broker_answers(celery_app.conf.broker_url):
        pytest.skip("needs PostgreSQL and Redis")
    queue = f"alerts-e2e-{os.environ.get('PYTEST_XDIST_WORKER', 'main')}-{uuid.uuid4().hex[:8]}"
    env = {
        "DJANGO_SETTINGS_MODULE": "tests.alerts.worker_settings",
        "TWILIO_AUTH_TOKEN": "test-auth-token",
        "PUBLIC_BASE_URL": "https://canary.example.com",
        "ALERTS_E2E_QUEUE": queue,
        # The same files as this test process: stored documents and watched folders.
        "MEDIA_ROOT": str(settings.MEDIA_ROOT),
        "SIGHTINGS_FOLDER_ROOT": str(tmp_path / "drop"),
    }
    with worker_on_queue(queue, celery_app.conf.broker_url, env=env, options=("-c", "2", "-l", "warning")):
        yield queue


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_recorded_signal_is_delivered_to_the_webhook_by_a_real_worker(
    worker_queue, campaign, receiver, make_channel, make_rule
):
    make_rule(
        make_channel("webhook", receiver.url + "/hook", secret="e2e"), events=[EventKind.INCIDENT_OPENED]
    )
    decoy = campaign.decoys.first()

    record_signal(
        kind="sms",
        decoy_ids=[decoy.pk],
        seen_at=timezone.now(),
        strength=0.95,
        dedupe_key="e2e-sms-1",
        origin="phones.contact:e2e",
        summary="短信提到收件人",
    )

    assert receiver.arrived.wait(timeout=60), "no alert reached the webhook receiver"
    body = receiver.requests[0].json()
    assert body["event"] == EventKind.INCIDENT_OPENED and body["campaign"]["slug"] == campaign.slug
    assert Alert.objects.filter(event__kind=EventKind.INCIDENT_OPENED).count() == 1


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_signed_canary_sms_becomes_an_alert_at_the_webhook(
    worker_queue, campaign, receiver, make_channel, make_rule
):
    from twilio.request_validator import RequestValidator

    from .conftest import TWILIO_TOKEN

    # Any signal alerts: how strong an SMS is depends on what it says (the phones app decides).
    events = [EventKind.SIGNAL, EventKind.STRONG_SIGNAL]
    make_rule(make_channel("webhook", receiver.url + "/hook", secret="e2e"), events=events)
    decoy = campaign.decoys.exclude(number=None).select_related("number").first()
    params = {
        "MessageSid": "SM" + uuid.uuid4().hex,
        "AccountSid": "AC" + "0" * 32,
        "From": "+447700900123",
        "To": decoy.number.e164,
        "Body": f"{decoy.recipient_name}您好，您的快递丢失，我们双倍赔付",
        "NumMedia": "0",
    }
    path = "/hooks/twilio/sms/"
    signature = RequestValidator(TWILIO_TOKEN).compute_signature("https://canary.example.com" + path, params)

    response = Client().post(path, params, HTTP_X_TWILIO_SIGNATURE=signature)

    assert response.status_code == 200
    assert receiver.arrived.wait(timeout=60), "no alert reached the webhook receiver"
    body = receiver.requests[0].json()
    assert (
        body["signal"]["origin"].startswith("phones.contact:") and body["campaign"]["slug"] == campaign.slug
    )
    assert decoy.number.e164 in body["signal"]["summary"]


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_a_folder_self_test_is_fetched_scanned_and_seen_by_a_real_worker(worker_queue, selftest_decoy, drop):
    test = SelfTest.objects.create(
        name="drop", decoy=selftest_decoy, mode=SelfTestMode.SOURCE, source=drop, expected_within_seconds=120
    )

    key = selftest.send_heartbeat(test)  # plants the file and queues the folder's fetch

    def seen() -> bool:
        test.refresh_from_db()
        return test.last_seen_at is not None

    wait_until(seen, timeout=90, what="the worker to fetch, scan and see the heartbeat")
    assert test.last_key == key and test.last_error == "" and test.last_latency_ms is not None
    document = Document.objects.get(source=drop)
    assert document.status == DocumentStatus.DONE and selftest.nonce(key) in document.name
    assert not Incident.objects.exists()
    assert selftest.check(timezone.now() + timedelta(hours=1)) == []
