"""Number codebook: which canary phone numbers each target node's decoys carry. Pure.

Owned numbers are scarce, so K numbers serve many nodes: every node gets a distinct set of
``weight`` numbers (a constant-weight codeword). The set of numbers that get called then
points at the node, as in non-adaptive group testing. Codewords are chosen greedily to keep
the pairwise distance large, so that the calls of a few leaking nodes still decode.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Collection, Sequence
from dataclasses import dataclass


class CodebookTooSmall(ValueError):
    """The pool cannot give every node a distinct set of numbers."""


def capacity(k: int, weight: int) -> int:
    """How many distinct codewords K numbers give at this weight: C(K, w)."""
    return math.comb(k, weight) if 0 < weight <= k else 0


def smallest_weight(k: int, nodes: int, max_weight: int) -> int:
    """The least weight w ≤ max_weight with C(K, w) ≥ nodes (fewer numbers per node is cheaper)."""
    for w in range(1, max(1, min(max_weight, k)) + 1):
        if capacity(k, w) >= nodes:
            return w
    raise CodebookTooSmall(
        f"{k} numbers cannot give {nodes} nodes distinct sets of at most {max_weight} numbers"
    )


def codewords(
    k: int, weight: int, count: int, exclude: Sequence[frozenset[int]] = ()
) -> list[frozenset[int]]:
    """``count`` distinct weight-``weight`` subsets of range(k), spread for large distance.

    Greedy: take the candidate that shares the fewest members with any word chosen so far,
    preferring numbers used least, so load and overlap stay even. Deterministic.
    """
    if capacity(k, weight) - len(exclude) < count:
        raise CodebookTooSmall(f"C({k},{weight}) = {capacity(k, weight)} < {count} nodes")
    taken = set(exclude)
    candidates = [frozenset(c) for c in itertools.combinations(range(k), weight) if frozenset(c) not in taken]
    # For large pools an exhaustive greedy is quadratic; an even stride keeps it linear while
    # still spreading usage across the pool.
    if len(candidates) * count > 4_000_000:
        step = len(candidates) // count
        return candidates[::step][:count]
    chosen: list[frozenset[int]] = []
    usage = [0] * k
    # overlap[i]: most members candidate i shares with any chosen word (kept incrementally).
    overlap = [0] * len(candidates)
    alive = list(range(len(candidates)))
    for _ in range(count):
        best = min(alive, key=lambda i: (overlap[i], sum(usage[n] for n in candidates[i]), i))
        word = candidates[best]
        chosen.append(word)
        alive.remove(best)
        for n in word:
            usage[n] += 1
        for i in alive:
            shared = len(candidates[i] & word)
            if shared > overlap[i]:
                overlap[i] = shared
    return chosen


def min_distance(words: Sequence[frozenset[int]]) -> int:
    """Smallest Hamming distance between two codewords (|a △ b|); 0 for fewer than two words."""
    return min((len(a ^ b) for a, b in itertools.combinations(words, 2)), default=0)


@dataclass(frozen=True)
class CallMatch:
    node: int  # index into the codeword list
    covered: float  # share of the node's numbers that were called
    possible: bool  # every number of its codeword was called (COMP: cannot be ruled out)
    definite: bool  # the only possible node that explains some called number (DD)


def decode_calls(words: Sequence[frozenset[int]], called: Collection[int]) -> list[CallMatch]:
    """Which nodes' codewords explain the set of numbers that got called, best first.

    Group-testing decoding: a node whose whole codeword was called is *possible* (COMP); a possible
    node that is the only possible one for some called number is *definite* (DD). Numbers called by
    spam make extra nodes possible but rarely definite, and a leaker that passed on only part of its
    decoys shows up as a high but incomplete coverage. The full posterior, with timing and silent
    decoys, is the engine's job; this is the quick look a planner needs.
    """
    called = set(called)
    coverage = [len(w & called) / len(w) if w else 0.0 for w in words]
    possible = [c == 1.0 for c in coverage]
    explainers: dict[int, list[int]] = {}
    for i, word in enumerate(words):
        if possible[i]:
            for number in word:
                explainers.setdefault(number, []).append(i)
    definite = {nodes[0] for nodes in explainers.values() if len(nodes) == 1}
    matches = [CallMatch(i, coverage[i], possible[i], i in definite) for i in range(len(words))]
    return sorted(matches, key=lambda m: (not m.definite, not m.possible, -m.covered, m.node))
