"""How strongly a phone contact points at its candidate decoys. Pure: no Django.

Unpublished lines get an unsolicited call about every eight days, so a bare call or a text that
names nothing is weak evidence, weaker still when the number is printed on many decoys; a text
or voicemail that names a decoy (its fake recipient, waybill number, address detail) can only
come from someone holding that decoy's record, so it is strong.
"""

from __future__ import annotations

# A signal at or above this counts as strong (same threshold as attribution's ``Signal.is_strong``).
STRONG = 0.8

_BARE_CALL = 0.2
_BARE_SMS = 0.3
# A number printed on a single decoy points at that decoy alone, but the caller may still be noise.
_SINGLE_DECOY_BONUS = 0.1


def number_strength(kind: str, candidate_count: int) -> float:
    """Strength of "someone contacted a canary number" with ``candidate_count`` decoys behind it."""
    if candidate_count <= 0:
        return 0.0
    base = _BARE_SMS if kind == "sms" else _BARE_CALL
    return base + (_SINGLE_DECOY_BONUS if candidate_count == 1 else 0.0)


def text_strength(match_strengths: list[float]) -> float:
    """Strength of a text naming decoys: always strong, higher when the matcher is surer."""
    best = max(match_strengths, default=0.0)
    return min(1.0, max(STRONG, best))
