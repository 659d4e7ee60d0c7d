"""The attribution maths on tiny cases small enough to compute by hand."""

import math

import numpy as np
import pytest

from canary.attribution.engine import Params, attribute
from canary.attribution.evidence import Signal
from canary.attribution.ledger import Ledger

Q, F = 0.5, 0.01
# q and f told, one leaker at most: the posterior is then a closed form.
FIXED = Params(false_rate=F, learn_false_rate=False, leak_rates=(Q,), max_leakers=1, prior_noise_only=0.5)


def ledger_of(seen: dict[str, list[int]], times: dict[str, float] | None = None, controls: int = 0) -> Ledger:
    """Nodes named by ``seen`` keys; each saw the listed decoy ids (ids 0..max, plus controls)."""
    codes = list(seen)
    n_decoys = max(d for ds in seen.values() for d in ds) + 1
    nodes, decoys, when = [], [], []
    for j, code in enumerate(codes):
        for d in seen[code]:
            nodes.append(j)
            decoys.append(d)
            when.append((times or {}).get(code, 0.0))
    total = n_decoys + controls
    return Ledger(
        codes,
        ["depot"] * len(codes),
        range(total),
        nodes,
        decoys,
        when,
        control=[i >= n_decoys for i in range(total)],
    )


def surfaced(*decoys: int, at: float = 100.0, **kw) -> list[Signal]:
    return [Signal((d,), at, **kw) for d in decoys]


def test_posterior_matches_the_hand_computed_bayes_rule():
    # A saw decoy 0, which surfaced; B saw decoy 1, which did not.
    result = attribute(ledger_of({"A": [0], "B": [1]}), surfaced(0), FIXED)
    bf_a = (1 - (1 - Q) * (1 - F)) / F  # 50.5
    bf_b = 1 - Q  # its one decoy stayed silent
    weights = {"noise": 0.5, "A": 0.25 * bf_a, "B": 0.25 * bf_b}
    total = sum(weights.values())
    assert result.node("A").posterior == pytest.approx(weights["A"] / total)
    assert result.node("B").posterior == pytest.approx(weights["B"] / total)
    assert result.noise_only == pytest.approx(weights["noise"] / total)
    assert result.node("A").log_bayes_factor == pytest.approx(math.log(bf_a))


def test_decoys_that_stayed_silent_count_against_a_node():
    # The courier saw 4 decoys, its depot the same 4 and 12 more; the courier's 4 surfaced.
    ledger = ledger_of({"CR": [0, 1, 2, 3], "DEP": list(range(16))})
    result = attribute(ledger, surfaced(0, 1, 2, 3), FIXED)
    cr, dep = result.node("CR"), result.node("DEP")
    assert cr.rank == 1
    assert cr.posterior / dep.posterior == pytest.approx((1 - Q) ** -12)
    assert dep.silent == 12
    # The guilt baseline cannot separate them: same surfaced decoys, same holders.
    assert cr.pgm_guilt == pytest.approx(dep.pgm_guilt)


def test_a_decoy_that_surfaced_before_a_node_saw_it_clears_that_node():
    ledger = ledger_of({"EARLY": [0, 1, 2], "LATE": [0, 1, 2]}, times={"EARLY": 0.0, "LATE": 200.0})
    result = attribute(ledger, surfaced(0, 1, 2, at=100.0), FIXED)
    late = result.node("LATE")
    assert result.nodes[0].code == "EARLY"
    assert late.supporting_decoys == ()
    assert late.cleared_by_time == (0, 1, 2)
    assert late.log_bayes_factor == pytest.approx(0.0)


def test_minimum_lag_clears_a_node_that_saw_the_decoy_just_before_it_surfaced():
    ledger = ledger_of({"JUST": [0]}, times={"JUST": 90.0})
    assert attribute(ledger, surfaced(0, at=100.0), FIXED).node("JUST").supporting_decoys == (0,)
    lagged = Params(**{**FIXED.__dict__, "min_lag_seconds": 30.0})
    assert attribute(ledger, surfaced(0, at=100.0), lagged).node("JUST").cleared_by_time == (0,)


def test_recently_seen_decoys_are_not_yet_evidence_of_silence():
    ledger = ledger_of({"A": [0, 1]}, times={"A": 0.0})
    settled = attribute(ledger, [], Params(**{**FIXED.__dict__, "now": 1000.0, "settle_seconds": 10.0}))
    unsettled = attribute(ledger, [], Params(**{**FIXED.__dict__, "now": 1000.0, "settle_seconds": 5000.0}))
    assert settled.node("A").silent == 2
    assert unsettled.node("A").silent == 0


def test_a_signal_with_several_candidates_counts_as_at_least_one_of_them():
    # A masked name matched decoys 0 and 1; A saw 0, B saw 1, C saw neither.
    ledger = ledger_of({"A": [0], "B": [1], "C": [2]})
    result = attribute(ledger, [Signal((0, 1), 100.0)], FIXED)
    noise = 1 - (1 - F) ** 2
    expected = math.log((1 - (1 - noise) * (1 - Q)) / noise)
    assert result.node("A").log_bayes_factor == pytest.approx(expected)
    assert result.node("B").log_bayes_factor == pytest.approx(expected)
    # C's one decoy is untouched by any signal, so it is silent evidence against C.
    assert result.node("C").log_bayes_factor == pytest.approx(math.log(1 - Q))
    assert result.or_signals == 1


def test_repeated_sightings_of_a_decoy_update_rather_than_multiply_the_evidence():
    ledger = ledger_of({"A": [0, 1], "B": [1, 2]})
    once = attribute(ledger, surfaced(0), FIXED)
    thrice = attribute(
        ledger, [*surfaced(0, at=300.0), *surfaced(0, at=100.0), *surfaced(0, at=200.0)], FIXED
    )
    assert thrice.node("A").posterior == pytest.approx(once.node("A").posterior)
    assert thrice.surfaced[0].first_seen == 100.0
    assert thrice.signals == 3


def test_a_weak_match_weighs_less_than_a_sure_one():
    ledger = ledger_of({"A": [0], "B": [1]})
    sure = attribute(ledger, surfaced(0, strength=1.0), FIXED).node("A").posterior
    weak = attribute(ledger, surfaced(0, strength=0.1), FIXED).node("A").posterior
    assert weak < sure


def test_two_colluders_are_found_as_a_set_when_neither_explains_all():
    # A and B each leaked most of their own decoys; a hub saw all of theirs and 40 more.
    seen = {"A": list(range(8)), "B": list(range(8, 16)), "HUB": list(range(56))}
    seen |= {f"N{i}": list(range(16 + 4 * i, 20 + 4 * i)) for i in range(10)}
    leaked = [0, 1, 2, 3, 5, 6, 8, 9, 10, 12, 13, 15]
    result = attribute(ledger_of(seen), surfaced(*leaked), Params(false_rate=0.01))
    assert {m.code for m in result.leak_set} == {"A", "B"}
    assert {n.code for n in result.nodes[:2]} == {"A", "B"}
    a = next(m for m in result.leak_set if m.code == "A")
    assert a.unique_decoys == (0, 1, 2, 3, 5, 6)
    # One leaker would be the simpler story; the pair is chosen because it is far more probable.
    assert result.hypotheses[0].members in {("A", "B"), ("B", "A")}


def test_one_leaker_is_not_split_into_a_pair():
    seen = {"A": list(range(8)), "B": list(range(8, 16)), "C": list(range(16, 24))}
    result = attribute(ledger_of(seen), surfaced(0, 1, 3, 4, 6), Params(false_rate=0.01))
    assert [m.code for m in result.leak_set] == ["A"]


def test_nothing_surfacing_leaves_noise_only_most_probable():
    result = attribute(ledger_of({"A": [0, 1, 2], "B": [3, 4, 5]}), [], Params())
    assert result.noise_only > 0.5
    assert all(n.posterior < 0.5 for n in result.nodes)


def test_signals_on_control_decoys_raise_the_learned_false_rate():
    ledger = ledger_of({"A": list(range(10))}, controls=100)
    quiet = attribute(ledger, [], Params(false_rate=0.001))
    noisy = attribute(ledger, surfaced(*range(10, 30)), Params(false_rate=0.001))
    assert noisy.false_rate_from_controls > 10 * quiet.false_rate_from_controls
    assert noisy.false_rate > quiet.false_rate


def test_signals_about_unknown_decoys_are_counted_but_ignored():
    result = attribute(ledger_of({"A": [0]}), [Signal((999,), 1.0)], FIXED)
    assert result.unknown_signals == 1
    assert result.signals == 1
    assert result.surfaced == {}


def test_the_result_serialises_ranked_nodes_baseline_and_noise():
    result = attribute(ledger_of({"A": [0, 1], "B": [2]}), surfaced(0, 1), Params())
    data = result.to_dict()
    assert [row["rank"] for row in data["nodes"]] == [1, 2]
    assert data["nodes"][0]["node"] == "A"
    assert data["nodes"][0]["supporting_decoys"] == [0, 1]
    assert set(data) >= {"nodes", "baseline", "signals", "noise_only", "leak_set"}
    assert np.isclose(sum(r["posterior"] for r in data["nodes"]) + data["noise_only"], 1.0, atol=0.05)


def merchant_leak_before_handover() -> Ledger:
    """The merchant saw 85 decoys; its decoy 0 surfaced before it reached the vendors or the depot."""
    codes = ["MERCHANT", "VENDOR-A", "VENDOR-B", "DEPOT"]
    nodes, decoys, when = [0] * 85, list(range(85)), [0.0] * 85
    for j in (1, 2, 3):
        nodes.append(j)
        decoys.append(0)
        when.append(200.0)
    return Ledger(codes, ["merchant", "vendor", "vendor", "depot"], range(85), nodes, decoys, when)


def test_a_node_with_no_supporting_decoy_is_never_ranked_above_one_with_support():
    result = attribute(merchant_leak_before_handover(), surfaced(0, at=100.0), Params())
    merchant = result.node("MERCHANT")
    assert merchant.rank == 1
    assert merchant.supported
    assert [n.supported for n in result.nodes] == [True, False, False, False]
    # The vendors keep nearly their prior; the merchant's 84 silent decoys cost it more than its one
    # surfaced decoy earns, so the posterior alone would have put the vendors first.
    assert result.node("VENDOR-A").posterior > merchant.posterior
    assert result.node("VENDOR-A").cleared_by_time == (0,)


def test_when_noise_is_the_likeliest_reading_the_result_says_so_and_names_what_the_evidence_points_at():
    result = attribute(merchant_leak_before_handover(), surfaced(0, at=100.0), Params())
    assert result.noise_most_likely
    assert [n.code for n in result.pointed_at()] == ["MERCHANT"]
    data = result.to_dict()
    assert data["noise_most_likely"] is True
    assert data["pointed_at"] == ["MERCHANT"]


def test_the_leak_rate_prior_reaches_a_seller_of_a_few_records_out_of_many():
    # Three of 300 decoys surfaced: the fitted rate sits near 1%, below the old 2% floor.
    ledger = ledger_of({"BIG": list(range(300)), "SMALL": [300]})
    result = attribute(ledger, surfaced(0, 1, 2), Params(learn_false_rate=False, false_rate=0.0005))
    big = result.node("BIG")
    assert big.rank == 1
    assert big.leak_rate < 0.02
    assert not result.noise_most_likely
