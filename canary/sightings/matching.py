"""The matcher over every watched decoy, compiled once per process and rebuilt when decoys change.

Watched decoys are those of active and ended campaigns: leaks surface months after a campaign
closes, so only archiving a campaign stops watching its decoys.
"""

from __future__ import annotations

import gc
import hashlib
import logging
import os
import pickle
import platform
import tempfile
import threading
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import hyperscan
from django.conf import settings
from django.db.models import Count, Max, Min
from django.utils.crypto import constant_time_compare, salted_hmac

from canary.campaigns.models import CampaignStatus, Decoy

from . import matcher as matcher_module
from . import normalize as normalize_module
from . import prefilter as prefilter_module
from .matcher import DecoyTokens, Matcher, RecordMatch

log = logging.getLogger(__name__)

WATCHED = (CampaignStatus.ACTIVE, CampaignStatus.ENDED)
STRONG, WEAK = 1.0, 0.3

_lock = threading.Lock()
_cache: dict[str, object] = {"fingerprint": None, "pickled": None}
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
    compiled form (much cheaper than compiling again). The compiled form is also stored on disk
    (see :func:`stored_matcher`), so every worker process after the first loads it instead of
    compiling. The copy is only used while the watched decoys stay the same.
    """
    fingerprint = _fingerprint()
    built = None
    with _lock:
        if getattr(_local, "fingerprint", None) == fingerprint:
            return _local.matcher
        if _cache["fingerprint"] != fingerprint or _cache["pickled"] is None:
            pickled = stored_matcher(fingerprint)
            if pickled is None:
                rows = watched_decoys().values_list(
                    "id", "waybill_no", "recipient_phone", "recipient_name", "address_token"
                )
                built = Matcher.build(DecoyTokens(*row) for row in rows.iterator(chunk_size=5000))
                pickled = pickle.dumps(built)
                store_matcher(fingerprint, pickled)
            _cache["fingerprint"], _cache["pickled"] = fingerprint, pickled
        pickled = _cache["pickled"]
    _local.matcher = built if built is not None else pickle.loads(pickled)  # type: ignore[arg-type]
    _local.fingerprint = fingerprint
    # The matcher is millions of long-lived objects; left in the collector's generations, every
    # full collection walks them all, and a scan allocates enough to trigger many (a tenth of
    # the scan time in the matcher benchmark). Frozen, the collector skips them; reference
    # counting still frees a replaced matcher.
    gc.freeze()
    return _local.matcher


# --------------------------------------------------------------------------- the stored form

_SIGNING_SALT = "canary.sightings.stored-matcher"


def _store_dir() -> Path | None:
    configured = getattr(settings, "SIGHTINGS_MATCHER_CACHE", "")
    return Path(configured) if configured else None


def _store_path(fingerprint: tuple) -> Path | None:
    """One file per set of watched decoys and matcher code: a change of either misses."""
    folder = _store_dir()
    if folder is None:
        return None
    key = hashlib.sha256(f"{fingerprint!r}\0{_code_version()}".encode())
    return folder / f"matcher-{key.hexdigest()[:32]}.pickle"


@cache
def _code_version() -> str:
    """What the stored form depends on besides the decoys: the matcher's code and its engine."""
    source = hashlib.sha256()
    for module in (matcher_module, prefilter_module, normalize_module):
        source.update(Path(module.__file__).read_bytes())
    return f"{source.hexdigest()}:{hyperscan.__version__}:{platform.machine()}:{platform.python_version()}"


def stored_matcher(fingerprint: tuple) -> bytes | None:
    """The stored compiled matcher for ``fingerprint``, or None.

    Unpickling runs code, so the file is signed with the SECRET_KEY and a file whose signature
    does not verify is refused (and reported), never loaded.
    """
    path = _store_path(fingerprint)
    if path is None or not path.is_file():
        return None
    try:
        data = path.read_bytes()
    except OSError as error:
        log.warning("cannot read the stored matcher %s: %s", path, error)
        return None
    signature, pickled = data[:32], data[32:]
    if not constant_time_compare(signature, salted_hmac(_SIGNING_SALT, pickled, algorithm="sha256").digest()):
        log.error("the stored matcher %s has a bad signature; it is ignored and rebuilt", path)
        return None
    return pickled


def store_matcher(fingerprint: tuple, pickled: bytes) -> None:
    """Store the compiled matcher (signed) for other processes; older ones are removed."""
    path = _store_path(fingerprint)
    if path is None:
        return
    temporary = None
    try:
        path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=".matcher-")
        with os.fdopen(handle, "wb") as out:
            out.write(salted_hmac(_SIGNING_SALT, pickled, algorithm="sha256").digest() + pickled)
        os.replace(temporary, path)  # whole or not at all, for a process reading it now
        temporary = None
        for old in path.parent.glob("matcher-*.pickle"):
            if old != path:
                old.unlink(missing_ok=True)
    except OSError as error:
        log.warning("cannot store the compiled matcher in %s: %s", path.parent, error)
    finally:
        if temporary is not None:
            Path(temporary).unlink(missing_ok=True)


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
