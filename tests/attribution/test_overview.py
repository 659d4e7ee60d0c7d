"""Dashboard and chart figures: per-day counts in the console's zone, rankings, campaign health."""

from datetime import UTC, datetime

import pytest

from canary.attribution.overview import (
    campaign_health,
    node_history,
    signals_per_day,
    suspicion_over_time,
    top_suspects,
)
from canary.attribution.services import run_attribution
from canary.attribution.signals import record_signal
from canary.campaigns.models import Decoy

pytestmark = pytest.mark.django_db

LEAKER = "D-HZ-XH"
NOW = datetime(2026, 12, 1, 4, 0, tzinfo=UTC)  # 12:00 in Shanghai


def surface(campaign, code, seen_at, kind="online"):
    for decoy in Decoy.objects.filter(campaign=campaign, target__code=code):
        record_signal(
            kind=kind,
            decoy_ids=[decoy.pk],
            seen_at=seen_at,
            strength=1.0,
            dedupe_key=f"test:{decoy.pk}:{seen_at.timestamp()}",
            origin=f"test:{decoy.pk}",
        )


def test_signals_are_counted_on_their_shanghai_calendar_day(campaign):
    # 17:30 UTC on 29 November is 01:30 on 30 November in Shanghai.
    surface(campaign, LEAKER, datetime(2026, 11, 29, 17, 30, tzinfo=UTC), kind="sms")
    chart = signals_per_day(days=30, now=NOW)
    assert len(chart["days"]) == 30 and chart["days"][-1] == "2026-12-01"
    sms = next(s for s in chart["series"] if s["kind"] == "sms")
    assert sms["counts"][chart["days"].index("2026-11-30")] == 3
    assert sum(sms["counts"]) == 3
    assert all(sum(s["counts"]) == 0 for s in chart["series"] if s["kind"] != "sms")


def test_signals_older_than_the_window_are_left_out(campaign):
    surface(campaign, LEAKER, datetime(2026, 10, 1, tzinfo=UTC))
    assert all(sum(s["counts"]) == 0 for s in signals_per_day(days=30, now=NOW)["series"])


def test_suspicion_over_time_follows_the_leaker_across_snapshots(campaign):
    run_attribution(campaign, now=datetime(2026, 11, 20, tzinfo=UTC))
    surface(campaign, LEAKER, datetime(2026, 11, 21, tzinfo=UTC))
    run_attribution(campaign, now=datetime(2026, 11, 22, tzinfo=UTC))
    chart = suspicion_over_time(campaign)
    assert len(chart["times"]) == 2 and chart["times"][0] == "2026-11-20 08:00"
    leader = chart["series"][0]
    assert leader["node"] == LEAKER and leader["values"][1] > leader["values"][0]
    assert chart["noise_only"][1] < chart["noise_only"][0]


def test_only_nodes_with_a_surfaced_decoy_are_suspects(campaign):
    assert top_suspects() == []
    surface(campaign, LEAKER, datetime(2026, 11, 21, tzinfo=UTC))
    run_attribution(campaign, now=datetime(2026, 11, 22, tzinfo=UTC))
    suspects = top_suspects()
    assert [s.node for s in suspects] == [LEAKER]
    assert suspects[0].supporting == 3 and suspects[0].name == "杭州西湖网点"


def test_campaign_health_counts_numbers_against_the_codebook_and_the_last_signal(campaign):
    seen_at = datetime(2026, 11, 21, tzinfo=UTC)
    surface(campaign, LEAKER, seen_at)
    run_attribution(campaign, now=datetime(2026, 11, 22, tzinfo=UTC))
    (health,) = campaign_health([campaign])
    # Eight depots with three decoys each: codewords of up to three numbers, so 5 numbers suffice.
    assert (health.targets, health.decoys, health.numbers_needed) == (8, 24, 6)  # 5 + a spare
    assert health.numbers_assigned == 6 and health.signals == 3  # a campaign claims what it needs
    assert health.last_signal_at == seen_at
    assert health.top.node == LEAKER
    assert health.expected_top1 is not None and health.warnings == []


def test_node_history_lists_the_node_in_each_ranking(campaign, network):
    surface(campaign, LEAKER, datetime(2026, 11, 21, tzinfo=UTC))
    run_attribution(campaign, now=datetime(2026, 11, 22, tzinfo=UTC))
    (row,) = node_history(network[LEAKER])
    assert row["campaign"] == campaign and row["rank"] == 1 and row["supporting"] == 3
