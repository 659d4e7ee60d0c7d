"""Attribution: from signals to a posterior over "which node leaks". Pure (NumPy/SciPy, no Django).

The model, decoy by decoy. Under "node j leaks", j passes on each decoy it saw with probability q
(its leak rate); independently, any decoy surfaces with the false-trigger rate f (spam to a canary
line, a guessed number, another path). Under "noise only" every decoy surfaces with rate f. So:

- a decoy j saw **in time** (at least ``min_lag`` before the decoy first surfaced) that surfaced
  weighs 1 − (1−q)(1−f) against f: strong evidence for j;
- a decoy j saw that did **not** surface weighs (1−q) against 1: a node that saw ten decoys and
  leaked none is unlikely to be a bulk leaker;
- a decoy that surfaced before j ever saw it says nothing for j (it was cleared by time);
- a signal with several candidate decoys is an OR: "at least one of them surfaced";
- a signal of strength s is real with probability s and otherwise noise.

q is not known: it is integrated over a grid (Bayesian model averaging, which also penalises a
node that explains the data only with an extreme q), and the posterior mean is reported as the
fitted leak rate. f is learned: first from control decoys (never exposed), then refined from the
decoys the best hypothesis leaves to chance. Two or three colluders are hypotheses too ("j and k
leak"), searched among the strongest single suspects; their small prior per set is the complexity
penalty that keeps one leaker the answer unless one node cannot explain the signals.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

import numpy as np
import scipy.sparse as sp
from scipy.special import logsumexp

from canary.attribution.evidence import Evidence, Signal, collect
from canary.attribution.ledger import Ledger
from canary.attribution.pgm import ledger_guilt

# Leak rates the posterior averages over: denser near 0 and 1, where the likelihood changes fastest.
# The low end reaches sellers of "a few records out of many seen" (a merchant whose one decoy of 85
# surfaced): without it, every silent decoy of a big node would weigh against it at q >= 2%.
DEFAULT_LEAK_RATES: tuple[float, ...] = (
    0.002,
    0.005,
    0.01,
    0.02,
    0.04,
    0.07,
    0.1,
    0.14,
    0.2,
    0.27,
    0.35,
    0.45,
    0.55,
    0.65,
    0.75,
    0.85,
    0.93,
    0.98,
    0.999,
)
# Below 2% a rate is possible (a few records sold out of many seen) but rarer: each such grid point
# weighs a quarter, so the low end rescues a big node with one surfaced decoy without diluting the
# evidence of typical leakers (bench/attribution.py: top-1 unchanged with it, one cell 0.2 points
# lower with equal weights).
LOW_LEAK_RATE = 0.02
LOW_LEAK_RATE_WEIGHT = 0.25
MAX_LEAK_RATE = 0.999  # q = 1 would make one unsurfaced decoy an absolute alibi
MIN_FALSE_RATE = 1e-7


@dataclass(frozen=True)
class Params:
    """Knobs of the model; the defaults suit a campaign with a few thousand decoys."""

    false_rate: float = 0.005  # prior guess of f, per decoy over the campaign
    learn_false_rate: bool = True
    false_rate_prior_weight: float = 200.0  # how many decoys' worth of belief the prior guess carries
    leak_rates: tuple[float, ...] = DEFAULT_LEAK_RATES
    # Prior over leak_rates; None: 1 each, LOW_LEAK_RATE_WEIGHT below LOW_LEAK_RATE.
    leak_rate_weights: tuple[float, ...] | None = None
    min_lag_seconds: float = 0.0  # a node must have seen a decoy this long before it surfaced
    settle_seconds: float = 0.0  # decoys seen more recently than this are not yet evidence of silence
    now: float | None = None  # epoch seconds of the evaluation (default: latest exposure or signal)
    # Most bursts of signals are noise: a node must earn its accusation. With these priors a node
    # needs a Bayes factor of about e^10 over "noise only" to pass 0.5 on a 2,000-node network, which
    # keeps false accusations in noise-only worlds under 1% (see bench/attribution.py). Ranking does
    # not depend on them; only how confident the posterior is.
    prior_noise_only: float = 0.9
    prior_two_leakers: float = 0.008
    prior_three_leakers: float = 0.002
    max_leakers: int = 3
    set_candidates: int = 24  # strongest single suspects searched for colluding sets
    pgm_p: float = 0.5  # the baseline's "leaked some other way" probability


@dataclass
class NodeScore:
    index: int
    code: str
    kind: str
    posterior: float  # probability this node is (one of) the leaker(s)
    rank: int
    log_bayes_factor: float  # "j alone leaks" against "noise only"
    leak_rate: float  # posterior mean of q under "j leaks"
    supporting_decoys: tuple[int, ...]  # surfaced decoy ids this node saw in time
    cleared_by_time: tuple[int, ...]  # surfaced decoy ids this node saw only after they surfaced
    seen: int  # decoys this node saw
    silent: int  # decoys it saw that have not surfaced (evidence against it)
    pgm_guilt: float
    supported: bool  # some surfaced decoy (or OR-signal candidate) was seen by it in time


@dataclass
class LeakSetMember:
    code: str
    posterior: float
    supporting_decoys: tuple[int, ...]
    unique_decoys: tuple[int, ...]  # explained by this member only, within the set


@dataclass
class Hypothesis:
    members: tuple[str, ...]  # () = noise only
    posterior: float
    log_bayes_factor: float


@dataclass
class Surfaced:
    """What we know of one surfaced decoy, for explanations."""

    decoy_id: int
    first_seen: float
    kinds: frozenset[str]
    strength: float
    full_phone: bool
    privacy_label: bool


@dataclass
class NodeTable:
    """Per-node results as arrays (indexed by ledger node index); NodeScore objects are made on demand."""

    codes: list[str]
    kinds: list[str]
    posterior: np.ndarray
    log_bayes_factor: np.ndarray
    leak_rate: np.ndarray
    seen: np.ndarray
    silent: np.ndarray
    pgm_guilt: np.ndarray
    order: np.ndarray  # node indexes, best first
    supported: np.ndarray  # bool per node: it saw a surfaced decoy (or an OR candidate) in time
    in_time: sp.csr_matrix  # nodes × surfaced decoys seen in time
    late: sp.csr_matrix  # nodes × surfaced decoys seen only after they surfaced
    surfaced_ids: np.ndarray  # decoy id of each column

    def supporting(self, j: int) -> tuple[int, ...]:
        row = self.in_time.indices[self.in_time.indptr[j] : self.in_time.indptr[j + 1]]
        return tuple(self.surfaced_ids[np.sort(row)].tolist())

    def cleared(self, j: int) -> tuple[int, ...]:
        row = self.late.indices[self.late.indptr[j] : self.late.indptr[j + 1]]
        return tuple(self.surfaced_ids[np.sort(row)].tolist())

    def score(self, j: int, rank: int) -> NodeScore:
        return NodeScore(
            index=j,
            code=self.codes[j],
            kind=self.kinds[j],
            posterior=float(self.posterior[j]),
            rank=rank,
            log_bayes_factor=float(self.log_bayes_factor[j]),
            leak_rate=float(self.leak_rate[j]),
            supporting_decoys=self.supporting(j),
            cleared_by_time=self.cleared(j),
            seen=int(self.seen[j]),
            silent=int(self.silent[j]),
            pgm_guilt=float(self.pgm_guilt[j]),
            supported=bool(self.supported[j]),
        )


@dataclass
class Attribution:
    table: NodeTable
    noise_only: float
    leak_set: list[LeakSetMember]
    leak_set_posterior: float
    hypotheses: list[Hypothesis]  # the most probable few, best first
    false_rate: float
    false_rate_from_controls: float | None
    signals: int
    unknown_signals: int
    surfaced: dict[int, Surfaced] = field(default_factory=dict)
    or_signals: int = 0
    params: Params = field(default_factory=Params)

    @cached_property
    def nodes(self) -> list[NodeScore]:
        """Every node, ranked best first."""
        return self.ranked()

    def ranked(self, limit: int | None = None) -> list[NodeScore]:
        """The ``limit`` best nodes (all when None), without building the rest."""
        order = self.table.order if limit is None else self.table.order[:limit]
        return [self.table.score(int(j), rank) for rank, j in enumerate(order, start=1)]

    @cached_property
    def _rank_of(self) -> np.ndarray:
        ranks = np.empty(len(self.table.order), np.int64)
        ranks[self.table.order] = np.arange(1, len(ranks) + 1)
        return ranks

    def node(self, code: str) -> NodeScore:
        j = self.table.codes.index(code)
        return self.table.score(j, int(self._rank_of[j]))

    @property
    def top(self) -> NodeScore | None:
        return self.ranked(1)[0] if len(self.table.order) else None

    @property
    def noise_most_likely(self) -> bool:
        """True when "noise only" is the single most probable reading of the signals."""
        return bool(self.hypotheses) and self.hypotheses[0].members == ()

    def pointed_at(self, limit: int | None = None) -> list[NodeScore]:
        """Nodes some evidence points at (saw a surfaced decoy in time), best first."""
        n = int(self.table.supported.sum())
        return self.ranked(n if limit is None else min(n, limit))

    def ranking_key(self) -> np.ndarray:
        """Per node, a score whose order is the ranking's: support first, then the posterior."""
        return self.table.posterior + 2.0 * self.table.supported

    @property
    def posterior(self) -> np.ndarray:
        """Probability that each node (by ledger index) is a leaker."""
        return self.table.posterior

    @cached_property
    def baseline(self) -> dict[str, float]:
        """PGM guilt per node code."""
        return dict(zip(self.table.codes, self.table.pgm_guilt.tolist(), strict=True))

    def to_dict(self, limit: int | None = 50) -> dict[str, Any]:
        """JSON-ready summary (the ``attribute --json`` shape, without explanations)."""
        ranked = self.ranked(limit)
        return {
            "nodes": [
                {
                    "node": n.code,
                    "kind": n.kind,
                    "posterior": round(n.posterior, 6),
                    "rank": n.rank,
                    "leak_rate": round(n.leak_rate, 4),
                    "supporting_decoys": list(n.supporting_decoys),
                    "cleared_by_time": list(n.cleared_by_time),
                    "seen": n.seen,
                    "silent": n.silent,
                    "supported": n.supported,
                }
                for n in ranked
            ],
            "noise_only": round(self.noise_only, 6),
            "noise_most_likely": self.noise_most_likely,
            "pointed_at": [n.code for n in self.pointed_at(limit)],
            "leak_set": [
                {
                    "node": m.code,
                    "posterior": round(m.posterior, 6),
                    "supporting_decoys": list(m.supporting_decoys),
                }
                for m in self.leak_set
            ],
            "leak_set_posterior": round(self.leak_set_posterior, 6),
            "baseline": {
                self.table.codes[j]: round(float(self.table.pgm_guilt[j]), 6)
                for j in np.flatnonzero(self.table.pgm_guilt > 0)
            },
            "signals": self.signals,
            "false_rate": self.false_rate,
        }


# --------------------------------------------------------------------------------------------------
# Evidence laid against the ledger


@dataclass
class _Layout:
    in_time: sp.csr_matrix  # nodes × direct decoys: saw it in time to have leaked it
    late: sp.csr_matrix  # nodes × direct decoys: saw it only after it surfaced
    silent: np.ndarray  # per node: decoys seen (before the settle cutoff) that nothing points at
    or_counts: sp.csr_matrix  # nodes × OR signals: how many of the candidates it saw in time


def _supported(lay: _Layout) -> np.ndarray:
    """Per node: it saw in time a surfaced decoy or a candidate of an OR signal."""
    return np.asarray((lay.in_time.getnnz(axis=1) > 0) | (lay.or_counts.getnnz(axis=1) > 0))


def _exposures_of(ledger: Ledger, decoys: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Positions in the by-decoy exposure arrays of all exposures of ``decoys``, and which row each is."""
    starts, ends = ledger.decoy_ptr[decoys], ledger.decoy_ptr[decoys + 1]
    lengths = ends - starts
    rows = np.repeat(np.arange(len(decoys)), lengths)
    offsets = np.arange(lengths.sum()) - np.repeat(np.cumsum(lengths) - lengths, lengths)
    return np.repeat(starts, lengths) + offsets, rows


def _layout(ledger: Ledger, ev: Evidence, params: Params, now: float) -> _Layout:
    n = ledger.n_nodes
    pos, col = _exposures_of(ledger, ev.decoy)
    nodes, times = ledger.decoy_nodes[pos], ledger.decoy_times[pos]
    ok = times <= ev.first_seen[col] - params.min_lag_seconds
    shape = (n, ev.n_direct)
    in_time = sp.csr_matrix((np.ones(ok.sum()), (nodes[ok], col[ok])), shape=shape)
    late = sp.csr_matrix((np.ones((~ok).sum()), (nodes[~ok], col[~ok])), shape=shape)

    cutoff = now - params.settle_seconds
    touched = np.flatnonzero(ev.touched)
    t_pos, _ = _exposures_of(ledger, touched)
    t_pos = t_pos[ledger.decoy_times[t_pos] <= cutoff]
    silent = ledger.seen_counts(cutoff) - np.bincount(ledger.decoy_nodes[t_pos], minlength=n)

    rows_n, rows_s = [], []
    for s, candidates in enumerate(ev.or_candidates):
        c_pos, _ = _exposures_of(ledger, candidates)
        c_pos = c_pos[ledger.decoy_times[c_pos] <= ev.or_first_seen[s] - params.min_lag_seconds]
        rows_n.append(ledger.decoy_nodes[c_pos])
        rows_s.append(np.full(len(c_pos), s))
    if rows_n:
        r_n, r_s = np.concatenate(rows_n), np.concatenate(rows_s)
        or_counts = sp.csr_matrix((np.ones(len(r_n)), (r_n, r_s)), shape=(n, ev.n_or))
    else:
        or_counts = sp.csr_matrix((n, 0))
    return _Layout(in_time, late, silent.astype(np.float64), or_counts)


# --------------------------------------------------------------------------------------------------
# Likelihood pieces (log-likelihood ratios against "noise only", one column per grid leak rate)


def _surfaced_llr(strength: np.ndarray, q: np.ndarray, f: float, holders: int) -> np.ndarray:
    """Per surfaced decoy × q: log P(surfaced | `holders` leakers saw it) / P(surfaced | noise)."""
    p_leak = 1.0 - (1.0 - f) * (1.0 - q[None, :]) ** holders
    s = strength[:, None]
    return np.log(s * p_leak / f + (1.0 - s))


def _or_llr(strength: np.ndarray, false: np.ndarray, counts: np.ndarray, q: np.ndarray) -> np.ndarray:
    """OR signals: log P(at least one candidate surfaced | leakers saw `counts` of them) / P(... | noise)."""
    p_leak = 1.0 - (1.0 - false[..., None]) * (1.0 - q) ** counts[..., None]
    s = strength[..., None]
    return np.log(s * p_leak / false[..., None] + (1.0 - s))


def _or_false(ev: Evidence, f: float) -> np.ndarray:
    sizes = np.array([len(c) for c in ev.or_candidates], np.float64)
    derived = 1.0 - (1.0 - f) ** sizes
    return np.clip(np.where(np.isnan(ev.or_false_rate), derived, ev.or_false_rate), MIN_FALSE_RATE, 1.0)


def _single_loglik(lay: _Layout, ev: Evidence, q: np.ndarray, f: float) -> np.ndarray:
    """Nodes × q: log-likelihood ratio of "this node alone leaks at rate q" against noise only."""
    ll = lay.in_time @ _surfaced_llr(ev.strength, q, f, 1)
    ll += lay.silent[:, None] * np.log1p(-q)[None, :]
    if ev.n_or and lay.or_counts.nnz:
        coo = lay.or_counts.tocoo()
        vals = _or_llr(ev.or_strength[coo.col], _or_false(ev, f)[coo.col], coo.data, q)
        gather = sp.csr_matrix(
            (np.ones(len(coo.row)), (coo.row, np.arange(len(coo.row)))), shape=(ll.shape[0], len(coo.row))
        )
        ll += gather @ vals
    return ll


def _set_loglik(
    members: np.ndarray,
    dense: dict[str, np.ndarray],
    ev_or_strength: np.ndarray,
    q: np.ndarray,
    f: float,
    strength: np.ndarray,
) -> np.ndarray:
    """Hypotheses × q for sets of leakers; ``members`` is a 0/1 matrix hypotheses × candidates."""
    counts = members @ dense["in_time"]
    ll = np.zeros((members.shape[0], len(q)))
    for c in range(1, int(counts.max(initial=0)) + 1):
        ll += (counts == c).astype(np.float64) @ _surfaced_llr(strength, q, f, c)
    ll += (members @ dense["silent"])[:, None] * np.log1p(-q)[None, :]
    if dense["or_counts"].shape[1]:
        or_counts = members @ dense["or_counts"]
        ll += _or_llr(ev_or_strength[None, :], dense["or_false"][None, :], or_counts, q).sum(axis=1)
    return ll


# --------------------------------------------------------------------------------------------------


def _leak_rate_grid(params: Params) -> tuple[np.ndarray, np.ndarray]:
    q = np.minimum(np.asarray(params.leak_rates, np.float64), MAX_LEAK_RATE)
    w = (
        np.where(q < LOW_LEAK_RATE, LOW_LEAK_RATE_WEIGHT, 1.0)
        if params.leak_rate_weights is None
        else np.asarray(params.leak_rate_weights, np.float64)
    )
    return q, np.log(w / w.sum())


def _false_rate_prior(params: Params) -> tuple[float, float]:
    f0 = min(max(params.false_rate, MIN_FALSE_RATE), 0.5)
    return f0 * params.false_rate_prior_weight, (1.0 - f0) * params.false_rate_prior_weight


def attribute(ledger: Ledger, signals: Iterable[Signal], params: Params | None = None) -> Attribution:
    """Score every node of ``ledger`` against ``signals``: ranked posteriors, leak set, baseline."""
    params = params or Params()
    ev = collect(ledger, signals)
    lay = _layout(ledger, ev, params, _evaluation_time(ledger, ev, params))
    q, log_w = _leak_rate_grid(params)
    log_prior = _log_priors(params)
    node_log_prior = np.full(ledger.n_nodes, -math.log(max(ledger.n_nodes, 1)))

    f_controls, f = _false_rate_from_controls(ledger, ev, params)
    ll = _single_loglik(lay, ev, q, f)
    if params.learn_false_rate:
        f = _refit_false_rate(
            ledger, ev, lay, logsumexp(ll + log_w, axis=1), node_log_prior, log_prior, params
        )
        ll = _single_loglik(lay, ev, q, f)
    single = logsumexp(ll + log_w, axis=1)  # log Bayes factor of each node against noise only

    # Hypotheses: noise only, each node alone, then colluding sets among the strongest suspects.
    members: list[tuple[int, ...]] = [(), *((j,) for j in range(ledger.n_nodes))]
    log_post = [np.array([log_prior["none"]]), log_prior["one"] + node_log_prior + single]
    lbf = [np.zeros(1), single]
    if params.max_leakers >= 2 and ledger.n_nodes >= 2:
        sets, set_lbf = _colluding_sets(lay, ev, q, log_w, f, single + node_log_prior, params)
        sizes = np.array([len(s) for s in sets])
        set_prior = np.array(
            [log_prior["two" if k == 2 else "three"] - _log_comb(ledger.n_nodes, k) for k in sizes]
        )
        members += sets
        log_post.append(set_prior + set_lbf)
        lbf.append(set_lbf)
    log_post_all = np.concatenate(log_post)
    post = np.exp(log_post_all - logsumexp(log_post_all))

    # P(node j leaks) = its single hypothesis plus every set it belongs to.
    marginal = post[1 : ledger.n_nodes + 1].copy()
    for h in range(ledger.n_nodes + 1, len(members)):
        marginal[list(members[h])] += post[h]
    return _result(
        ledger,
        ev,
        lay,
        params,
        q,
        log_w,
        ll,
        single,
        f,
        f_controls,
        members,
        post,
        np.concatenate(lbf),
        marginal,
    )


def _evaluation_time(ledger: Ledger, ev: Evidence, params: Params) -> float:
    if params.now is not None:
        return params.now
    return max(
        float(ledger.node_times.max(initial=0.0)),
        float(ev.first_seen.max(initial=0.0)),
        float(ev.or_first_seen.max(initial=0.0)),
    )


def _false_rate_from_controls(ledger: Ledger, ev: Evidence, params: Params) -> tuple[float | None, float]:
    """(rate measured on control decoys, or None without controls; the rate to start from)."""
    if not params.learn_false_rate:
        return None, min(max(params.false_rate, MIN_FALSE_RATE), 0.5)
    alpha, beta = _false_rate_prior(params)
    # Control decoys were never exposed: anything on them is noise. The prior guess weighs in as
    # pseudo-decoys, so a handful of controls cannot swing f to zero or to a large value.
    hits = float(ev.strength[ledger.control[ev.decoy]].sum())
    count = float(ledger.control.sum())
    f = (hits + alpha) / (count + alpha + beta)
    return (f if count else None), f


def _refit_false_rate(
    ledger: Ledger,
    ev: Evidence,
    lay: _Layout,
    single: np.ndarray,
    node_log_prior: np.ndarray,
    log_prior: dict[str, float],
    params: Params,
) -> float:
    """f from every decoy the most probable single hypothesis leaves to chance (plus the controls)."""
    alpha, beta = _false_rate_prior(params)
    control = ledger.control[ev.decoy]
    hits = ev.strength[~control]
    exposed = float((ledger.holder_counts() > 0).sum())
    best = int(np.argmax(single + node_log_prior))
    if single[best] + node_log_prior[best] + log_prior["one"] > log_prior["none"]:
        explained = lay.in_time[best].toarray().ravel()[~control] > 0
        outside_hits, outside = float(hits[~explained].sum()), exposed - float(ledger.seen_counts()[best])
    else:
        outside_hits, outside = float(hits.sum()), exposed
    control_hits, control_count = float(ev.strength[control].sum()), float(ledger.control.sum())
    return (outside_hits + control_hits + alpha) / (outside + control_count + alpha + beta)


def _log_priors(params: Params) -> dict[str, float]:
    two = params.prior_two_leakers if params.max_leakers >= 2 else 0.0
    three = params.prior_three_leakers if params.max_leakers >= 3 else 0.0
    one = 1.0 - params.prior_noise_only - two - three
    with np.errstate(divide="ignore"):
        return {
            k: float(np.log(v))
            for k, v in {"none": params.prior_noise_only, "one": one, "two": two, "three": three}.items()
        }


def _log_comb(n: int, k: int) -> float:
    return math.lgamma(n + 1) - math.lgamma(k + 1) - math.lgamma(n - k + 1)


def _colluding_sets(
    lay: _Layout,
    ev: Evidence,
    q: np.ndarray,
    log_w: np.ndarray,
    f: float,
    single_score: np.ndarray,
    params: Params,
) -> tuple[list[tuple[int, ...]], np.ndarray]:
    """All pairs among the strongest single suspects, then the best pair extended by a third."""
    pool = np.flatnonzero(_supported(lay))
    if len(pool) < 2:
        return [], np.zeros(0)
    cands = pool[np.argsort(-single_score[pool], kind="stable")[: params.set_candidates]]
    in_time = lay.in_time[cands]
    used = np.flatnonzero(in_time.getnnz(axis=0) > 0)
    or_counts = lay.or_counts[cands]
    or_used = np.flatnonzero(or_counts.getnnz(axis=0) > 0)
    dense = {
        "in_time": in_time[:, used].toarray(),
        "silent": lay.silent[cands],
        "or_counts": or_counts[:, or_used].toarray(),
        "or_false": _or_false(ev, f)[or_used],
    }
    strength = ev.strength[used]
    or_strength = ev.or_strength[or_used]

    def evaluate(sets: list[tuple[int, ...]]) -> np.ndarray:
        members = np.zeros((len(sets), len(cands)))
        for h, s in enumerate(sets):
            members[h, list(s)] = 1.0
        return logsumexp(_set_loglik(members, dense, or_strength, q, f, strength) + log_w, axis=1)

    pairs = list(itertools.combinations(range(len(cands)), 2))
    pair_lbf = evaluate(pairs)
    sets: list[tuple[int, ...]] = list(pairs)
    lbf = [pair_lbf]
    if params.max_leakers >= 3 and len(cands) >= 3:
        a, b = pairs[int(np.argmax(pair_lbf))]
        triples = [tuple(sorted((a, b, c))) for c in range(len(cands)) if c not in (a, b)]
        sets += triples
        lbf.append(evaluate(triples))
    return [tuple(int(cands[i]) for i in s) for s in sets], np.concatenate(lbf)


def _result(
    ledger: Ledger,
    ev: Evidence,
    lay: _Layout,
    params: Params,
    q: np.ndarray,
    log_w: np.ndarray,
    ll: np.ndarray,
    single: np.ndarray,
    f: float,
    f_controls: float | None,
    hyp_members: list[tuple[int, ...]],
    post: np.ndarray,
    lbf: np.ndarray,
    marginal: np.ndarray,
) -> Attribution:
    n = ledger.n_nodes
    guilt = ledger_guilt(ledger, ev.decoy, params.pgm_p)
    weights = np.exp(ll + log_w - single[:, None])
    leak_rate = weights @ q
    seen = ledger.seen_counts()
    direct_ids = ledger.decoy_ids[ev.decoy]
    in_time, late = lay.in_time.tocsr(), lay.late.tocsr()
    # A node no surfaced decoy points at is never ranked above one that some evidence points at,
    # whatever the silent decoys do to the posteriors (a node that saw nothing surface and little
    # at all keeps nearly its prior; a big node with one surfaced decoy can fall below it). Within
    # each group: by posterior, ties (e.g. nodes with no evidence at all) by the evidence itself.
    supported = _supported(lay)
    order = np.lexsort((np.arange(n), -single, -marginal, ~supported))
    table = NodeTable(
        codes=ledger.node_codes,
        kinds=ledger.node_kinds,
        posterior=marginal,
        log_bayes_factor=single,
        leak_rate=leak_rate,
        seen=seen,
        silent=lay.silent,
        pgm_guilt=guilt,
        order=order,
        supported=supported,
        in_time=in_time,
        late=late,
        surfaced_ids=direct_ids,
    )
    top_h = np.argsort(-post, kind="stable")[:10]
    hypotheses = [
        Hypothesis(tuple(ledger.node_codes[j] for j in hyp_members[h]), float(post[h]), float(lbf[h]))
        for h in top_h
    ]
    best = hyp_members[int(top_h[0])]
    leak_set = []
    for j in best:
        sup = set(in_time.indices[in_time.indptr[j] : in_time.indptr[j + 1]].tolist())
        others = set()
        for k in best:
            if k != j:
                others |= set(in_time.indices[in_time.indptr[k] : in_time.indptr[k + 1]].tolist())
        leak_set.append(
            LeakSetMember(
                code=ledger.node_codes[j],
                posterior=float(marginal[j]),
                supporting_decoys=tuple(int(direct_ids[i]) for i in sorted(sup)),
                unique_decoys=tuple(int(direct_ids[i]) for i in sorted(sup - others)),
            )
        )
    surfaced = {
        int(direct_ids[i]): Surfaced(
            decoy_id=int(direct_ids[i]),
            first_seen=float(ev.first_seen[i]),
            kinds=ev.kinds[i],
            strength=float(ev.strength[i]),
            full_phone=bool(ev.full_phone[i]),
            privacy_label=bool(ledger.privacy_label[ev.decoy[i]]),
        )
        for i in range(ev.n_direct)
    }
    return Attribution(
        table=table,
        noise_only=float(post[0]),
        leak_set=leak_set,
        leak_set_posterior=float(post[int(top_h[0])]),
        hypotheses=hypotheses,
        false_rate=float(f),
        false_rate_from_controls=f_controls,
        signals=ev.signals,
        unknown_signals=ev.unknown,
        surfaced=surfaced,
        or_signals=ev.n_or,
        params=params,
    )
