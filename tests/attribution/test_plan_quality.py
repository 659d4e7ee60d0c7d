"""Seeding-plan quality: look-alike targets, full-scope systems and the expected accuracy."""

import numpy as np

from canary.attribution.ledger import Ledger
from canary.attribution.plan_quality import plan_quality
from canary.attribution.simulator import NetworkSpec, build_network, seed_ledger


def twins_ledger() -> Ledger:
    # Partner systems P1 and P2 saw exactly the same 6 decoys; C1..C4 have their own.
    codes = ["P1", "P2", "C1", "C2", "C3", "C4"]
    nodes, decoys = [0] * 6 + [1] * 6, list(range(6)) * 2
    for j in range(2, 6):
        nodes += [j] * 6
        decoys += list(range(6 * (j - 1), 6 * j))
    return Ledger(codes, ["partner"] * 2 + ["courier"] * 4, range(30), nodes, decoys, [0.0] * len(nodes))


def test_nodes_that_saw_the_same_decoys_are_reported_confusable_with_a_fix():
    report = plan_quality(twins_ledger(), worlds=60, seed=1)
    assert report.confusable == [("P1", "P2")]
    fix = next(s for s in report.suggestions if s.action == "add_isolated_decoys")
    assert fix.node == "P2" and fix.count == 4
    assert "P1" in fix.text_zh and "P1" in fix.text_en
    assert report.expected_top1_after_fixes > report.expected_top1


def test_a_node_that_sees_every_decoy_should_have_its_scope_split():
    net = build_network(
        NetworkSpec(hubs=3, depots=10, merchants=5, vendors=2, partners=2, see_everything=1),
        np.random.default_rng(1),
    )
    ledger = seed_ledger(net, 3, np.random.default_rng(2))
    report = plan_quality(ledger, worlds=10)
    system = ledger.node_codes[int(net.systems[0][0])]
    assert report.see_everything == [system]
    assert any(s.action == "split_scope" and s.node == system for s in report.suggestions)


def test_a_target_without_decoys_is_reported():
    ledger = Ledger(["A", "B"], ["depot", "depot"], [1, 2], [0, 0], [0, 1], [0.0, 0.0])
    report = plan_quality(ledger, worlds=5)
    assert report.unseeded == ["B"]
    assert any(s.action == "seed_node" and s.node == "B" for s in report.suggestions)


def test_a_well_seeded_plan_expects_high_accuracy(small_ledger):
    report = plan_quality(small_ledger, leak_rate=0.5, false_rate=0.01, worlds=40, seed=2)
    assert report.confusable == []
    assert report.expected_top1 >= 0.8
