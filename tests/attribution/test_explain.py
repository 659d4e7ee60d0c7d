"""Explanations tell an analyst why a node is suspected, in Chinese and English."""

import pytest

from canary.attribution.engine import Params, attribute
from canary.attribution.evidence import Signal
from canary.attribution.explain import explain, report
from canary.attribution.ledger import Ledger

# 2025-03-01 00:00 UTC = 08:00 in Shanghai.
T0 = 1_740_787_200.0


@pytest.fixture
def case():
    # DEP saw decoys 0-5 through its system; CR picked up 0-2 (label); LATE got 0-2 after they surfaced.
    nodes = [0] * 6 + [1] * 3 + [2] * 3
    decoys = [*range(6), 0, 1, 2, 0, 1, 2]
    times = [T0] * 9 + [T0 + 10 * 86400] * 3
    channels = [1] * 6 + [0] * 3 + [0] * 3
    ledger = Ledger(
        ["DEP", "CR", "LATE"],
        ["depot", "courier", "courier"],
        range(6),
        nodes,
        decoys,
        times,
        channels,
        privacy_label=[True] * 6,
    )
    signals = [Signal((d,), T0 + 86400, kind="online", full_phone=True) for d in range(5)]
    signals.append(Signal((0,), T0 + 2 * 86400, kind="photo"))
    return ledger, attribute(ledger, signals, Params())


def test_the_chinese_explanation_counts_surfaced_decoys_and_shows_shanghai_time(case):
    ledger, result = case
    text = explain(result, ledger, "DEP")
    assert text.startswith("DEP（网点）")
    assert "6 个诱饵中有 5 个已出现" in text
    assert "2025-03-02 08:00" in text
    assert "系统记录" in text


def test_nodes_that_got_the_decoys_after_they_surfaced_are_named_as_cleared(case):
    ledger, result = case
    assert "按时间排除：LATE" in explain(result, ledger, "DEP")
    assert "Cleared by time: LATE" in explain(result, ledger, "DEP", "en")


def test_full_phones_of_privacy_label_decoys_point_at_a_system(case):
    ledger, result = case
    assert "must have come from a system" in explain(result, ledger, "DEP", "en")
    assert "完整号码只能来自系统" in explain(result, ledger, "DEP")


def test_a_label_photo_points_at_physical_handling(case):
    ledger, result = case
    assert "physical handling" in explain(result, ledger, "CR", "en")


def test_the_runner_up_is_named_with_a_reason(case):
    ledger, result = case
    text = explain(result, ledger, "DEP", "en")
    assert "The runner-up is CR" in text
    assert "explains only 3 surfaced decoys, against 5" in text
    behind = explain(result, ledger, "CR", "en")
    assert "The most likely node is DEP" in behind


def test_the_report_has_the_attribute_command_shape(case):
    ledger, result = case
    data = report(result, ledger, "en", limit=2)
    assert [row["node"] for row in data["nodes"]] == ["DEP", "CR"]
    assert all(row["explanation"] for row in data["nodes"])
    assert data["signals"] == 6
    assert "DEP" in data["baseline"]
    assert 0.0 <= data["noise_only"] <= 1.0
