"""Signals and the evidence they add up to. Pure.

A signal is one contact or sighting: the decoys it could be about (one when a waybill number or
a unique name matched; several when only a shared canary number or a masked form did, read as
"at least one of these surfaced"), when it was first seen, what kind it was and how much we trust
the match. Repeated signals about the same decoy (or the same candidate set) update the evidence —
earliest time, highest strength — they do not multiply it.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

import numpy as np

from canary.attribution.ledger import Ledger

SIGNAL_KINDS: tuple[str, ...] = ("sms", "call", "online", "tracking", "photo", "dump")


@dataclass(frozen=True)
class Signal:
    """One contact or sighting, already matched to candidate decoy ids."""

    decoys: tuple[int, ...]
    first_seen: float
    kind: str = "online"
    strength: float = 1.0
    # The leak carried the full phone number of the decoy(s): for a privacy-label decoy that can
    # only have come from a system record, not from the printed label.
    full_phone: bool = False
    # Chance this exact signal appears with no leak at all (e.g. spam to a shared canary line);
    # None = derive it from the per-decoy false-trigger rate.
    false_rate: float | None = None


@dataclass
class Evidence:
    """Deduplicated signals as arrays over ledger decoy indexes."""

    # Decoys pinned by a signal of their own ("direct"): one row per decoy.
    decoy: np.ndarray
    first_seen: np.ndarray
    strength: np.ndarray
    full_phone: np.ndarray
    kinds: list[frozenset[str]]
    # Signals that name several candidates (OR); one row per distinct candidate set.
    or_candidates: list[np.ndarray] = field(default_factory=list)
    or_first_seen: np.ndarray = field(default_factory=lambda: np.zeros(0))
    or_strength: np.ndarray = field(default_factory=lambda: np.zeros(0))
    or_false_rate: np.ndarray = field(default_factory=lambda: np.zeros(0))
    or_kinds: list[frozenset[str]] = field(default_factory=list)
    # Decoys that any signal might be about: they are not evidence of silence.
    touched: np.ndarray = field(default_factory=lambda: np.zeros(0, bool))
    signals: int = 0
    unknown: int = 0

    @property
    def n_direct(self) -> int:
        return len(self.decoy)

    @property
    def n_or(self) -> int:
        return len(self.or_candidates)


def collect(ledger: Ledger, signals: Iterable[Signal]) -> Evidence:
    """Map signal decoy ids to ledger indexes and merge repeats."""
    direct: dict[int, list] = {}
    grouped: dict[tuple[int, ...], list] = {}
    count = unknown = 0
    signals = list(signals)
    all_ids = [d for s in signals for d in s.decoys]
    index_of = dict(zip(all_ids, ledger.decoy_indexes(all_ids).tolist(), strict=True)) if all_ids else {}
    for signal in signals:
        count += 1
        idx = tuple(sorted({index_of[d] for d in signal.decoys if index_of[d] >= 0}))
        if not idx:
            unknown += 1
            continue
        strength = min(1.0, max(0.0, float(signal.strength)))
        target = direct if len(idx) == 1 else grouped
        key = idx[0] if len(idx) == 1 else idx
        row = target.get(key)
        if row is None:
            target[key] = [signal.first_seen, strength, signal.full_phone, {signal.kind}, signal.false_rate]
        else:
            row[0] = min(row[0], signal.first_seen)
            row[1] = max(row[1], strength)
            row[2] = row[2] or signal.full_phone
            row[3].add(signal.kind)
    touched = np.zeros(ledger.n_decoys, bool)
    decoys = np.fromiter(direct.keys(), np.int64, len(direct))
    touched[decoys] = True
    # An OR signal that includes a decoy already pinned by its own signal is most likely that same
    # leak seen again: counting it as well would double the evidence.
    grouped = {k: v for k, v in grouped.items() if not touched[list(k)].any()}
    for key in grouped:
        touched[list(key)] = True
    rows = list(direct.values())
    or_rows = list(grouped.values())
    return Evidence(
        decoy=decoys,
        first_seen=np.array([r[0] for r in rows], np.float64),
        strength=np.array([r[1] for r in rows], np.float64),
        full_phone=np.array([r[2] for r in rows], bool),
        kinds=[frozenset(r[3]) for r in rows],
        or_candidates=[np.array(k, np.int64) for k in grouped],
        or_first_seen=np.array([r[0] for r in or_rows], np.float64),
        or_strength=np.array([r[1] for r in or_rows], np.float64),
        or_false_rate=np.array([np.nan if r[4] is None else r[4] for r in or_rows], np.float64),
        or_kinds=[frozenset(r[3]) for r in or_rows],
        touched=touched,
        signals=count,
        unknown=unknown,
    )
