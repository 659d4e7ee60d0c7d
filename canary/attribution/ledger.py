"""The exposure ledger as arrays: which node could see which decoy, from when, through which channel. Pure.

The ledger is the fixed part of a campaign (it changes only when decoys are issued), so it is built
once and reused for every recompute. It keeps the exposures in two sorted orders, by node and by
decoy, because the engine needs both: "what did node j see" for negative evidence and explanations,
"who held decoy t before it surfaced" for temporal exclusion.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from functools import cached_property

import numpy as np
import scipy.sparse as sp

CHANNELS: tuple[str, ...] = ("label", "system", "api")


def _epoch(value: float | datetime) -> float:
    return value.timestamp() if isinstance(value, datetime) else float(value)


class Ledger:
    """Nodes, decoys and exposures (node index, decoy index, visible-from epoch seconds, channel).

    ``control`` marks decoys that were issued but never exposed: whatever surfaces on them is noise.
    ``privacy_label`` marks decoys printed with a masked name/phone, so a leak carrying their full
    phone number cannot have come from reading the label.
    """

    def __init__(
        self,
        node_codes: Sequence[str],
        node_kinds: Sequence[str],
        decoy_ids: Sequence[int] | np.ndarray,
        exposure_node: Sequence[int] | np.ndarray,
        exposure_decoy: Sequence[int] | np.ndarray,
        exposure_time: Sequence[float] | np.ndarray,
        exposure_channel: Sequence[int] | np.ndarray | None = None,
        control: Sequence[bool] | np.ndarray | None = None,
        privacy_label: Sequence[bool] | np.ndarray | None = None,
    ) -> None:
        if len(node_codes) != len(node_kinds):
            raise ValueError("node_codes and node_kinds differ in length")
        self.node_codes = list(node_codes)
        self.node_kinds = list(node_kinds)
        self.decoy_ids = np.asarray(decoy_ids, dtype=np.int64)
        n_decoys = len(self.decoy_ids)
        self.control = np.zeros(n_decoys, bool) if control is None else np.asarray(control, dtype=bool)
        self.privacy_label = (
            np.zeros(n_decoys, bool) if privacy_label is None else np.asarray(privacy_label, dtype=bool)
        )
        nodes = np.asarray(exposure_node, dtype=np.int64)
        decoys = np.asarray(exposure_decoy, dtype=np.int64)
        times = np.asarray(exposure_time, dtype=np.float64)
        channels = (
            np.zeros(len(nodes), np.int8)
            if exposure_channel is None
            else np.asarray(exposure_channel, dtype=np.int8)
        )
        if not (len(nodes) == len(decoys) == len(times) == len(channels)):
            raise ValueError("exposure arrays differ in length")
        if len(nodes) and (nodes.min() < 0 or nodes.max() >= self.n_nodes):
            raise ValueError("exposure refers to an unknown node index")
        if len(decoys) and (decoys.min() < 0 or decoys.max() >= n_decoys):
            raise ValueError("exposure refers to an unknown decoy index")
        self._index_by_node(nodes, decoys, times, channels)

    def _index_by_node(
        self, nodes: np.ndarray, decoys: np.ndarray, times: np.ndarray, channels: np.ndarray
    ) -> None:
        # One node may see one decoy through several channels; the earliest sighting is what counts
        # for timing, so sort by (node, decoy, time) and keep the first of each pair.
        key = nodes * max(1, self.n_decoys) + decoys
        order = np.lexsort((times, key))
        key, times, channels = key[order], times[order], channels[order]
        first = np.ones(len(key), bool)
        first[1:] = key[1:] != key[:-1]
        key, times, channels = key[first], times[first], channels[first]
        nodes = key // max(1, self.n_decoys)
        self.node_decoys = (key % max(1, self.n_decoys)).astype(np.int32)
        self.node_times = times
        self.node_channels = channels
        self.node_ptr = np.zeros(self.n_nodes + 1, np.int64)
        np.cumsum(np.bincount(nodes, minlength=self.n_nodes), out=self.node_ptr[1:])
        # The same exposures ordered by decoy (stable, so nodes stay sorted within a decoy).
        by_decoy = np.argsort(self.node_decoys, kind="stable")
        self.decoy_nodes = nodes[by_decoy].astype(np.int32)
        self.decoy_times = times[by_decoy]
        self.decoy_ptr = np.zeros(self.n_decoys + 1, np.int64)
        np.cumsum(np.bincount(self.node_decoys, minlength=self.n_decoys), out=self.decoy_ptr[1:])

    @classmethod
    def from_records(
        cls,
        nodes: Iterable[tuple[str, str]],
        decoys: Iterable[tuple[int, bool, bool]],
        exposures: Iterable[tuple[str, int, float | datetime, str]],
    ) -> Ledger:
        """Build from plain rows: (code, kind), (decoy id, is_control, privacy_label),
        (node code, decoy id, visible_from, channel) — the shape of ``values_list`` queries."""
        node_rows = list(nodes)
        decoy_rows = list(decoys)
        node_index = {code: i for i, (code, _kind) in enumerate(node_rows)}
        decoy_index = {int(d): i for i, (d, _c, _p) in enumerate(decoy_rows)}
        channel_index = {name: i for i, name in enumerate(CHANNELS)}
        e_node, e_decoy, e_time, e_channel = [], [], [], []
        for code, decoy_id, visible_from, channel in exposures:
            e_node.append(node_index[code])
            e_decoy.append(decoy_index[int(decoy_id)])
            e_time.append(_epoch(visible_from))
            e_channel.append(channel_index.get(channel, 0))
        return cls(
            [code for code, _ in node_rows],
            [kind for _, kind in node_rows],
            [int(d) for d, _, _ in decoy_rows],
            e_node,
            e_decoy,
            e_time,
            e_channel,
            control=[bool(c) for _, c, _ in decoy_rows],
            privacy_label=[bool(p) for _, _, p in decoy_rows],
        )

    # -- kept as arrays ---------------------------------------------------------------------------------

    # What ``to_arrays`` writes and ``from_arrays`` reads: the indexed form, so a stored ledger
    # is used as it is, without sorting millions of exposures again.
    ARRAYS = (
        "decoy_ids", "control", "privacy_label", "node_decoys", "node_times", "node_channels", "node_ptr",
        "decoy_nodes", "decoy_times", "decoy_ptr",
    )  # fmt: skip

    def to_arrays(self) -> dict[str, np.ndarray]:
        """The ledger as plain arrays (node codes and kinds as unicode arrays): ``np.savez`` keeps
        them without pickling anything."""
        arrays = {name: getattr(self, name) for name in self.ARRAYS}
        arrays["node_codes"] = np.asarray(self.node_codes, dtype=str)
        arrays["node_kinds"] = np.asarray(self.node_kinds, dtype=str)
        return arrays

    @classmethod
    def from_arrays(cls, arrays: dict[str, np.ndarray]) -> Ledger:
        """The ledger ``to_arrays`` gave, exactly (no sorting, no checks beyond the shapes)."""
        ledger = cls.__new__(cls)
        ledger.node_codes = [str(code) for code in arrays["node_codes"]]
        ledger.node_kinds = [str(kind) for kind in arrays["node_kinds"]]
        for name in cls.ARRAYS:
            setattr(ledger, name, arrays[name])
        if len(ledger.node_ptr) != ledger.n_nodes + 1 or len(ledger.decoy_ptr) != ledger.n_decoys + 1:
            raise ValueError("stored ledger arrays do not fit together")
        return ledger

    # -- sizes and look-ups -------------------------------------------------------------------------

    @property
    def n_nodes(self) -> int:
        return len(self.node_codes)

    @property
    def n_decoys(self) -> int:
        return len(self.decoy_ids)

    @property
    def n_exposures(self) -> int:
        return len(self.node_decoys)

    @cached_property
    def _node_index(self) -> dict[str, int]:
        return {code: i for i, code in enumerate(self.node_codes)}

    def node_index(self, code: str) -> int:
        return self._node_index[code]

    @cached_property
    def _sorted_decoy_ids(self) -> tuple[np.ndarray, np.ndarray]:
        order = np.argsort(self.decoy_ids, kind="stable")
        return self.decoy_ids[order], order

    def decoy_indexes(self, ids: Sequence[int] | np.ndarray) -> np.ndarray:
        """Indexes of the given decoy ids; -1 for ids this ledger does not know."""
        sorted_ids, order = self._sorted_decoy_ids
        ids = np.asarray(ids, dtype=np.int64)
        pos = np.clip(np.searchsorted(sorted_ids, ids), 0, max(0, len(sorted_ids) - 1))
        if not len(sorted_ids):
            return np.full(len(ids), -1, np.int64)
        found = sorted_ids[pos] == ids
        return np.where(found, order[pos], -1)

    def seen_by(self, node: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(decoy indexes, visible-from times, channel codes) of everything node ``node`` saw."""
        lo, hi = self.node_ptr[node], self.node_ptr[node + 1]
        return self.node_decoys[lo:hi], self.node_times[lo:hi], self.node_channels[lo:hi]

    def holders(self, decoy: int) -> tuple[np.ndarray, np.ndarray]:
        """(node indexes, visible-from times) of the nodes that saw decoy ``decoy``."""
        lo, hi = self.decoy_ptr[decoy], self.decoy_ptr[decoy + 1]
        return self.decoy_nodes[lo:hi], self.decoy_times[lo:hi]

    def exposure(self, node: int, decoy: int) -> tuple[float, str] | None:
        """When and through which channel ``node`` first saw ``decoy`` (None if it never did)."""
        decoys, times, channels = self.seen_by(node)
        pos = int(np.searchsorted(decoys, decoy))
        if pos < len(decoys) and decoys[pos] == decoy:
            return float(times[pos]), CHANNELS[int(channels[pos])] if channels[pos] < len(CHANNELS) else "?"
        return None

    @cached_property
    def pattern(self) -> sp.csr_matrix:
        """Nodes × decoys 0/1 matrix of who saw what."""
        data = np.ones(self.n_exposures, np.float64)
        return sp.csr_matrix((data, self.node_decoys, self.node_ptr), shape=(self.n_nodes, self.n_decoys))

    @cached_property
    def node_of_exposure(self) -> np.ndarray:
        """The node of each exposure, in the by-node order."""
        return np.repeat(np.arange(self.n_nodes, dtype=np.int32), np.diff(self.node_ptr))

    def seen_counts(self, before: float | None = None) -> np.ndarray:
        """Per node, how many decoys it saw (at or before ``before`` when given)."""
        if before is None or (self.n_exposures and before >= self.node_times.max()):
            return np.diff(self.node_ptr)
        return np.bincount(self.node_of_exposure[self.node_times <= before], minlength=self.n_nodes)

    def holder_counts(self) -> np.ndarray:
        """Per decoy, how many nodes saw it (|V_t| of the guilt model)."""
        return np.diff(self.decoy_ptr)

    def with_isolated_decoys(self, node_counts: dict[int, int], at: float, channel: str = "system") -> Ledger:
        """A copy with extra decoys each seen by one node only (to break a tie between look-alikes)."""
        extra_nodes = np.concatenate([np.full(k, j, np.int64) for j, k in node_counts.items()] or [[]])
        n_extra = len(extra_nodes)
        first_id = int(self.decoy_ids.max()) + 1 if self.n_decoys else 1
        return Ledger(
            self.node_codes,
            self.node_kinds,
            np.concatenate([self.decoy_ids, np.arange(first_id, first_id + n_extra)]),
            np.concatenate([self.node_of_exposure, extra_nodes]),
            np.concatenate([self.node_decoys, np.arange(self.n_decoys, self.n_decoys + n_extra)]),
            np.concatenate([self.node_times, np.full(n_extra, at)]),
            np.concatenate([self.node_channels, np.full(n_extra, CHANNELS.index(channel), np.int8)]),
            control=np.concatenate([self.control, np.zeros(n_extra, bool)]),
            privacy_label=np.concatenate([self.privacy_label, np.zeros(n_extra, bool)]),
        )
