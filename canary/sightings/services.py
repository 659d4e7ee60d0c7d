"""Documents in: every fetched page and uploaded file is stored once, then queued for scanning.

The document row and its bytes are committed before any work is queued; a lost publish (broker
down) leaves a pending document that :func:`sweep` queues again.
"""

from __future__ import annotations

import hashlib
import logging
import mimetypes
from datetime import datetime, timedelta

from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone

from canary.audit.services import record_request
from canary.queue import publish, publish_after_commit

from . import lease
from .models import Document, DocumentStatus, Source

log = logging.getLogger(__name__)

# A pending document this old lost its queued scan; a scanning one whose lease was not renewed
# for this long lost its worker (see ``lease``).
PENDING_GRACE = timedelta(minutes=5)
SWEEP_BATCH = 200


def storage_name(sha256: str) -> str:
    """Content-addressed file name: the same bytes are never stored twice."""
    return f"sightings/{sha256[:2]}/{sha256}"


def store_upload(
    request, upload, seen_at: datetime | None, action: str, source: Source | None = None
) -> tuple[Document, bool]:
    """An analyst's uploaded file (console or API): stored once, queued, and the upload audited."""
    with transaction.atomic():
        document, created = store_document(
            upload.read(), upload.name, source=source, seen_at=seen_at, content_type=upload.content_type or ""
        )
        record_request(request, action, document, created=created, size=document.size)
    return document, created


def store_document(
    data: bytes,
    name: str,
    source: Source | None = None,
    seen_at: datetime | None = None,
    content_type: str = "",
    enqueue: bool = True,
) -> tuple[Document, bool]:
    """Store ``data`` (once, by SHA-256) and queue its scan after commit. Returns (document, created).

    Already-stored content is not stored or scanned again; an analyst's ``seen_at`` that is earlier
    than the one on record is kept, since it moves the first-seen time back.
    """
    sha256 = hashlib.sha256(data).hexdigest()
    existing = Document.objects.filter(sha256=sha256).first()
    if existing is not None:
        _keep_earliest_seen_at(existing, seen_at)
        return existing, False
    path = storage_name(sha256)
    if not default_storage.exists(path):
        default_storage.save(path, ContentFile(data))
    guessed = content_type or mimetypes.guess_type(name)[0] or ""
    try:
        with transaction.atomic():
            document = Document.objects.create(
                sha256=sha256,
                file=path,
                name=name[:300],
                size=len(data),
                content_type=guessed[:100],
                source=source,
                seen_at=seen_at,
            )
    except IntegrityError:
        # Stored by a concurrent fetch of the same content a moment ago.
        document = Document.objects.get(sha256=sha256)
        _keep_earliest_seen_at(document, seen_at)
        return document, False
    if enqueue:
        publish_after_commit("sightings.scan_document", document.pk)
    return document, True


def _keep_earliest_seen_at(document: Document, seen_at: datetime | None) -> None:
    if seen_at is not None and (document.seen_at is None or seen_at < document.seen_at):
        Document.objects.filter(pk=document.pk).update(seen_at=seen_at)
        document.seen_at = seen_at


def read_bytes(document: Document, start: int = 0, end: int | None = None) -> bytes:
    """The document's stored bytes, or the slice ``start``..``end`` without reading the rest."""
    with default_storage.open(document.file.name, "rb") as stream:
        if start:
            stream.seek(start)
        return stream.read() if end is None else stream.read(end - start)


def sweep(now: datetime | None = None) -> int:
    """Queue again the scans of documents left pending or scanning too long; returns how many."""
    now = now or timezone.now()
    stale = list(
        Document.objects.filter(
            Q(status=DocumentStatus.PENDING, updated_at__lt=now - PENDING_GRACE)
            | Q(status=DocumentStatus.SCANNING, updated_at__lt=now - lease.lease())
        )
        .order_by("updated_at")
        .values_list("pk", flat=True)[:SWEEP_BATCH]
    )
    for document_id in stale:
        publish("sightings.scan_document", document_id)
    log.log(
        logging.WARNING if stale else logging.INFO, "sightings sweep: re-queued %d document scans", len(stale)
    )
    return len(stale)
