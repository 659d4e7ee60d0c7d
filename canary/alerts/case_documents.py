"""The original documents behind an incident's signals, attached as evidence for its case file.

A signal from a dump or a fetched page names its document in ``origin``
(``sightings.document:<id>``). The stored bytes are copied into the incident's evidence with
their SHA-256, and the hash is checked against the one taken when the document was stored.
"""

from __future__ import annotations

from canary.sightings.models import Document

from .incidents import add_evidence
from .models import EvidenceKind, Incident

DOCUMENT_ORIGIN = "sightings.document:"


def attach_original_documents(incident: Incident, actor: str = "system") -> int:
    """Add every document behind the incident's signals; returns how many were newly added."""
    origins = incident.signals.filter(origin__startswith=DOCUMENT_ORIGIN).values_list("origin", flat=True)
    ids = {int(tail) for tail in (o.removeprefix(DOCUMENT_ORIGIN) for o in origins) if tail.isdigit()}
    attached = set(incident.evidence.filter(kind=EvidenceKind.DOCUMENT).values_list("source", flat=True))
    added = 0
    for document in Document.objects.filter(pk__in=ids).order_by("pk"):
        source = f"{DOCUMENT_ORIGIN}{document.pk}"
        if source in attached:
            continue
        with document.file.open("rb") as handle:
            content = handle.read()
        evidence = add_evidence(
            incident,
            kind=EvidenceKind.DOCUMENT,
            title=document.name,
            content=content,
            filename=document.name.rsplit("/", 1)[-1],
            data={"document": document.pk, "stored_sha256": document.sha256},
            source=source,
            actor=actor,
        )
        if evidence.sha256 != document.sha256:
            # Never silently: the stored file no longer matches what was received.
            evidence.data["mismatch"] = True
            evidence.save(update_fields=["data"])
        added += 1
    return added
