"""Seeding-plan quality: can this plan tell the target nodes apart? Pure.

Checked before a campaign is activated. Two nodes that saw exactly the same decoys can never be
told apart, whatever leaks; a node that sees (nearly) every decoy — an HQ database, a partner API
with full scope — looks like "everyone at once", and any other full-scope node looks like it.
The fixes: give all but one look-alike a few isolated decoys only it sees (for a system node: an
order injected through that system alone), and split a full-scope account into scoped ones.
The expected top-1 accuracy comes from simulating leaks from the targets on this very ledger.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field, replace

import numpy as np

from canary.attribution.engine import Params, attribute
from canary.attribution.ledger import Ledger
from canary.attribution.simulator import Scenario, sample_world


@dataclass
class Suggestion:
    action: str  # "add_isolated_decoys" | "split_scope" | "seed_node"
    node: str
    count: int
    text_zh: str
    text_en: str


@dataclass
class PlanQuality:
    confusable: list[tuple[str, ...]]  # groups of nodes with identical exposure sets
    see_everything: list[str]
    unseeded: list[str]  # targets that see no decoy at all
    suggestions: list[Suggestion]
    expected_top1: float
    expected_top1_after_fixes: float | None
    worlds: int
    confusions: list[tuple[str, str, float]] = field(
        default_factory=list
    )  # (leaker, taken for, share of its leaks)


def identical_groups(ledger: Ledger, nodes: Sequence[int]) -> list[list[int]]:
    """Groups (size ≥ 2) of nodes among ``nodes`` that saw exactly the same, non-empty, set of decoys."""
    groups: dict[bytes, list[int]] = defaultdict(list)
    for j in nodes:
        decoys, _, _ = ledger.seen_by(j)
        if len(decoys):
            groups[decoys.tobytes()].append(int(j))
    return [g for g in groups.values() if len(g) > 1]


def see_everything_nodes(ledger: Ledger, nodes: Sequence[int], share: float = 0.9) -> list[int]:
    """Nodes that saw at least ``share`` of all exposed decoys."""
    exposed = int((ledger.holder_counts() > 0).sum())
    seen = ledger.seen_counts()
    return [int(j) for j in nodes if exposed and seen[j] >= share * exposed]


def expected_top1(
    ledger: Ledger,
    targets: Sequence[int],
    scenario: Scenario,
    worlds: int,
    rng: np.random.Generator,
) -> tuple[float, Counter, Counter]:
    """Share of simulated single-leaker worlds (leaker drawn from ``targets``) where it ranks first,
    with how often each leaker was drawn and which (leaker, top node) mix-ups happened."""
    hits = 0.0
    confusions: Counter = Counter()
    draws: Counter = Counter()
    targets = np.asarray(targets)
    params = Params(max_leakers=1)
    for _ in range(worlds):
        leaker = int(rng.choice(targets))
        draws[leaker] += 1
        world = sample_world(ledger, scenario, rng, leakers=(leaker,))
        result = attribute(ledger, world.signals, replace(params, now=world.now))
        top = result.nodes[0]
        tied = [n for n in result.nodes if n.posterior == top.posterior]
        if any(n.index == leaker for n in tied):
            hits += 1.0 / len(tied)
        if top.index != leaker:
            confusions[(leaker, top.index)] += 1
    return hits / max(worlds, 1), draws, confusions


def plan_quality(
    ledger: Ledger,
    targets: Sequence[str] | None = None,
    leak_rate: float = 0.5,
    false_rate: float = 0.01,
    worlds: int = 200,
    seed: int = 0,
    isolated_per_node: int = 4,
    see_everything_share: float = 0.9,
) -> PlanQuality:
    """Confusable targets, suggested fixes and the expected top-1 accuracy of the plan in ``ledger``."""
    target_idx = list(range(ledger.n_nodes)) if targets is None else [ledger.node_index(c) for c in targets]
    codes = ledger.node_codes
    seen = ledger.seen_counts()
    unseeded = [j for j in target_idx if seen[j] == 0]
    groups = identical_groups(ledger, target_idx)
    everything = see_everything_nodes(ledger, target_idx, see_everything_share)

    suggestions: list[Suggestion] = []
    isolated: dict[int, int] = {}
    for group in groups:
        for j in group[1:]:
            isolated[j] = isolated_per_node
            node, others, k = codes[j], ", ".join(codes[i] for i in group if i != j), isolated_per_node
            suggestions.append(
                Suggestion(
                    "add_isolated_decoys",
                    node,
                    k,
                    f"{node} 与 {others} 经手的诱饵完全相同，无法区分："
                    f"为 {node} 追加 {k} 个只有它能看到的诱饵。",
                    f"{node} saw exactly the same decoys as {others}: add {k} decoys only it sees.",
                )
            )
    for j in everything:
        suggestions.append(
            Suggestion(
                "split_scope",
                codes[j],
                0,
                f"{codes[j]} 能看到几乎所有诱饵，泄露时与“全员泄露”难以区分："
                "请按区域或商家拆分其账号/接口权限。",
                f"{codes[j]} sees almost every decoy, so its leak looks like everyone's: "
                "split its account or API scope by region or merchant.",
            )
        )
    for j in unseeded:
        suggestions.append(
            Suggestion(
                "seed_node",
                codes[j],
                isolated_per_node,
                f"{codes[j]} 没有经手任何诱饵，无法发现它的泄露：请为它投放诱饵。",
                f"{codes[j]} sees no decoy, so its leaks cannot be detected: seed decoys through it.",
            )
        )

    scenario = Scenario(leak_rate=leak_rate, false_rate=false_rate)
    detectable = [j for j in target_idx if seen[j] > 0]
    rng = np.random.default_rng(seed)
    accuracy, draws, confusions = 0.0, Counter(), Counter()
    if detectable:
        accuracy, draws, confusions = expected_top1(ledger, detectable, scenario, worlds, rng)
    after = None
    if isolated:
        at = float(ledger.node_times.min(initial=0.0))
        fixed = ledger.with_isolated_decoys(isolated, at=at)
        after, _, _ = expected_top1(fixed, detectable, scenario, worlds, np.random.default_rng(seed))
    top_confusions = [(codes[j], codes[k], count / draws[j]) for (j, k), count in confusions.most_common(10)]
    return PlanQuality(
        confusable=[tuple(codes[j] for j in g) for g in groups],
        see_everything=[codes[j] for j in everything],
        unseeded=[codes[j] for j in unseeded],
        suggestions=suggestions,
        expected_top1=accuracy,
        expected_top1_after_fixes=after,
        worlds=worlds,
        confusions=top_confusions,
    )
