"""Scanning stored documents: readers → matcher → sightings → one attribution signal per evidence.

A document is read whole in one task, unless it is a big line-based dump: then it is cut into
line-aligned parts (:mod:`canary.sightings.chunking`) scanned by a Celery group. Every part saves
its own sightings (unique per document, place, evidence and campaign, so parts and re-runs never
duplicate one) and ticks its index off on the document under a row lock; the part that completes
the set finishes the document. That is a chord kept in the database: it needs no result backend and
survives a worker restart (the sweeper queues the missing parts again).
"""

from __future__ import annotations

import hashlib
import logging
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field

from django.core.files.storage import default_storage
from django.db import transaction

from canary.attribution.signals import record_signal
from canary.campaigns.models import Decoy
from canary.queue import publish_group_after_commit

from . import lease
from .chunking import (
    BIG_DOCUMENT_BYTES,
    CHUNK_BYTES,
    HEADED_FORMATS,
    ByteRange,
    first_line,
    line_aligned_ranges,
    splittable,
)
from .finding import find_in_part, find_matches
from .matcher import RecordMatch
from .matching import STRONG, WEAK, get_matcher
from .models import Document, DocumentStatus, Sighting, SourceKind
from .readers import ReaderError, detect_format
from .readers.text import detect_encoding
from .services import read_bytes

log = logging.getLogger(__name__)

_HEAD_BYTES = 256 * 1024
_DEDUPE_KEY_MAX = 200
_EVIDENCE_KEY_IDS = 64  # longer id lists are named by a digest (the column holds 80)
_EVIDENCE_FIELDS = ("evidence_key", "candidates", "kinds", "strength", "excerpt")


@dataclass(frozen=True)
class Found:
    """One sighting before it is saved: where, and what the matcher said."""

    location: str
    match: RecordMatch


@dataclass
class _Evidence:
    candidates: set[int] = field(default_factory=set)
    kinds: set[str] = field(default_factory=set)
    strong: bool = False
    excerpt: str = ""


# --------------------------------------------------------------------------- entry points


def scan_document(
    document_id: int,
    parallel: bool = True,
    split_above: int = BIG_DOCUMENT_BYTES,
    chunk_bytes: int = CHUNK_BYTES,
) -> Document:
    """Scan a stored document; with ``parallel``, a big line-based dump goes out as a Celery group.

    Safe to run again: sightings are unique and each becomes a signal only once.
    """
    with lease.holding(document_id):
        return _scan_document(document_id, parallel, split_above, chunk_bytes)


def _scan_document(document_id: int, parallel: bool, split_above: int, chunk_bytes: int) -> Document:
    document = Document.objects.get(pk=document_id)
    ranges = _plan(document, chunk_bytes) if parallel and document.size > split_above else None
    if ranges and len(ranges) > 1:
        _dispatch_parts(document, ranges)
        return document
    Document.objects.filter(pk=document.pk).update(
        status=DocumentStatus.SCANNING, error="", chunks_total=1, chunks_finished=[]
    )
    errors: list[ReaderError] = []
    fatal = ""
    try:
        found = find_sightings(read_bytes(document), document.name, errors)
    except ReaderError as error:  # LimitExceeded included: a bomb is refused with a clear message
        found, fatal = [], str(error)
    except Exception as error:
        log.exception("scanning document %s failed", document.pk)
        found, fatal = [], f"unexpected error while reading: {error!r}"
    save_sightings(document, found)
    messages = [fatal] if fatal else []
    messages += [str(error) for error in errors]  # unreadable archive members; the rest was scanned
    Document.objects.filter(pk=document.pk).update(error="\n".join(messages), chunks_finished=[0])
    return finish_document(document.pk, failed=bool(fatal))


def scan_range(document_id: int, part: ByteRange) -> None:
    """Scan one line-aligned part of a big document; the last part to finish finishes the document."""
    with lease.holding(document_id):
        _scan_range(document_id, part)


def _scan_range(document_id: int, part: ByteRange) -> None:
    document = Document.objects.get(pk=document_id)
    data = read_bytes(document, part.start, part.end)
    header = b""
    if part.index > 0 and detect_format(_head(document), document.name) in HEADED_FORMATS:
        with default_storage.open(document.file.name, "rb") as stream:
            header = first_line(stream)
    error = ""
    try:
        located = find_in_part(get_matcher(), data, document.name, part.first_line, header)
        found = [Found(location, match) for location, match in located]
    except ReaderError as reader_error:
        found, error = [], f"part {part.index + 1}: {reader_error}"
    except Exception as unexpected:
        log.exception("scanning part %s of document %s failed", part.index, document.pk)
        found, error = [], f"part {part.index + 1}: unexpected error while reading: {unexpected!r}"
    save_sightings(document, found)
    with transaction.atomic():
        locked = Document.objects.select_for_update().get(pk=document_id)
        if part.index not in locked.chunks_finished:
            locked.chunks_finished = sorted([*locked.chunks_finished, part.index])
        if error:
            locked.error = "\n".join(filter(None, [locked.error, error]))
        locked.save(update_fields=["chunks_finished", "error", "updated_at"])
        complete = locked.chunks_done >= locked.chunks_total and locked.status == DocumentStatus.SCANNING
    if complete:
        finish_document(document_id, failed=bool(locked.error))


# --------------------------------------------------------------------------- the pieces


def find_sightings(data: bytes, name: str, errors: list[ReaderError] | None) -> list[Found]:
    """Every (location, decoy match) in a document's bytes."""
    return [
        Found(record.locate(match.line, match.start), match)
        for record, match in find_matches(get_matcher(), data, name, errors=errors)
    ]


def save_sightings(document: Document, found: list[Found]) -> int:
    """Store each new piece of evidence once per campaign; evidence already stored for the same
    place is left as it is.

    The matcher gives one result per decoy; the decoys one piece of evidence fits share one
    candidate set, so a canary phone issued to 2,000 decoys is one row, not 2,000 rows that each
    list the 2,000.
    """
    evidence: dict[tuple[str, frozenset[int]], RecordMatch] = {}
    for item in found:
        evidence.setdefault((item.location[:500], item.match.candidates), item.match)
    everyone = set().union(*(candidates for _, candidates in evidence))
    campaign_of = dict(Decoy.objects.values_by_id(everyone, "campaign_id"))
    rows = []
    for (location, candidates), match in evidence.items():
        by_campaign: dict[int, list[int]] = defaultdict(list)
        for ident in sorted(candidates):
            if ident in campaign_of:  # a decoy deleted since the matcher was built is gone
                by_campaign[campaign_of[ident]].append(ident)
        key = evidence_key(candidates)
        for campaign_id, idents in by_campaign.items():
            rows.append(
                Sighting(
                    document=document,
                    campaign_id=campaign_id,
                    decoy_id=idents[0] if len(candidates) == 1 else None,
                    kinds=sorted(match.kinds),
                    strength=match.strength,
                    candidates=idents,
                    evidence_key=key,
                    location=location,
                    excerpt=match.excerpt,
                )
            )
    created = Sighting.objects.bulk_create(rows, ignore_conflicts=True, batch_size=1000)
    return len(created)


def finish_document(document_id: int, failed: bool = False) -> Document:
    """Turn the document's new sightings into signals and mark it done (or failed)."""
    with transaction.atomic():
        document = Document.objects.select_for_update().get(pk=document_id)
        kind = signal_kind(document, _head(document))
        pending = Sighting.objects.filter(document=document, signalled=False)
        rows = pending.order_by("id").values_list(*_EVIDENCE_FIELDS)
        for evidence in group_evidence(rows.iterator(chunk_size=2000)).values():
            candidates = tuple(sorted(evidence.candidates))
            record_signal(
                kind=kind,
                decoy_ids=candidates,
                seen_at=document.first_seen,
                strength=STRONG if evidence.strong else WEAK,
                dedupe_key=dedupe_key(candidates, kind),
                origin=f"sightings.document:{document.pk}",
                summary=f"{document.name}: {evidence.excerpt}",
                full_phone="phone" in evidence.kinds,
            )
        pending.update(signalled=True)
        document.status = DocumentStatus.FAILED if failed else DocumentStatus.DONE
        document.save(update_fields=["status", "updated_at"])
    return document


def group_evidence(rows: Iterable[tuple[str, list[int], list[str], str, str]]) -> dict[str, _Evidence]:
    """One entry per candidate set, from (evidence key, candidates, kinds, strength, excerpt) rows:
    a shared phone names all its decoys with one voice, also when they span campaigns."""
    groups: dict[str, _Evidence] = defaultdict(_Evidence)
    for key, candidates, kinds, strength, excerpt in rows:
        evidence = groups[key]
        evidence.candidates.update(candidates)
        evidence.kinds.update(kinds)
        if strength == "strong" and not evidence.strong:
            evidence.strong, evidence.excerpt = True, excerpt
        evidence.excerpt = evidence.excerpt or excerpt
    return dict(groups)


def evidence_key(candidates: Iterable[int]) -> str:
    """A short stable name for a set of decoys: their ids, or a digest of them when many."""
    ids = "+".join(str(ident) for ident in sorted(candidates))
    return ids if len(ids) <= _EVIDENCE_KEY_IDS else f"h{_digest(ids)}"


def _digest(ids: str) -> str:
    return hashlib.sha256(ids.encode()).hexdigest()[:32]


def dedupe_key(candidates: tuple[int, ...], kind: str) -> str:
    """Repeated sightings of the same decoy(s) update one signal instead of adding weight."""
    ids = "+".join(str(ident) for ident in candidates)
    key = f"sighting:{ids}:{kind}"
    if len(key) > _DEDUPE_KEY_MAX:
        key = f"sighting:h{_digest(ids)}:{kind}"
    return key


def signal_kind(document: Document, head: bytes) -> str:
    """``photo`` for label photos, ``dump`` for analysts' uploads, ``online`` for watched sources."""
    if detect_format(head, document.name) == "image":
        return "photo"
    if document.source is None or document.source.kind == SourceKind.UPLOAD:
        return "dump"
    return "online"


def _head(document: Document) -> bytes:
    return read_bytes(document, 0, _HEAD_BYTES)


def _plan(document: Document, chunk_bytes: int) -> list[ByteRange] | None:
    """Line-aligned parts for a big line-based dump, or None when it must be read whole."""
    head = _head(document)
    text_head = head[: head.rfind(b"\n") + 1] or head
    try:
        encoding = detect_encoding(text_head)
    except ReaderError:
        return None
    if not splittable(detect_format(head, document.name), encoding):
        return None
    with default_storage.open(document.file.name, "rb") as stream:
        return line_aligned_ranges(stream, document.size, chunk_bytes)


def _dispatch_parts(document: Document, ranges: list[ByteRange]) -> None:
    with transaction.atomic():
        locked = Document.objects.select_for_update().get(pk=document.pk)
        if locked.chunks_total != len(ranges) or locked.status != DocumentStatus.SCANNING:
            locked.chunks_finished, locked.error = [], ""
        locked.status, locked.chunks_total = DocumentStatus.SCANNING, len(ranges)
        locked.save(update_fields=["status", "chunks_total", "chunks_finished", "error", "updated_at"])
        finished = set(locked.chunks_finished)
    missing = [part for part in ranges if part.index not in finished]
    publish_group_after_commit(
        "sightings.scan_range",
        ((document.pk, part.index, part.start, part.end, part.first_line) for part in missing),
    )
