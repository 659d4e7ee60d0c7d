"""The matcher over every watched decoy, compiled once and updated in place when decoys change.

Watched decoys are those of active and ended campaigns: leaks surface months after a campaign
closes, so only archiving a campaign stops watching its decoys.

A full build covers the decoys of the watched campaigns up to the highest decoy id then (its
:class:`Coverage`). When decoys change — a campaign issued, activated, archived — the matcher is
not rebuilt: the build is updated with a small matcher over the decoys added since and the list of
those no longer watched (:meth:`Matcher.updated`), which takes seconds for a campaign of 10,000
decoys however many the build holds, and a full build is queued in the background
(``sightings.merge_matcher``); every process switches to it when it is stored.

The builds live in the ``matchers`` storage (``STORAGES``; a folder by default, an S3 bucket for
web and workers on several machines): the first process to need one builds it, every other loads
it. Unpickling runs code, so each is signed with the SECRET_KEY and a bad signature is refused.
"""

from __future__ import annotations

import gc
import hashlib
import json
import logging
import pickle
import platform
import threading
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from functools import cache
from importlib import metadata
from pathlib import Path

import hyperscan
from django.core.files.base import ContentFile
from django.core.files.storage import storages
from django.db.models import Count, Max, Min, Q
from django.utils.crypto import constant_time_compare, salted_hmac

from canary.campaigns.models import Campaign, CampaignStatus, Decoy
from canary.queue import publish

from . import corpus, han_edges
from . import matcher as matcher_module
from . import normalize as normalize_module
from . import prefilter as prefilter_module
from .matcher import DecoyTokens, Matcher, RecordMatch

log = logging.getLogger(__name__)

WATCHED = (CampaignStatus.ACTIVE, CampaignStatus.ENDED)
STRONG, WEAK = 1.0, 0.3
# More changed decoys than this are built whole at once: a delta that big scans as slowly as it builds.
MAX_DELTA_DECOYS = 100_000
# How often a process running an updated matcher looks for the full build queued behind it.
MERGED_BUILD_POLL_SECONDS = 30
MERGE_TASK = "sightings.merge_matcher"
STORAGE_ALIAS = "matchers"
_CURRENT = "current.json"
_TOKEN_FIELDS = ("id", "waybill_no", "recipient_phone", "recipient_name", "address_token")

_lock = threading.Lock()
_local = threading.local()


@dataclass(frozen=True)
class DecoyMatch:
    decoy_id: int
    kinds: frozenset[str]
    strength: float


@dataclass(frozen=True)
class Coverage:
    """The decoys a full build holds: those of ``campaigns`` with ids up to ``last_id``."""

    campaigns: frozenset[int]
    last_id: int
    count: int


@dataclass
class _Process:
    """This process's matcher state, shared by its threads (under ``_lock``)."""

    fingerprint: tuple | None = None
    build_name: str = ""
    build: bytes = b""  # the pickled full build
    coverage: Coverage | None = None
    delta: bytes = b""  # the pickled delta matcher ("" when none)
    removed: frozenset[int] = frozenset()
    checked_at: float = 0.0
    merge_requested: set[tuple] = field(default_factory=set)


_process = _Process()


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
    """This thread's matcher over the watched decoys, updated when they change.

    A Matcher is not thread-safe (Hyperscan scratch space), and web servers and Celery's thread
    pool scan from several threads: each thread gets its own copy of the full build, unpickled
    once, and of the small delta beside it. A caller keeps the object it got for a whole document,
    so a document is scanned against one set of decoys, the one before a change or the one after.
    """
    fingerprint = _fingerprint()
    now = time.monotonic()
    with _lock:
        stale = _process.fingerprint != fingerprint
        waiting = bool(_process.delta or _process.removed)
        if (
            not stale
            and getattr(_local, "state", None) == _state_key()
            and not (waiting and now - _process.checked_at > MERGED_BUILD_POLL_SECONDS)
        ):
            return _local.matcher
        if stale or waiting:
            _refresh(fingerprint)
            _process.checked_at = now
        state, build_name, build = _state_key(), _process.build_name, _process.build
        delta, removed = _process.delta, _process.removed
    if getattr(_local, "build_name", None) != build_name:
        _local.build, _local.build_name = pickle.loads(build), build_name
        # The matcher is millions of long-lived objects; left in the collector's generations, every
        # full collection walks them all, and a scan allocates enough to trigger many. Frozen, the
        # collector skips them; reference counting still frees a replaced matcher.
        gc.freeze()
    matcher = _local.build
    if delta or removed:
        matcher = replace(matcher, delta=pickle.loads(delta) if delta else None, removed=removed)
    _local.matcher, _local.state = matcher, state
    return matcher


def forget_in_memory() -> None:
    """Drop this process's matchers, as a new process starts with none (the stored ones stay)."""
    global _process
    with _lock:
        _process = _Process()
        _local.__dict__.clear()


def _state_key() -> tuple:
    return (_process.fingerprint, _process.build_name, len(_process.delta), len(_process.removed))


def _refresh(fingerprint: tuple) -> None:
    """Bring ``_process`` up to the watched decoys: the stored full build, updated if needed."""
    stored = _load_current()
    if stored is not None:
        _process.build_name, _process.build, _process.coverage = stored
    elif _process.fingerprint == fingerprint:
        return  # no new decoys and no new build
    elif _process.coverage is None:
        _build_and_store()
    changes = _changes(_process.coverage, dict(fingerprint)["count"])
    if changes is None:  # too many, or not explained by campaigns and new decoys: build whole
        _build_and_store()
        changes = [], frozenset()
    added, removed = changes
    _process.delta = pickle.dumps(Matcher.build(added)) if added else b""
    _process.removed = removed
    _process.fingerprint = fingerprint
    if (added or removed) and fingerprint not in _process.merge_requested:
        _process.merge_requested.add(fingerprint)
        _request_merge()


def _changes(coverage: Coverage, count: int) -> tuple[list[DecoyTokens], frozenset[int]] | None:
    """The watched decoys a build over ``coverage`` lacks and the ones it holds that are no longer
    watched, or None when there are too many or they do not add up to the ``count`` watched."""
    watched = set(Campaign.objects.filter(status__in=WATCHED).values_list("id", flat=True))
    gone = coverage.campaigns - watched
    added = watched_decoys().filter(Q(id__gt=coverage.last_id) | ~Q(campaign_id__in=coverage.campaigns))
    removed = Decoy.objects.filter(campaign_id__in=gone, id__lte=coverage.last_id)
    added_count = added.count()
    removed_ids = frozenset(removed.values_list("id", flat=True)) if gone else frozenset()
    if added_count + len(removed_ids) > MAX_DELTA_DECOYS:
        return None
    if coverage.count - len(removed_ids) + added_count != count:
        return None  # decoys deleted or a campaign changed while we looked
    return [DecoyTokens(*row) for row in added.order_by("id").values_list(*_TOKEN_FIELDS)], removed_ids


def _build_and_store() -> str:
    """A full build over the watched decoys, stored and made current; returns its name."""
    campaigns = frozenset(Campaign.objects.filter(status__in=WATCHED).values_list("id", flat=True))
    last_id = Decoy.objects.filter(campaign_id__in=campaigns).aggregate(last=Max("id"))["last"] or 0
    rows = Decoy.objects.filter(campaign_id__in=campaigns, id__lte=last_id).values_list(*_TOKEN_FIELDS)
    count = 0

    def streamed() -> Iterator[DecoyTokens]:
        # Rows straight into the build: a million decoys as a list would cost more than the matcher.
        nonlocal count
        for row in rows.iterator(chunk_size=20_000):
            count += 1
            yield DecoyTokens(*row)

    pickled = pickle.dumps(Matcher.build(streamed()))
    coverage = Coverage(campaigns, last_id, count)
    name = _store(coverage, pickled)
    _process.build_name, _process.build, _process.coverage = name, pickled, coverage
    return name


def merge_matcher() -> str:
    """Build the watched decoys whole and make it the stored build (the background merge)."""
    stored = _load_current()
    if stored is not None:
        _name, _pickled, coverage = stored
        fingerprint = _fingerprint()
        if _changes(coverage, dict(fingerprint)["count"]) == ([], frozenset()):
            return _name  # another merge got there first
    with _lock:
        name = _build_and_store()
        _process.fingerprint = None  # the delta belonged to the previous build
        return name


def _request_merge() -> None:
    """Queue the background full build by task name (this layer never imports tasks)."""
    from canary.celery import app

    if app.conf.task_always_eager:
        return  # no workers: the updated matcher serves until the delta grows too big
    # A lost merge costs nothing but speed: the next large change builds the matcher whole.
    publish(MERGE_TASK)


# --------------------------------------------------------------------------- the stored form

_SIGNING_SALT = "canary.sightings.stored-matcher"


def _storage():
    return storages[STORAGE_ALIAS]


@cache
def _code_version() -> str:
    """What the stored form depends on besides the decoys: the matcher's code and its engines."""
    source = hashlib.sha256()
    for module in (matcher_module, prefilter_module, normalize_module, han_edges, corpus):
        source.update(Path(module.__file__).read_bytes())
    engines = f"{hyperscan.__version__}:{metadata.version('daachorse')}"
    return f"{source.hexdigest()}:{engines}:{platform.machine()}:{platform.python_version()}"


def _signed(data: bytes) -> bytes:
    return salted_hmac(_SIGNING_SALT, data, algorithm="sha256").digest() + data


def _verified(data: bytes, name: str) -> bytes | None:
    signature, payload = data[:32], data[32:]
    if not constant_time_compare(signature, salted_hmac(_SIGNING_SALT, payload, algorithm="sha256").digest()):
        log.error("the stored matcher %s has a bad signature; it is ignored and rebuilt", name)
        return None
    return payload


def _store(coverage: Coverage, pickled: bytes) -> str:
    """Store a full build (signed) under a new name and point ``current.json`` at it."""
    # A new name each time: a stored build is never overwritten while another process reads it.
    name = f"matcher-{uuid.uuid4().hex}.pickle"
    storage = _storage()
    current = json.dumps(
        {
            "name": name,
            "campaigns": sorted(coverage.campaigns),
            "last_id": coverage.last_id,
            "count": coverage.count,
            "code": _code_version(),
        }
    ).encode()
    try:
        previous = _current_record()
        name = storage.save(name, ContentFile(_signed(pickled)))
        _replace(_CURRENT, _signed(current))
        if previous and previous["name"] != name:
            storage.delete(previous["name"])
    except OSError as error:
        log.warning("cannot store the compiled matcher: %s", error)
    return name


def _replace(name: str, data: bytes) -> None:
    """Write ``name`` whole: storages keep a file whole per save, but never overwrite one."""
    storage = _storage()
    temporary = storage.save(f".{name}.new", ContentFile(data))
    path = getattr(storage, "path", None)
    if path is not None:
        Path(path(temporary)).replace(path(name))  # atomic on a local folder
    else:
        storage.delete(name)
        storage.save(name, ContentFile(data))
        storage.delete(temporary)


def _current_record() -> dict | None:
    storage = _storage()
    if not storage.exists(_CURRENT):
        return None
    with storage.open(_CURRENT, "rb") as stream:
        payload = _verified(stream.read(), _CURRENT)
    record = json.loads(payload) if payload else None
    return record if record and record.get("code") == _code_version() else None


def _load_current() -> tuple[str, bytes, Coverage] | None:
    """The current stored build (name, pickled, coverage), unless it is the one this process has."""
    try:
        record = _current_record()
        if record is None:
            return None
        if record["name"] == _process.build_name:
            return None
        with _storage().open(record["name"], "rb") as stream:
            pickled = _verified(stream.read(), record["name"])
    except (OSError, ValueError) as error:
        log.warning("cannot read the stored matcher: %s", error)
        return None
    if pickled is None:
        return None
    coverage = Coverage(frozenset(record["campaigns"]), record["last_id"], record["count"])
    return record["name"], pickled, coverage


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
