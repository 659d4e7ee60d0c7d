"""A scan at work keeps its document's lease fresh, so the sweeper tells a dead scan from a slow one.

While a worker reads a document or one of its parts, a background thread touches the document's
``updated_at`` four times per lease. A document left ``scanning`` without a renewal for a whole
lease (``SIGHTINGS_SCAN_LEASE_SECONDS``) lost its worker (killed, out of memory, host restart):
the sweeper queues the scan again and only the parts not yet ticked off run again (sightings are
unique, so a part that ran twice adds nothing).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta

from django.conf import settings
from django.db import connections
from django.utils import timezone

from .models import Document

log = logging.getLogger(__name__)


def lease() -> timedelta:
    return timedelta(seconds=settings.SIGHTINGS_SCAN_LEASE_SECONDS)


def renew(document_id: int) -> None:
    Document.objects.filter(pk=document_id).update(updated_at=timezone.now())


@contextmanager
def holding(document_id: int) -> Iterator[None]:
    """Renew the document's lease until the block ends."""
    renew(document_id)
    stop = threading.Event()

    def keep_renewing() -> None:
        try:
            while not stop.wait(lease().total_seconds() / 4):
                try:
                    renew(document_id)
                except Exception:
                    # A busy database now and then is fine: the lease is four renewals long.
                    log.warning("could not renew the scan lease of document %s", document_id, exc_info=True)
        finally:
            connections.close_all()  # this thread's own connections

    renewer = threading.Thread(target=keep_renewing, name=f"lease-{document_id}", daemon=True)
    renewer.start()
    try:
        yield
    finally:
        stop.set()
        renewer.join(timeout=10)
