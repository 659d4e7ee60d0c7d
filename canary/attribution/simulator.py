"""Synthetic courier networks, seeding plans and leaks, for benchmarks and plan checks. Pure.

A network has hubs (转运中心), depots (网点) each with its couriers, merchants at depots, data-entry
vendors serving groups of depots, partner systems serving groups of merchants, and optionally
full-scope systems (an HQ database, a partner API that sees everything). A decoy travels
merchant → pickup courier → origin depot → origin hub → (destination hub) → destination depot →
delivery courier, and every node on the way sees it at a realistic time, through a channel.

A seeding plan gives each target node k decoys whose route passes through it. A scenario then
picks leaker(s) that pass on a fraction q of what they saw, after a delay, surfacing after a lag;
independent surfacing p and false triggers f hit any decoy. The decoders get the ledger and the
signals; the truth stays with the world.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from canary.attribution.evidence import Signal
from canary.attribution.ledger import CHANNELS, Ledger

DAY = 86_400.0
HOUR = 3_600.0
EPOCH = 1_735_689_600.0  # 2025-01-01 00:00 UTC: the simulated campaign starts here
LABEL, SYSTEM, API = (CHANNELS.index(c) for c in ("label", "system", "api"))


@dataclass(frozen=True)
class NetworkSpec:
    hubs: int = 20
    depots: int = 400
    couriers_per_depot: int = 3
    merchants: int = 300
    vendors: int = 40
    partners: int = 30
    # Full-scope systems (HQ database, partner API with every merchant): they see every decoy.
    see_everything: int = 0
    # Split each full-scope system into scoped accounts (per hub region / per merchant group).
    split_see_everything: bool = False


@dataclass
class Network:
    codes: list[str]
    kinds: list[str]
    hubs: np.ndarray  # node index per hub
    depots: np.ndarray  # node index per depot
    depot_hub: np.ndarray  # hub number of each depot
    couriers: np.ndarray  # depots × couriers_per_depot node indexes
    merchants: np.ndarray  # node index per merchant
    merchant_depot: np.ndarray  # depot number of each merchant
    vendors: np.ndarray
    depot_vendor: np.ndarray  # vendor number serving each depot's data entry
    partners: np.ndarray
    merchant_partner: np.ndarray  # partner number serving each merchant, -1 if none
    # Full-scope systems: per system, node index per hub region (one node repeated if not split).
    systems: list[np.ndarray] = field(default_factory=list)

    @property
    def size(self) -> int:
        return len(self.codes)

    def targets(self) -> np.ndarray:
        """Nodes a plan seeds decoys for: everything but full-scope systems (they see all anyway)."""
        skip = {int(j) for s in self.systems for j in s}
        return np.array([j for j in range(self.size) if j not in skip], np.int64)


def build_network(spec: NetworkSpec, rng: np.random.Generator) -> Network:
    codes: list[str] = []
    kinds: list[str] = []

    def add(kind: str, count: int, prefix: str) -> np.ndarray:
        start = len(codes)
        codes.extend(f"{prefix}{i:04d}" for i in range(count))
        kinds.extend([kind] * count)
        return np.arange(start, start + count)

    hubs = add("hub", spec.hubs, "HUB")
    depots = add("depot", spec.depots, "DEP")
    couriers = add("courier", spec.depots * spec.couriers_per_depot, "CR").reshape(spec.depots, -1)
    merchants = add("merchant", spec.merchants, "MER")
    vendors = add("vendor", spec.vendors, "VEN")
    partners = add("partner", spec.partners, "PAR")
    systems = []
    for s in range(spec.see_everything):
        if spec.split_see_everything:
            systems.append(add("partner", spec.hubs, f"SYS{s}-R"))
        else:
            systems.append(np.full(spec.hubs, add("partner", 1, f"SYS{s}-")[0]))
    depot_hub = rng.integers(spec.hubs, size=spec.depots)
    depot_hub[: spec.hubs] = np.arange(spec.hubs)  # every hub serves at least one depot
    merchant_partner = (
        rng.integers(spec.partners, size=spec.merchants) if spec.partners else np.full(spec.merchants, -1)
    )
    merchant_partner[rng.random(spec.merchants) < 0.2] = -1  # some merchants use no partner system
    return Network(
        codes=codes,
        kinds=kinds,
        hubs=hubs,
        depots=depots,
        depot_hub=depot_hub,
        couriers=couriers,
        merchants=merchants,
        merchant_depot=rng.integers(spec.depots, size=spec.merchants),
        vendors=vendors,
        depot_vendor=rng.integers(spec.vendors, size=spec.depots)
        if spec.vendors
        else np.full(spec.depots, -1),
        partners=partners,
        merchant_partner=merchant_partner,
        systems=systems,
    )


@dataclass
class _Routes:
    origin: np.ndarray
    dest: np.ndarray
    merchant: np.ndarray
    pickup: np.ndarray
    delivery: np.ndarray


def _pick_member(group_of: np.ndarray, wanted: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """For each wanted group, a random item whose group it is (-1 where the group is empty)."""
    order = np.argsort(group_of, kind="stable")
    sizes = np.bincount(
        group_of[group_of >= 0], minlength=int(max(group_of.max(initial=0), wanted.max(initial=0))) + 1
    )
    starts = np.cumsum(sizes) - sizes + int((group_of < 0).sum())
    size = sizes[wanted]
    pick = starts[wanted] + np.floor(rng.random(len(wanted)) * np.maximum(size, 1)).astype(np.int64)
    return np.where(size > 0, order[np.minimum(pick, len(order) - 1)], -1)


def _routes(net: Network, targets: np.ndarray, rng: np.random.Generator) -> _Routes:
    """One route per entry of ``targets`` that passes through that node."""
    n_dep = len(net.depots)
    n = len(targets)
    kinds = np.array(net.kinds)[targets]
    origin = rng.integers(n_dep, size=n)
    dest = rng.integers(n_dep, size=n)
    merchant = np.full(n, -1)
    pickup = np.full(n, -1)
    delivery = np.full(n, -1)
    fixed_origin = np.zeros(n, bool)
    fixed_dest = np.zeros(n, bool)
    side = rng.random(n) < 0.5

    number = targets.copy()  # the target's number within its kind
    for kind, base in (
        ("hub", net.hubs),
        ("depot", net.depots),
        ("merchant", net.merchants),
        ("vendor", net.vendors),
        ("partner", net.partners),
    ):
        mask = kinds == kind
        if len(base):
            number[mask] = targets[mask] - base[0]
    courier_mask = kinds == "courier"
    courier_no = targets[courier_mask] - net.couriers.flat[0]
    courier_depot = courier_no // net.couriers.shape[1]

    m = kinds == "merchant"
    merchant[m] = number[m]
    origin[m], fixed_origin[m] = net.merchant_depot[number[m]], True
    p = np.flatnonzero(kinds == "partner")
    picked = _pick_member(net.merchant_partner, number[p], rng)
    p, picked = p[picked >= 0], picked[picked >= 0]
    merchant[p], origin[p], fixed_origin[p] = picked, net.merchant_depot[picked], True
    c = np.flatnonzero(courier_mask)
    up, down = c[side[c]], c[~side[c]]
    origin[up], fixed_origin[up], pickup[up] = courier_depot[side[c]], True, targets[up]
    dest[down], fixed_dest[down], delivery[down] = courier_depot[~side[c]], True, targets[down]
    d = np.flatnonzero(kinds == "depot")
    origin[d[side[d]]], fixed_origin[d[side[d]]] = number[d[side[d]]], True
    dest[d[~side[d]]], fixed_dest[d[~side[d]]] = number[d[~side[d]]], True
    h = np.flatnonzero(kinds == "hub")
    depot = _pick_member(net.depot_hub, number[h], rng)
    up, down = h[side[h]], h[~side[h]]
    origin[up], fixed_origin[up] = depot[side[h]], True
    dest[down], fixed_dest[down] = depot[~side[h]], True
    v = np.flatnonzero(kinds == "vendor")
    depot = _pick_member(net.depot_vendor, number[v], rng)
    v, depot = v[depot >= 0], depot[depot >= 0]
    dest[v], fixed_dest[v] = depot, True

    clash = origin == dest
    shift_dest = clash & ~fixed_dest
    dest[shift_dest] = (dest[shift_dest] + 1) % n_dep
    shift_origin = clash & fixed_dest
    origin[shift_origin] = (origin[shift_origin] + 1) % n_dep

    # Half of the other shipments come from a merchant at the origin depot, half from walk-ins.
    walk_in = np.flatnonzero((merchant < 0) & (rng.random(n) < 0.5))
    merchant[walk_in] = _pick_member(net.merchant_depot, origin[walk_in], rng)
    per = net.couriers.shape[1]
    free = pickup < 0
    pickup[free] = net.couriers[origin[free], rng.integers(per, size=free.sum())]
    free = delivery < 0
    delivery[free] = net.couriers[dest[free], rng.integers(per, size=free.sum())]
    return _Routes(origin, dest, merchant, pickup, delivery)


def seed_ledger(
    net: Network,
    decoys_per_node: int,
    rng: np.random.Generator,
    campaign_days: float = 30.0,
    control_fraction: float = 0.02,
    privacy_fraction: float = 0.5,
    targets: np.ndarray | None = None,
) -> Ledger:
    """Issue ``decoys_per_node`` decoys routed through each target node and record every exposure."""
    targets = net.targets() if targets is None else np.asarray(targets, np.int64)
    target_of = np.repeat(targets, decoys_per_node)
    r = _routes(net, target_of, rng)
    n = len(target_of)
    t0 = EPOCH + rng.uniform(0, campaign_days * DAY, size=n)
    hours = lambda lo, hi: rng.uniform(lo, hi, size=n) * HOUR  # noqa: E731 - tiny local helper
    t_pickup = t0 + hours(1, 8)
    t_origin = t_pickup + hours(1, 4)
    t_hub = t_origin + hours(3, 10)
    t_hub2 = t_hub + hours(10, 30)
    t_dest = t_hub2 + hours(4, 12)
    t_delivery = t_dest + hours(1, 6)
    idx = np.arange(n)
    origin_hub, dest_hub = net.depot_hub[r.origin], net.depot_hub[r.dest]
    has_merchant = r.merchant >= 0
    partner = np.where(has_merchant, net.merchant_partner[np.maximum(r.merchant, 0)], -1)
    has_partner = has_merchant & (partner >= 0)
    vendor = net.depot_vendor[r.dest]
    has_vendor = vendor >= 0
    second_hub = dest_hub != origin_hub
    parts = [
        (net.merchants[r.merchant[has_merchant]], idx[has_merchant], t0[has_merchant], SYSTEM),
        (net.partners[partner[has_partner]], idx[has_partner], t0[has_partner], API),
        (r.pickup, idx, t_pickup, LABEL),
        (net.depots[r.origin], idx, t_origin, LABEL),
        (net.hubs[origin_hub], idx, t_hub, SYSTEM),
        (net.hubs[dest_hub[second_hub]], idx[second_hub], t_hub2[second_hub], SYSTEM),
        (net.depots[r.dest], idx, t_dest, SYSTEM),
        (net.vendors[vendor[has_vendor]], idx[has_vendor], t_dest[has_vendor] + HOUR, SYSTEM),
        (r.delivery, idx, t_delivery, LABEL),
    ]
    for accounts in net.systems:
        parts.append((accounts[origin_hub], idx, t0, SYSTEM))
        parts.append((accounts[dest_hub], idx, t_dest, SYSTEM))  # a no-op duplicate when not split
    controls = round(n * control_fraction)
    e_node = np.concatenate([p[0] for p in parts])
    e_decoy = np.concatenate([p[1] for p in parts])
    e_time = np.concatenate([p[2] for p in parts])
    e_channel = np.concatenate([np.full(len(p[0]), p[3], np.int8) for p in parts])
    total = n + controls
    return Ledger(
        net.codes,
        net.kinds,
        np.arange(1, total + 1),
        e_node,
        e_decoy,
        e_time,
        e_channel,
        control=np.arange(total) >= n,
        privacy_label=rng.random(total) < privacy_fraction,
    )


@dataclass(frozen=True)
class Scenario:
    leakers: int = 1  # 0 = noise only
    leak_rate: float = 0.5  # q: share of what a leaker saw that it passes on
    false_rate: float = 0.01  # f: false triggers per decoy over the campaign (spam, guessed numbers)
    independent_rate: float = 0.0  # p: a decoy surfaces through some other path
    leak_delay_days: float = 2.0  # mean time from seeing a record to passing it on
    lag_days: float = 5.0  # mean time from the leak to the first signal
    old_records_only_days: float | None = None  # the leaker sells only records at least this old
    observe_days: float = 120.0  # how long after the first exposure signals are collected
    repeat_mean: float = 0.5  # extra signals per surfaced decoy (repeat calls, re-posts)
    leaker_kinds: tuple[str, ...] | None = None  # restrict who may leak

    @property
    def background_rate(self) -> float:
        """What surfaces without a leaker, per decoy: false triggers and independent surfacing."""
        return 1.0 - (1.0 - self.false_rate) * (1.0 - self.independent_rate)


@dataclass
class World:
    ledger: Ledger
    signals: list[Signal]
    leakers: tuple[int, ...]  # node indexes (the truth)
    scenario: Scenario
    now: float  # when the signals were collected


def sample_world(
    ledger: Ledger, scenario: Scenario, rng: np.random.Generator, leakers: tuple[int, ...] | None = None
) -> World:
    """Pick leaker(s) and draw the signals they and the noise produce on ``ledger``.

    Works on any ledger (simulated or a real campaign's plan): time runs from its first exposure.
    """
    start = float(ledger.node_times.min(initial=EPOCH))
    last = float(ledger.node_times.max(initial=EPOCH))
    now = max(start + scenario.observe_days * DAY, last + 30 * DAY)
    if leakers is None:
        pool = np.flatnonzero(np.diff(ledger.node_ptr) > 0)
        if scenario.leaker_kinds:
            kinds = np.array(ledger.node_kinds)
            pool = pool[np.isin(kinds[pool], scenario.leaker_kinds)]
        leakers = tuple(int(j) for j in rng.choice(pool, size=scenario.leakers, replace=False))
    decoy_list, time_list, full_list, label_list = [], [], [], []
    for j in leakers:
        decoys, seen_at, channels = ledger.seen_by(j)
        leaked = rng.random(len(decoys)) < scenario.leak_rate
        decoys, seen_at, channels = decoys[leaked], seen_at[leaked], channels[leaked]
        if scenario.old_records_only_days is None:
            leak_at = seen_at + rng.exponential(scenario.leak_delay_days * DAY, len(decoys))
        else:
            # Sold in monthly batches, only records old enough to be "safe" to sell.
            ready = seen_at + scenario.old_records_only_days * DAY
            leak_at = np.ceil((ready - start) / (30 * DAY)) * 30 * DAY + start
        decoy_list.append(decoys)
        time_list.append(leak_at + rng.exponential(scenario.lag_days * DAY, len(decoys)))
        full_list.append(channels != LABEL)  # a system export carries the full phone number
        label_list.append(channels == LABEL)
    # Independent surfacing (after the decoy exists) and false triggers (any time).
    n = ledger.n_decoys
    first_exposure = np.full(n, start)
    exposed = np.diff(ledger.decoy_ptr) > 0
    first_exposure[exposed] = np.minimum.reduceat(ledger.decoy_times, ledger.decoy_ptr[:-1][exposed])
    indep = np.flatnonzero((rng.random(n) < scenario.independent_rate) & exposed)
    decoy_list.append(indep)
    time_list.append(first_exposure[indep] + rng.exponential(scenario.lag_days * DAY, len(indep)))
    full_list.append(np.zeros(len(indep), bool))
    label_list.append(np.zeros(len(indep), bool))
    noise = np.flatnonzero(rng.random(n) < scenario.false_rate)
    decoy_list.append(noise)
    time_list.append(rng.uniform(start, now, len(noise)))
    full_list.append(np.zeros(len(noise), bool))
    label_list.append(np.zeros(len(noise), bool))

    decoys = np.concatenate(decoy_list)
    times = np.concatenate(time_list)
    full = np.concatenate(full_list)
    photo = np.concatenate(label_list)
    keep = times <= now
    decoys, times, full, photo = decoys[keep], times[keep], full[keep], photo[keep]
    signals = []
    ids = ledger.decoy_ids
    for d, t, is_full, is_photo in zip(
        decoys.tolist(), times.tolist(), full.tolist(), photo.tolist(), strict=True
    ):
        kind = (
            "photo"
            if is_photo and rng.random() < 0.3
            else ("online" if is_full else ("call", "sms")[rng.integers(2)])
        )
        signals.append(Signal((int(ids[d]),), t, kind=kind, full_phone=bool(is_full)))
        for _ in range(rng.poisson(scenario.repeat_mean)):
            later = t + rng.exponential(scenario.lag_days * DAY)
            if later <= now:
                signals.append(Signal((int(ids[d]),), later, kind=("call", "sms")[rng.integers(2)]))
    return World(ledger=ledger, signals=signals, leakers=tuple(leakers), scenario=scenario, now=now)
