"""Number codebook: which canary phone numbers each target node's decoys carry. Pure.

Owned numbers are scarce, so K numbers serve many nodes: every node gets a distinct set of
``weight`` numbers (a constant-weight codeword). The set of numbers that get called then
points at the node, as in non-adaptive group testing. Codewords are chosen greedily to keep
the pairwise distance large, so that the calls of a few leaking nodes still decode (the
attribution engine does the decoding, with timing and silent decoys).
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence


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
