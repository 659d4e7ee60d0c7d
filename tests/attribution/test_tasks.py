"""Recompute on new signals: debounced per campaign, idempotent, and safe when the broker is down."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from canary.attribution import services
from canary.attribution.models import AttributionSnapshot, RecomputeState
from canary.attribution.signals import record_signal
from canary.campaigns.models import Decoy
from tests.celery_support import database_url, free_port, publishing_to, wait_until

SEEN = datetime(2026, 11, 15, 10, 0, tzinfo=UTC)
ROOT = Path(__file__).resolve().parents[2]
WORKER_OPTIONS = ["-P", "threads", "-c", "2", "--without-gossip", "--without-mingle", "--without-heartbeat"]


def signal(decoy, n: int = 0, origin: str = "phones.contact"):
    return record_signal(
        kind="call",
        decoy_ids=[decoy.pk],
        seen_at=SEEN + timedelta(minutes=n),
        strength=0.9,
        dedupe_key=f"{origin}:{decoy.pk}:{n}",
        origin=f"{origin}:{n}",
    )


def state_of(campaign) -> RecomputeState:
    return RecomputeState.objects.get(campaign=campaign)


@pytest.mark.django_db
def test_a_burst_of_signals_claims_one_recompute(campaign):
    claims = 0
    for _ in range(100):
        services.mark_dirty(campaign.pk)
        claims += services.claim_recompute(campaign.pk)

    assert claims == 1
    assert state_of(campaign).generation == 100


@pytest.mark.django_db
def test_a_signal_after_the_recompute_started_queues_one_more(campaign):
    services.mark_dirty(campaign.pk)
    assert services.claim_recompute(campaign.pk)
    services.recompute(campaign.pk)
    assert not services.claim_recompute(campaign.pk)  # up to date: nothing to queue

    services.mark_dirty(campaign.pk)

    assert services.claim_recompute(campaign.pk)


@pytest.mark.django_db
def test_a_duplicate_recompute_task_does_nothing(campaign):
    services.mark_dirty(campaign.pk)

    first = services.recompute(campaign.pk)
    second = services.recompute(campaign.pk)

    assert first is not None and second is None
    assert AttributionSnapshot.objects.filter(campaign=campaign).count() == 1
    assert not state_of(campaign).is_dirty


@pytest.mark.django_db
def test_a_claim_whose_task_was_lost_can_be_claimed_again(campaign):
    now = datetime(2026, 11, 20, tzinfo=UTC)
    services.mark_dirty(campaign.pk)
    assert services.claim_recompute(campaign.pk, now)

    assert not services.claim_recompute(campaign.pk, now + timedelta(minutes=1))
    assert services.claim_recompute(campaign.pk, now + services.QUEUED_STALE_AFTER + timedelta(seconds=1))


@pytest.mark.django_db
def test_a_recorded_signal_leads_to_a_stored_attribution(campaign, django_capture_on_commit_callbacks):
    decoy = Decoy.objects.filter(campaign=campaign).first()

    with django_capture_on_commit_callbacks(execute=True):
        signal(decoy)

    snapshot = AttributionSnapshot.objects.get(campaign=campaign)
    assert snapshot.signals_count == 1
    assert not state_of(campaign).is_dirty


@pytest.mark.django_db
def test_a_self_test_heartbeat_does_not_trigger_a_recompute(campaign, django_capture_on_commit_callbacks):
    decoy = Decoy.objects.filter(campaign=campaign).first()

    with django_capture_on_commit_callbacks(execute=True):
        signal(decoy, origin="alerts.selftest")

    assert not RecomputeState.objects.filter(campaign=campaign).exists()
    assert not AttributionSnapshot.objects.exists()


@pytest.mark.django_db
def test_the_sweeper_recomputes_campaigns_left_out_of_date(campaign):
    services.mark_dirty(campaign.pk)  # as if the queued task had been lost

    queued = services.sweep()

    assert queued == 1
    assert AttributionSnapshot.objects.filter(campaign=campaign).count() == 1
    assert not state_of(campaign).is_dirty


@pytest.mark.django_db
def test_the_sweep_schedule_is_registered_for_beat():
    from django_celery_beat.models import PeriodicTask

    from canary.attribution.schedules import ensure_schedules

    ensure_schedules()

    assert PeriodicTask.objects.filter(task="attribution.sweep", enabled=True).exists()


# --------------------------------------------------------------------------- the real queue


@pytest.fixture
def broker_url():
    """A private broker address (nothing listens there until a test starts redis-server on it)."""
    with publishing_to(f"redis://127.0.0.1:{free_port()}/0", fail_fast=True) as url:
        yield url


@pytest.mark.worker
@pytest.mark.django_db
def test_with_the_broker_down_a_signal_is_still_recorded_and_left_for_the_sweeper(
    campaign, broker_url, django_capture_on_commit_callbacks
):
    decoy = Decoy.objects.filter(campaign=campaign).first()

    with django_capture_on_commit_callbacks(execute=True):
        ((recorded, created),) = signal(decoy)

    assert created and recorded.pk
    state = state_of(campaign)
    assert state.is_dirty and state.queued_at is None  # the sweeper will claim it


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(shutil.which("redis-server") is None, reason="needs redis-server")
def test_a_burst_of_signals_is_attributed_once_or_twice_by_a_real_worker(
    campaign, broker_url, settings, tmp_path
):
    # The first signal queues the recompute this long ahead; the burst lands inside that window.
    settings.ATTRIBUTION_RECOMPUTE_DELAY_SECONDS = 5
    port = broker_url.rsplit(":", 1)[1].split("/")[0]
    redis = subprocess.Popen(
        ["redis-server", "--port", port, "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
        stdout=subprocess.DEVNULL,
    )
    log = (tmp_path / "worker.log").open("w")
    env = {
        **os.environ,
        "DATABASE_URL": database_url(),
        "CELERY_BROKER_URL": broker_url,
        "CELERY_TASK_ALWAYS_EAGER": "false",
        "DJANGO_SETTINGS_MODULE": "canary.settings",
        # The worker stores the campaign's ledger: in this test's folder, not the project's var/.
        "MEDIA_ROOT": str(tmp_path / "media"),
    }
    worker = subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "canary", "worker", *WORKER_OPTIONS],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        decoys = list(Decoy.objects.filter(campaign=campaign).order_by("id"))
        for n in range(100):
            signal(decoys[n % len(decoys)], n)

        def settled() -> bool:
            state = RecomputeState.objects.get(campaign=campaign)
            return not state.is_dirty and state.queued_at is None

        wait_until(settled, what="the recompute")
        snapshots = AttributionSnapshot.objects.filter(campaign=campaign)
        assert 1 <= snapshots.count() <= 2
        assert snapshots.order_by("-id").first().signals_count == 100
    finally:
        worker.terminate()
        worker.wait(20)
        log.close()
        redis.terminate()
        redis.wait(10)
