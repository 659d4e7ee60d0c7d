"""How many canary numbers a campaign needs, which ones fit its decoys, and claiming them.

A pool of owned numbers serves many campaigns. By default a campaign takes the fewest numbers
whose codebook still gives every target node its own set (codewords of up to
``MAX_CODEWORD_WEIGHT`` numbers, pairwise distinct) plus one spare, and leaves the rest free for
the next campaign; ``numbers`` in the spec overrides the count.

A decoy must look like a real shipment to its address: a parcel to a mainland address carries a
mainland mobile number (``+86 1[3-9]…``), so such a campaign only takes mainland mobiles unless
its spec says ``allow_foreign_numbers``.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from django.utils.translation import gettext_noop

from canary.attribution.codebook import capacity
from canary.network.models import Node
from canary.phones import pool
from canary.phones.models import CanaryNumber

from .messages import Message
from .models import Strategy

# Codewords longer than this buy little: a leak that rings three numbers already decodes.
MAX_CODEWORD_WEIGHT = 3
SPARE_NUMBERS = 1
# Provinces outside the mainland numbering plan (Hong Kong, Macao, Taiwan).
_OUTSIDE_MAINLAND = ("香港", "澳门", "澳門", "台湾", "臺灣")


def max_weight(decoys_per_node: int) -> int:
    return max(1, min(MAX_CODEWORD_WEIGHT, decoys_per_node))


def numbers_needed(target_count: int, decoys_per_node: int) -> int:
    """The fewest numbers whose codewords tell ``target_count`` nodes apart, plus a spare."""
    weight = max_weight(decoys_per_node)
    k = 1
    while max(capacity(k, w) for w in range(1, weight + 1)) < target_count:
        k += 1
    return k + SPARE_NUMBERS


def is_mainland_province(province: str) -> bool:
    """A node's province is on the mainland (an empty one defaults to a mainland address)."""
    return not province.strip().startswith(_OUTSIDE_MAINLAND)


def campaign_provinces(strategy: str, targets: Iterable[Node]) -> list[str]:
    """Provinces the decoys' addresses can be in: the targets' own, or with routed decoys any
    node's (a route ends at some destination depot)."""
    if strategy == Strategy.ROUTE:
        return list(Node.objects.values_list("province", flat=True).distinct())
    return [node.province for node in targets]


def claim(campaign, targets: list[Node], spec) -> tuple[list[CanaryNumber], NumberPlan]:
    """Claim the campaign's numbers by its plan, or raise ``pool.NumberError`` saying why not."""
    plan = plan_for_targets(spec, targets)
    if not plan.enough:
        raise pool.NumberError(plan.problem())
    return pool.claim_numbers(campaign, plan.needed, mainland_only=plan.mainland_only), plan


@dataclass(frozen=True)
class NumberPlan:
    """What a campaign would take from the pool: the console wizard shows it before creating."""

    needed: int  # numbers the plan takes (the spec's ``numbers`` or the codebook's minimum)
    minimum: int  # the codebook's minimum plus the spare
    free: int  # free numbers in the pool
    usable: int  # free numbers that fit the decoys' addresses
    mainland_only: bool

    @property
    def enough(self) -> bool:
        return self.usable >= self.needed

    def problem(self) -> str | None:
        """Why the campaign cannot get its numbers, or None."""
        if self.enough:
            return None
        if self.mainland_only and self.usable < self.free:
            return Message(
                gettext_noop(
                    "the decoys go to mainland addresses and need %(needed)s mainland mobile numbers "
                    "(+86 1[3-9]…), but only %(usable)s of the %(free)s free canary numbers are "
                    "mainland mobiles: register mainland numbers with add_numbers, or set "
                    '"allow_foreign_numbers": true in the spec'
                ),
                needed=self.needed,
                usable=self.usable,
                free=self.free,
            )
        if not self.free:
            return Message(gettext_noop("no canary numbers are free: register some with add_numbers"))
        return Message(
            gettext_noop("the plan needs %(needed)s canary numbers but only %(usable)s are free"),
            needed=self.needed,
            usable=self.usable,
        )

    def __str__(self) -> str:
        kind = "mainland mobile " if self.mainland_only else ""
        return f"plan needs {self.needed} {kind}numbers, {self.usable} free"


def plan_numbers(
    target_count: int,
    decoys_per_node: int,
    *,
    requested: int | None = None,
    provinces: Iterable[str] = (),
    allow_foreign: bool = False,
) -> NumberPlan:
    """How many numbers a campaign of ``target_count`` nodes needs and how many it could take."""
    minimum = numbers_needed(target_count, decoys_per_node)
    mainland_only = not allow_foreign and any(is_mainland_province(p) for p in [*provinces] or [""])
    free = list(CanaryNumber.objects.filter(pool.free_numbers()).values_list("e164", flat=True))
    usable = pool.fitting(free, mainland_only)
    return NumberPlan(
        needed=requested if requested else minimum,
        minimum=minimum,
        free=len(free),
        usable=len(usable),
        mainland_only=mainland_only,
    )


def plan_for_targets(spec, targets: list[Node]) -> NumberPlan:
    """The number plan of a campaign spec (a ``planner.CampaignSpec``) for its resolved targets."""
    return plan_numbers(
        len(targets),
        spec.decoys_per_node,
        requested=spec.numbers,
        provinces=campaign_provinces(spec.strategy, targets),
        allow_foreign=spec.allow_foreign_numbers,
    )
