"""The Bayes oracle: the same model told the true leak rate q, false-trigger rate f and number of
leakers. It is the limit no decoder can beat on simulated worlds, so the benchmark measures how far
the real decoder (which must fit q and f) falls short of it. Pure."""

from __future__ import annotations

from collections.abc import Iterable

from canary.attribution.engine import Attribution, Params, attribute
from canary.attribution.evidence import Signal
from canary.attribution.ledger import Ledger

CERTAIN = 1.0 - 1e-9


def oracle(
    ledger: Ledger,
    signals: Iterable[Signal],
    leak_rate: float,
    false_rate: float,
    leakers: int = 1,
    base: Params | None = None,
) -> Attribution:
    """Posterior under the true q and f, over hypotheses with exactly ``leakers`` leaking nodes."""
    if leakers not in (1, 2, 3):
        raise ValueError("the oracle knows worlds with one, two or three leakers")
    base = base or Params()
    rest = (1.0 - CERTAIN) / 3
    return attribute(
        ledger,
        signals,
        Params(
            false_rate=false_rate,
            learn_false_rate=False,
            leak_rates=(leak_rate,),
            min_lag_seconds=base.min_lag_seconds,
            settle_seconds=base.settle_seconds,
            now=base.now,
            prior_noise_only=rest,
            prior_two_leakers=CERTAIN if leakers == 2 else rest,
            prior_three_leakers=CERTAIN if leakers == 3 else rest,
            max_leakers=leakers,
            set_candidates=base.set_candidates,
            pgm_p=base.pgm_p,
        ),
    )
