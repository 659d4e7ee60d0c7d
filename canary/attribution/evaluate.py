"""How well each decoder finds the leaker(s) on simulated worlds: ours, the PGM baseline, the oracle. Pure.

The three decoders see the **same** worlds (one network, one seeding plan, many leaks drawn on it).
The oracle is told the true leak rate, background rate and number of leakers, so it is the limit.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from canary.attribution.engine import Params, attribute
from canary.attribution.oracle import oracle
from canary.attribution.simulator import NetworkSpec, Scenario, build_network, sample_world, seed_ledger

DECODERS: tuple[str, ...] = ("ours", "pgm", "oracle")


@dataclass
class DecoderScore:
    """Tallies of one decoder over the worlds."""

    worlds: int = 0
    top1: float = 0.0  # the top node is a leaker (ties share the credit)
    rank: float = 0.0  # rank of the best-ranked leaker (ties take the middle rank)
    false_accusation: int = 0  # an innocent node scored above 0.5
    all_found: int = 0  # every leaker scored above every innocent node

    def add(self, scores: np.ndarray, truth: tuple[int, ...]) -> None:
        self.worlds += 1
        innocent = np.ones(len(scores), bool)
        innocent[list(truth)] = False
        self.false_accusation += bool((scores[innocent] > 0.5).any())
        if not truth:
            return
        best = max(truth, key=lambda j: scores[j])
        above = int((scores > scores[best]).sum())
        tied = scores == scores[best]
        if above == 0:
            self.top1 += float((~innocent & tied).sum()) / float(tied.sum())
        self.rank += above + (int(tied.sum()) + 1) / 2
        self.all_found += bool(not innocent.all() and scores[list(truth)].min() > scores[innocent].max())

    def summary(self) -> dict[str, float]:
        w = max(self.worlds, 1)
        return {
            "top1": self.top1 / w,
            "mean_rank": self.rank / w,
            "false_accusation": self.false_accusation / w,
            "all_found": self.all_found / w,
        }


@dataclass
class Evaluation:
    nodes: int
    decoys: int
    worlds: int
    mean_signals: float
    scores: dict[str, DecoderScore] = field(default_factory=dict)

    def to_dict(self) -> dict:
        return {
            "nodes": self.nodes,
            "decoys": self.decoys,
            "worlds": self.worlds,
            "mean_signals": self.mean_signals,
            "decoders": {name: score.summary() for name, score in self.scores.items()},
        }


def evaluate(
    network: NetworkSpec, decoys_per_node: int, scenario: Scenario, worlds: int, seed: int = 0
) -> Evaluation:
    """Draw ``worlds`` leaks on one simulated network and plan, and score every decoder on each."""
    rng = np.random.default_rng(seed)
    ledger = seed_ledger(build_network(network, rng), decoys_per_node, rng)
    # The oracle knows worlds with one to three leakers; in noise-only worlds it has nothing to know.
    decoders = DECODERS if scenario.leakers else DECODERS[:2]
    scores = {name: DecoderScore() for name in decoders}
    signals = 0
    for _ in range(worlds):
        world = sample_world(ledger, scenario, rng)
        signals += len(world.signals)
        ours = attribute(ledger, world.signals, Params(now=world.now))
        scores["ours"].add(ours.posterior, world.leakers)
        scores["pgm"].add(ours.table.pgm_guilt, world.leakers)
        if "oracle" in scores:
            told = oracle(
                ledger,
                world.signals,
                scenario.leak_rate,
                scenario.background_rate,
                scenario.leakers,
                base=Params(now=world.now),
            )
            scores["oracle"].add(told.posterior, world.leakers)
    return Evaluation(
        nodes=ledger.n_nodes,
        decoys=ledger.n_decoys,
        worlds=worlds,
        mean_signals=signals / max(worlds, 1),
        scores=scores,
    )
