"""Where a decoy goes and who sees it on the way. Pure: no Django.

The seeding plan is the attribution ledger: every hop is an exposure (node, channel, from,
until). ``isolated`` shows each decoy to its target node only; ``route`` sends it along a
realistic path merchant → pickup courier → origin depot → hub(s) → destination depot →
delivery courier, with the target node on the path, so the decoy looks like ordinary traffic.
"""

from __future__ import annotations

import random
from bisect import bisect_left
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import NamedTuple

LABEL, SYSTEM, API = "label", "system", "api"

# What a node of each kind sees of a shipment when it is the only one that may see it.
ISOLATED_CHANNEL = {
    "hq": SYSTEM,
    "region": SYSTEM,
    "hub": LABEL,
    "depot": SYSTEM,
    "courier": LABEL,
    "merchant": SYSTEM,
    "vendor": SYSTEM,
    "partner": API,
    "warehouse": LABEL,
}

# Hours after the order is created at which each hop takes the parcel (typical next-day
# inter-city delivery); jitter is added per decoy so that timings do not line up.
HOP_HOURS = {
    "merchant": 0.0,
    "partner": 0.1,
    "vendor": 1.0,
    "warehouse": 1.5,
    "pickup_courier": 3.0,
    "origin_depot": 5.0,
    "origin_hub": 9.0,
    "dest_hub": 22.0,
    "dest_depot": 30.0,
    "delivery_courier": 32.0,
}
_HOP_DELAYS = {name: timedelta(hours=hours) for name, hours in HOP_HOURS.items()}
_LABEL_SLACK = timedelta(hours=2)
_LAST_HOLDER_KEEPS = timedelta(days=2)
_SIDE_VIEWER_KEEPS = timedelta(hours=6)


@dataclass(frozen=True)
class NodeInfo:
    id: int
    code: str
    kind: str
    parent_id: int | None
    province: str = ""
    city: str = ""


class Hop(NamedTuple):
    """A node sees the decoy through a channel from ``visible_from`` (a tuple: ~9 per decoy)."""

    node_id: int
    channel: str
    visible_from: datetime
    visible_until: datetime | None


@dataclass(frozen=True)
class Route:
    hops: tuple[Hop, ...]
    origin_id: int | None
    destination_id: int | None
    merchant_id: int | None
    courier_id: int | None  # the delivering courier, for the sort code


class Network:
    """An in-memory view of the node tree for planning routes quickly."""

    def __init__(self, nodes: Iterable[NodeInfo]):
        self.nodes = {n.id: n for n in nodes}
        self.children: dict[int, list[int]] = defaultdict(list)
        self.by_kind: dict[str, list[int]] = defaultdict(list)
        for node in self.nodes.values():
            if node.parent_id is not None:
                self.children[node.parent_id].append(node.id)
            self.by_kind[node.kind].append(node.id)
        for ids in (*self.children.values(), *self.by_kind.values()):
            ids.sort()
        # Issuing asks the same questions of a few thousand nodes a million times: remember answers.
        self._ancestors: dict[tuple[int, str], int | None] = {}
        self._couriers: dict[int, list[int]] = {}
        self._places: dict[int, tuple[str, str]] = {}
        self._descendants: dict[tuple[int, str], list[int]] = {}

    def ancestor_of_kind(self, node_id: int, kind: str) -> int | None:
        key = (node_id, kind)
        if key not in self._ancestors:
            self._ancestors[key] = self._find_ancestor(node_id, kind)
        return self._ancestors[key]

    def _find_ancestor(self, node_id: int, kind: str) -> int | None:
        current = self.nodes[node_id].parent_id
        while current is not None:
            if self.nodes[current].kind == kind:
                return current
            current = self.nodes[current].parent_id
        return None

    def descendants_of_kind(self, node_id: int, kind: str) -> list[int]:
        key = (node_id, kind)
        if key not in self._descendants:
            self._descendants[key] = self._find_descendants(node_id, kind)
        return self._descendants[key]

    def _find_descendants(self, node_id: int, kind: str) -> list[int]:
        found, stack = [], list(self.children.get(node_id, ()))
        while stack:
            current = stack.pop()
            if self.nodes[current].kind == kind:
                found.append(current)
            stack.extend(self.children.get(current, ()))
        return sorted(found)

    def couriers_of(self, node_id: int) -> list[int]:
        """The couriers directly under a node (a depot's), in id order."""
        if node_id not in self._couriers:
            children = self.children.get(node_id, ())
            self._couriers[node_id] = [c for c in children if self.nodes[c].kind == "courier"]
        return self._couriers[node_id]

    def place(self, node_id: int) -> tuple[str, str]:
        """(province, city) of a node, inherited from the nearest ancestor that has one."""
        if node_id not in self._places:
            self._places[node_id] = self._find_place(node_id)
        return self._places[node_id]

    def _find_place(self, node_id: int) -> tuple[str, str]:
        current: int | None = node_id
        while current is not None:
            node = self.nodes[current]
            if node.city:
                return node.province, node.city
            current = node.parent_id
        return "", ""

    def depot_of(self, node_id: int) -> int | None:
        node = self.nodes[node_id]
        return node_id if node.kind == "depot" else self.ancestor_of_kind(node_id, "depot")


def choice_excluding(ids: list[int], excluded: int | None, rng: random.Random) -> int:
    """``rng.choice([i for i in ids if i != excluded] or ids)`` with the same draw, without
    building a list of every depot for each decoy (``ids`` sorted, no repeats)."""
    at = bisect_left(ids, excluded) if excluded is not None else len(ids)
    if at == len(ids) or ids[at] != excluded or len(ids) == 1:
        return ids[rng.randrange(len(ids))]  # what choice() draws: _randbelow(len)
    drawn = rng.randrange(len(ids) - 1)
    return ids[drawn + (drawn >= at)]


def isolated_exposure(node: NodeInfo, shipped_at: datetime, until: datetime | None) -> Hop:
    return Hop(node.id, ISOLATED_CHANNEL.get(node.kind, SYSTEM), shipped_at, until)


def plan_route(net: Network, target_id: int, shipped_at: datetime, rng: random.Random) -> Route:
    """A plausible path through the network that passes the target node."""
    target = net.nodes[target_id]
    depots = net.by_kind.get("depot", [])
    merchant = origin = dest = pickup = delivery = None
    extra: list[tuple[int, str, str]] = []  # (node, hop name, channel) for side viewers

    if target.kind == "courier":
        delivery, dest = target_id, net.depot_of(target_id)
    elif target.kind == "depot":
        dest = target_id
    elif target.kind == "merchant":
        merchant, origin = target_id, net.depot_of(target_id)
    elif target.kind == "hub":
        under = net.descendants_of_kind(target_id, "depot")
        origin = rng.choice(under) if under else None
        if origin is None:
            extra.append((target_id, "origin_hub", LABEL))
    elif target.kind in ("vendor", "partner", "warehouse", "hq", "region"):
        hop = {"vendor": "vendor", "partner": "partner", "warehouse": "warehouse"}.get(
            target.kind, "merchant"
        )
        channel = {"partner": API, "warehouse": LABEL}.get(target.kind, SYSTEM)
        extra.append((target_id, hop, channel))

    merchants = net.by_kind.get("merchant", [])
    if merchant is None and merchants:
        merchant = rng.choice(merchants)
    if origin is None and depots:
        near = net.depot_of(merchant) if merchant is not None else None
        origin = near if near is not None else rng.choice(depots)
    if dest is None and depots:
        dest = choice_excluding(depots, origin, rng)
    if origin is not None:
        couriers = net.couriers_of(origin)
        pickup = rng.choice(couriers) if couriers else None
    if dest is not None and delivery is None:
        couriers = net.couriers_of(dest)
        delivery = rng.choice(couriers) if couriers else None

    origin_hub = net.ancestor_of_kind(origin, "hub") if origin is not None else None
    dest_hub = net.ancestor_of_kind(dest, "hub") if dest is not None else None
    if target.kind == "hub" and target_id not in (origin_hub, dest_hub) and not extra:
        extra.append((target_id, "origin_hub", LABEL))

    # (node, hop name, channel): physical custody passes the label along; depots also see the
    # record in their system from the moment the parcel is routed to them.
    path: list[tuple[int | None, str, str]] = [
        (merchant, "merchant", SYSTEM),
        (pickup, "pickup_courier", LABEL),
        (origin, "origin_depot", LABEL),
        (origin_hub, "origin_hub", LABEL),
        (dest_hub if dest_hub != origin_hub else None, "dest_hub", LABEL),
        (dest, "dest_depot", LABEL),
        (delivery, "delivery_courier", LABEL),
    ]
    # Adding timedeltas is exact (whole microseconds), so the order of the sum does not matter.
    departure = shipped_at + timedelta(minutes=rng.randint(0, 90))
    custody = [(n, departure + _HOP_DELAYS[name], ch) for n, name, ch in path if n is not None]
    hops: list[Hop] = []
    for i, (node_id, start, channel) in enumerate(custody):
        # A label is in a node's hands until the next node takes the parcel (+ handling slack).
        end = custody[i + 1][1] + _LABEL_SLACK if i + 1 < len(custody) else start + _LAST_HOLDER_KEEPS
        hops.append(Hop(node_id, channel, start, None if channel == SYSTEM else end))
    if dest is not None and dest != origin:
        hops.append(Hop(dest, SYSTEM, departure + _HOP_DELAYS["origin_depot"], None))
    if origin is not None:
        hops.append(Hop(origin, SYSTEM, departure + _HOP_DELAYS["pickup_courier"], None))
    for node_id, name, channel in extra:
        start = departure + _HOP_DELAYS[name]
        hops.append(Hop(node_id, channel, start, None if channel != LABEL else start + _SIDE_VIEWER_KEEPS))

    unique: dict[tuple[int, str], Hop] = {}
    for hop in hops:
        key = (hop.node_id, hop.channel)
        if key not in unique or hop.visible_from < unique[key].visible_from:
            unique[key] = hop
    return Route(
        hops=tuple(sorted(unique.values(), key=lambda h: (h.visible_from, h.node_id))),
        origin_id=origin,
        destination_id=dest,
        merchant_id=merchant,
        courier_id=delivery,
    )


def ship_time(starts_at: datetime, ends_at: datetime, rng: random.Random) -> datetime:
    """When a decoy is shipped: spread over the first week of the window (or its first half)."""
    spread = min(timedelta(days=7), (ends_at - starts_at) / 2)
    return starts_at + timedelta(seconds=rng.uniform(0, spread.total_seconds()))


def seed_exposures(
    net: Network, target_id: int, strategy: str, shipped_at: datetime, until: datetime, rng: random.Random
) -> tuple[Route | None, list[Hop]]:
    """Who sees a decoy seeded for ``target_id``: its route (``route`` strategy) and every hop."""
    if strategy == "route":
        route = plan_route(net, target_id, shipped_at, rng)
        return route, list(route.hops)
    return None, [isolated_exposure(net.nodes[target_id], shipped_at, until)]


def sort_code(net: Network, destination_id: int | None, courier_id: int | None) -> str:
    """A 三段码-like sort code: city segment, depot segment, courier segment.

    Derived from node ids so one depot always prints the same code, like a real sort plan.
    """
    if destination_id is None:
        return "000-000 00"
    # A parcel is sorted to a depot: a courier's decoys carry the code of the courier's depot.
    if net.nodes[destination_id].kind != "depot":
        destination_id = net.ancestor_of_kind(destination_id, "depot") or destination_id
    dest = net.nodes[destination_id]
    hub = net.ancestor_of_kind(destination_id, "hub")
    city_seg = f"{(hub or destination_id) * 37 % 900 + 100:03d}"
    depot_seg = f"{'ABCDEFGHJKLMNPQRSTUVWXYZ'[dest.id % 24]}{dest.id * 7 % 100:02d}"
    courier_seg = f"{(courier_id or 0) % 100:02d}"
    return f"{city_seg}-{depot_seg} {courier_seg}"
