"""Explanations tell an analyst why a node is suspected, in Chinese and English."""

import pytest

from canary.attribution.engine import Params, attribute
from canary.attribution.evidence import Signal
from canary.attribution.explain import explain_node, report, verdict
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


WAYBILLS = {d: f"SF10000000000{d:02d}" for d in range(6)}


def explain(result, ledger, code, lang="zh-hans", waybills=WAYBILLS) -> str:
    """Summary and details as one text, for checks that do not care where a sentence sits."""
    text = explain_node(result, ledger, code, lang, waybills)
    return " ".join([text.summary, *text.details])


def test_the_chinese_explanation_counts_surfaced_decoys_and_shows_shanghai_time(case):
    ledger, result = case
    text = explain(result, ledger, "DEP")
    assert text.startswith("DEP（网点）最可能是泄露源")
    assert "6 个诱饵中有 5 个已出现" in text
    assert "2025-03-02 08:00" in text
    assert "系统记录" in text


def test_nodes_that_got_the_decoys_after_they_surfaced_are_named_as_cleared(case):
    ledger, result = case
    assert "按时间排除：LATE" in explain(result, ledger, "DEP")
    assert "Cleared by time: LATE (courier)" in explain(result, ledger, "DEP", "en")


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
    assert "The runner-up is CR (courier)" in text
    assert "explains only 3 surfaced decoys, against 5" in text
    behind = explain(result, ledger, "CR", "en")
    assert "The most likely node is DEP (depot)" in behind


def test_the_report_has_the_attribute_command_shape(case):
    ledger, result = case
    data = report(result, ledger, "en", limit=2)
    assert [row["node"] for row in data["nodes"]] == ["DEP", "CR"]
    assert all(row["explanation"] and row["details"] for row in data["nodes"])
    assert data["verdict"].startswith("Most likely reading: DEP (depot) leaks")
    assert data["signals"] == 6
    assert "DEP" in data["baseline"]
    assert 0.0 <= data["noise_only"] <= 1.0


def test_the_summary_cites_waybill_numbers_never_decoy_ids(case):
    ledger, result = case
    summary = explain_node(result, ledger, "DEP", "en", WAYBILLS).summary
    assert "Surfaced waybills: SF1000000000000, SF1000000000001" in summary
    assert "decoys 0" not in summary and ": 0, 1" not in summary


def test_without_waybill_numbers_the_texts_give_counts_only(case):
    ledger, result = case
    text = explain_node(result, ledger, "DEP", "en", None)
    assert "5 of the 6 decoy waybills it handled surfaced." in text.summary
    assert not any(w in " ".join([text.summary, *text.details]) for w in WAYBILLS.values())


@pytest.fixture
def one_strong_sighting():
    """300 depots with 3 decoys each; one SMS names a decoy of D001."""
    n = 300
    ledger = Ledger(
        [f"D{j:03d}" for j in range(n)],
        ["depot"] * n,
        range(3 * n),
        [j for j in range(n) for _ in range(3)],
        range(3 * n),
        [T0] * (3 * n),
    )
    return ledger, attribute(ledger, [Signal((4,), T0 + 86400, kind="sms")], Params())


def test_one_strong_sighting_is_read_as_a_lead_with_noise_said_first(one_strong_sighting):
    ledger, result = one_strong_sighting
    assert result.noise_most_likely and result.top.code == "D001"
    assert verdict(result, "en").startswith("Most likely reading: noise only (probability 0.9")
    assert verdict(result, "en").endswith("The evidence points at: D001 (depot).")
    summary = explain_node(result, ledger, "D001", "en", {4: "SF1000000000041"}).summary
    assert summary.startswith("The evidence points at D001 (depot), but not firmly")
    assert "Read it as a lead, not a finding" in summary
    assert "times more suspicious than before" in summary
    chinese = explain_node(result, ledger, "D001", "zh-hans", {4: "SF1000000000041"}).summary
    assert "这是一条线索，还不是结论" in chinese and "SF1000000000041" in chinese


def test_a_node_with_no_evidence_says_so(one_strong_sighting):
    ledger, result = one_strong_sighting
    summary = explain_node(result, ledger, "D000", "en").summary
    assert summary.startswith("No evidence against D000 (depot)")
    assert verdict(result, "zh-hans").startswith("最可能的解读：仅为噪声")


def test_a_node_only_a_shared_number_points_at_says_so():
    # One SMS to a canary number shared by decoys 0 (A) and 1 (B): an OR signal.
    ledger = Ledger(["A", "B"], ["depot", "depot"], range(2), [0, 1], [0, 1], [T0, T0])
    result = attribute(ledger, [Signal((0, 1), T0 + 86400, kind="sms")], Params())
    summary = explain_node(result, ledger, "A", "en").summary
    assert summary.startswith("The evidence points at A (depot), but not firmly")
    assert "only signals that fit several decoys" in summary
    assert "共用的金丝雀号码" in explain_node(result, ledger, "A").summary
