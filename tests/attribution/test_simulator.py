"""The simulator builds routed courier networks and leaks the decoders can be tested on."""

from collections import Counter

import numpy as np

from canary.attribution.engine import Params, attribute
from canary.attribution.oracle import oracle
from canary.attribution.simulator import (
    DAY,
    NetworkSpec,
    Scenario,
    build_network,
    sample_world,
    seed_ledger,
)


def test_the_default_network_has_the_shape_of_a_courier_network():
    net = build_network(NetworkSpec(), np.random.default_rng(0))
    kinds = Counter(net.kinds)
    assert (
        kinds["hub"] == 20 and kinds["depot"] == 400 and kinds["courier"] == 1200 and kinds["merchant"] == 300
    )
    assert 1900 <= net.size <= 2100


def test_every_target_sees_at_least_its_own_decoys(small_network, small_ledger):
    seen = small_ledger.seen_counts()
    assert (seen[small_network.targets()] >= 6).all()
    assert small_ledger.control.sum() > 0
    assert (small_ledger.holder_counts()[small_ledger.control] == 0).all()


def test_a_route_reaches_the_delivery_courier_last(small_network, small_ledger):
    kinds = np.array(small_ledger.node_kinds)
    for decoy in range(0, 150, 7):
        nodes, times = small_ledger.holders(decoy)
        last = nodes[np.argmax(times)]
        assert kinds[last] == "courier"
        hubs = times[kinds[nodes] == "hub"]
        assert times[kinds[nodes] == "courier"].max() > hubs.max()


def test_a_world_is_reproducible_from_its_seed():
    small = NetworkSpec(hubs=3, depots=10, merchants=5, vendors=2, partners=2)

    def world(seed: int):
        rng = np.random.default_rng(seed)
        return sample_world(seed_ledger(build_network(small, rng), 4, rng), Scenario(), rng)

    a, b = world(5), world(5)
    assert a.leakers == b.leakers
    assert [(s.decoys, s.first_seen) for s in a.signals] == [(s.decoys, s.first_seen) for s in b.signals]
    assert [(s.decoys, s.first_seen) for s in world(6).signals] != [
        (s.decoys, s.first_seen) for s in a.signals
    ]


def test_leaked_decoys_surface_after_the_leaker_saw_them(small_ledger):
    world = sample_world(
        small_ledger, Scenario(leak_rate=1.0, false_rate=0.0, repeat_mean=0.0), np.random.default_rng(3)
    )
    (leaker,) = world.leakers
    seen_by_leaker = set(small_ledger.decoy_ids[small_ledger.seen_by(leaker)[0]].tolist())
    surfaced = {d for s in world.signals for d in s.decoys}
    # Every decoy it saw leaks at q = 1 (a few may surface after the observation window ends).
    assert surfaced <= seen_by_leaker and len(surfaced) >= len(seen_by_leaker) // 2
    for signal in world.signals:
        seen_at, _channel = small_ledger.exposure(leaker, int(small_ledger.decoy_indexes(signal.decoys)[0]))
        assert seen_at < signal.first_seen


def test_a_seller_of_old_records_leaks_nothing_younger_than_its_threshold(small_ledger):
    scenario = Scenario(
        leak_rate=1.0, false_rate=0.0, repeat_mean=0.0, old_records_only_days=30, observe_days=200
    )
    world = sample_world(small_ledger, scenario, np.random.default_rng(4))
    (leaker,) = world.leakers
    assert world.signals
    for signal in world.signals:
        seen_at, _ = small_ledger.exposure(leaker, int(small_ledger.decoy_indexes(signal.decoys)[0]))
        assert signal.first_seen - seen_at >= 30 * DAY


def test_noise_only_worlds_have_no_leaker_and_few_signals(small_ledger):
    world = sample_world(
        small_ledger, Scenario(leakers=0, false_rate=0.01, repeat_mean=0.0), np.random.default_rng(5)
    )
    assert world.leakers == ()
    assert len(world.signals) < 0.05 * small_ledger.n_decoys


def test_a_full_scope_system_sees_every_decoy_unless_split():
    whole = build_network(
        NetworkSpec(hubs=3, depots=10, merchants=5, vendors=2, partners=2, see_everything=1),
        np.random.default_rng(1),
    )
    ledger = seed_ledger(whole, 3, np.random.default_rng(2), control_fraction=0.0)
    system = int(whole.systems[0][0])
    assert ledger.seen_counts()[system] == ledger.n_decoys
    split = build_network(
        NetworkSpec(
            hubs=3, depots=10, merchants=5, vendors=2, partners=2, see_everything=1, split_see_everything=True
        ),
        np.random.default_rng(1),
    )
    ledger = seed_ledger(split, 3, np.random.default_rng(2), control_fraction=0.0)
    assert len(set(split.systems[0].tolist())) == 3
    assert ledger.seen_counts()[split.systems[0]].max() < ledger.n_decoys


def test_the_decoder_and_the_oracle_find_an_obvious_leaker(small_ledger):
    world = sample_world(small_ledger, Scenario(leak_rate=1.0, false_rate=0.001), np.random.default_rng(6))
    ours = attribute(small_ledger, world.signals, Params(now=world.now))
    told = oracle(small_ledger, world.signals, 1.0, 0.001, base=Params(now=world.now))
    assert ours.nodes[0].index == world.leakers[0]
    assert told.nodes[0].index == world.leakers[0]


def test_colluders_are_both_ranked_on_top(small_ledger):
    world = sample_world(
        small_ledger, Scenario(leakers=2, leak_rate=0.8, false_rate=0.001), np.random.default_rng(11)
    )
    result = attribute(small_ledger, world.signals, Params(now=world.now))
    assert {n.index for n in result.nodes[:2]} == set(world.leakers)
