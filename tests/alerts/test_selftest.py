"""Self-test heartbeats travel the signal pipeline; a missing one raises a critical alert."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from canary.alerts import selftest
from canary.alerts.models import EventKind, Incident, SelfTest, Severity

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
