"""The matcher over every watched decoy, compiled once per process and rebuilt when decoys change.

Watched decoys are those of active and ended campaigns: leaks surface months after a campaign
closes, so only archiving a campaign stops watching its decoys.
"""

from __future__ import annotations

import gc
import pickle
import threading
from dataclasses import dataclass

from django.db.models import Count, Max, Min

from canary.campaigns.models import CampaignStatus, Decoy

from .matcher import DecoyTokens, Matcher, RecordMatch

WATCHED = (CampaignStatus.ACTIVE, CampaignStatus.ENDED)
STRONG, WEAK = 1.0, 0.3

_lock = threading.Lock()
_cache: dict[str, object] = {"fingerprint": None, "matcher": None}
_local = threading.local()


@dataclass(frozen=True)
class DecoyMatch:
    decoy_id: int
    kinds: frozenset[str]
    strength: float


def watched_decoys():
    return Decoy.objects.filter(campaign__status__in=WATCHED)


def _fingerprint() -> tuple:
    """Cheap to ask on every call: changes whenever a decoy is issued or a campaign changes state."""
    # Issue times are part of it: ids alone can repeat after a database is emptied and refilled.
    stats = watched_decoys().aggregate(
        count=Count("id"), first=Min("id"), last=Max("id"), issued=Max("created_at"), oldest=Min("created_at")
    )
    return tuple(sorted(stats.items()))


def get_matcher() -> Matcher:
    """This thread's matcher over the watched decoys, rebuilt when they change.

    A Matcher is not thread-safe (Hyperscan scratch space), and web servers and Celery's thread
    pool scan from several threads: each thread gets its own copy, unpickled from the one
    compiled matcher (much cheaper than compiling again). The copy is only used while the
    watched decoys stay the same.
    """
    fingerprint = _fingerprint()
    with _lock:
        if _cache["fingerprint"] != fingerprint or _cache["matcher"] is None:
            rows = watched_decoys().values_list(
                "id", "waybill_no", "recipient_phone", "recipient_name", "address_token"
            )
            _cache["matcher"] = Matcher.build(DecoyTokens(*row) for row in rows.iterator(chunk_size=5000))
            _cache["fingerprint"] = fingerprint
            _cache["pickled"] = None
        if getattr(_local, "fingerprint", None) == fingerprint:
            return _local.matcher
        if _cache.get("pickled") is None:
            _cache["pickled"] = pickle.dumps(_cache["matcher"])
        pickled = _cache["pickled"]
    _local.matcher, _local.fingerprint = pickle.loads(pickled), fingerprint  # type: ignore[arg-type]
    # The matcher is millions of long-lived objects; left in the collector's generations, every
    # full collection walks them all, and a scan allocates enough to trigger many (a tenth of
    # the scan time in the matcher benchmark). Frozen, the collector skips them; reference
    # counting still frees a replaced matcher.
    gc.freeze()
    return _local.matcher


def summarise(records: list[RecordMatch]) -> list[DecoyMatch]:
    """One result per decoy: the kinds seen anywhere, strong if any record pinned it."""
    kinds: dict[int, set[str]] = {}
    strong: dict[int, bool] = {}
    for record in records:
        kinds.setdefault(record.decoy_id, set()).update(record.kinds)
        strong[record.decoy_id] = strong.get(record.decoy_id, False) or record.strength == "strong"
    return [
        DecoyMatch(decoy_id, frozenset(found), STRONG if strong[decoy_id] else WEAK)
        for decoy_id, found in sorted(kinds.items())
    ]


def match_text(text: str) -> list[DecoyMatch]:
    """Which watched decoys a piece of text (an SMS, a transcript, a post) names."""
    if not text:
        return []
    return summarise(get_matcher().match_records(text))
