"""The guilt model of Papadimitriou & Garcia-Molina ("Data Leakage Detection", IEEE TKDE 2011). Pure.

Pr{G_i | S} = 1 − ∏_{t ∈ S ∩ R_i} (1 − (1 − p) / |V_t|): S the leaked objects, R_i what agent i
holds, V_t the agents holding t, p the chance an object reached the leak some other way. It is a
per-agent marginal, counts only what surfaced and knows no time: kept as the baseline we compare to.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence

import numpy as np

from canary.attribution.ledger import Ledger


def guilt(holdings: Sequence[Collection[object]], leaked: Collection[object], p: float) -> list[float]:
    """Guilt of each agent from plain sets (the textbook form, for small hand-made cases)."""
    holders: dict[object, int] = {}
    for held in holdings:
        for obj in set(held):
            holders[obj] = holders.get(obj, 0) + 1
    result = []
    for held in holdings:
        innocent = 1.0
        for obj in set(held) & set(leaked):
            innocent *= 1.0 - (1.0 - p) / holders[obj]
        result.append(1.0 - innocent)
    return result


def ledger_guilt(ledger: Ledger, surfaced: np.ndarray, p: float) -> np.ndarray:
    """Guilt of every ledger node given the indexes of the decoys that surfaced."""
    surfaced = np.unique(np.asarray(surfaced, dtype=np.int64))
    holder_counts = ledger.holder_counts()[surfaced]
    held = holder_counts > 0
    surfaced, holder_counts = surfaced[held], holder_counts[held]
    if not len(surfaced):
        return np.zeros(ledger.n_nodes)
    with np.errstate(divide="ignore"):
        log_innocent = np.log(np.maximum(0.0, 1.0 - (1.0 - p) / holder_counts))
    # Matrix form of the product: sum the logs over the surfaced decoys each node holds.
    per_node = ledger.pattern[:, surfaced] @ np.where(np.isfinite(log_innocent), log_innocent, 0.0)
    certain = (ledger.pattern[:, surfaced] @ (~np.isfinite(log_innocent)).astype(float)) > 0
    return np.where(certain, 1.0, 1.0 - np.exp(per_node))
