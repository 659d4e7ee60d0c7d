"""A campaign plan checked before anything is issued: no decoy, number or serial is written.

The wizard shows this between "choose nodes" and "issue": the same routes the issuer would draw
(``routing.seed_exposures``) make an in-memory ledger, and ``plan_quality`` simulates leaks on it —
which targets cannot be told apart, the expected top-1 accuracy, and the fixes (isolated decoys for
look-alikes, splitting a see-everything node). It also sizes the number codebook: how many canary
numbers the targets need for distinct number sets, and how many the pool has free.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from typing import Any

from django.utils.translation import gettext as _

from canary.campaigns import routing
from canary.campaigns.numbering import plan_for_targets
from canary.campaigns.planner import CampaignSpec, load_network, resolve_targets

from .ledger import Ledger
from .services import plan_report


@dataclass
class PlanPreview:
    targets: list[str]
    decoys: int
    exposures: int
    numbers_needed: int  # the fewest canary numbers that give every target a distinct set
    numbers_used: int  # what issuing would claim: the requested count, or the fewest plus a spare
    numbers_free: int  # free numbers that fit the decoys' addresses (mainland mobiles for mainland)
    report: dict[str, Any]  # ``plan_report``: confusable nodes, expected top-1, fixes

    @property
    def problems(self) -> list[str]:
        """What keeps this plan from being issued as it stands."""
        problems = []
        if self.numbers_free < self.numbers_used or self.numbers_used < self.numbers_needed:
            problems.append(
                _(
                    "The %(targets)d target nodes need at least %(needed)d canary numbers; "
                    "%(used)d would be used and %(free)d are free."
                )
                % {
                    "targets": len(self.targets),
                    "needed": self.numbers_needed,
                    "used": self.numbers_used,
                    "free": self.numbers_free,
                }
            )
        return problems


def preview_plan(spec: CampaignSpec) -> PlanPreview:
    """Plan ``spec`` as issuing would, in memory only, and report its quality."""
    targets = resolve_targets(spec)
    net = load_network()
    rng = random.Random(spec.seed)
    node_rows: dict[int, tuple[str, str]] = {}
    decoys: list[tuple[int, bool, bool]] = []
    exposures: list[tuple[str, int, Any, str]] = []
    for node in targets:
        node_rows[node.id] = (node.code, node.kind)
        for _k in range(spec.decoys_per_node):
            decoy_id = len(decoys)
            decoys.append((decoy_id, False, False))
            shipped_at = routing.ship_time(spec.starts_at, spec.ends_at, rng)
            _route, hops = routing.seed_exposures(net, node.id, spec.strategy, shipped_at, spec.ends_at, rng)
            for hop in hops:
                info = net.nodes[hop.node_id]
                node_rows.setdefault(info.id, (info.code, info.kind))
                exposures.append((info.code, decoy_id, hop.visible_from, hop.channel))
    for _k in range(spec.controls):
        decoys.append((len(decoys), True, False))
    ledger = Ledger.from_records(sorted(node_rows.values()), decoys, exposures)

    numbers = plan_for_targets(spec, targets)
    return PlanPreview(
        targets=[n.code for n in targets],
        decoys=len(decoys),
        exposures=ledger.n_exposures,
        numbers_needed=numbers.minimum,
        numbers_used=numbers.needed,
        numbers_free=numbers.usable,
        report=plan_report(ledger, [n.code for n in targets]),
    )
