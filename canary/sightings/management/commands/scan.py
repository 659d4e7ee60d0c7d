"""``manage.py scan PATH [PATH ...] [--seen-at ISO] [--source NAME] [--json]``

A PATH is a file or a folder (every file under it). Stores each file as a document (once, by
content hash) and scans it here and now, like any other input: sightings and attribution signals
are stored. A file that cannot be read becomes a failed document with its error; the next file
is still scanned.
"""

from __future__ import annotations

import json
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.utils.dateparse import parse_datetime
from django.utils.timezone import get_current_timezone, is_naive, make_aware

from canary.audit.services import record
from canary.sightings.models import Document, Sighting, Source, candidate_waybills
from canary.sightings.scanning import scan_document
from canary.sightings.services import store_document


class Command(BaseCommand):
    help = "Scan files for decoys: store them as documents, record sightings and signals."

    def add_arguments(self, parser):
        parser.add_argument(
            "paths", nargs="+", metavar="PATH", help="files, or folders to scan every file of"
        )
        parser.add_argument("--seen-at", help="when the dump was obtained or circulating (ISO 8601)")
        parser.add_argument("--source", help="name of the source the files came from")
        parser.add_argument("--json", action="store_true", help="print documents and sightings as JSON")

    def handle(self, *args, **options):
        seen_at = _parse_seen_at(options["seen_at"])
        source = None
        if options["source"]:
            source = Source.objects.filter(name=options["source"]).first()
            if source is None:
                raise CommandError(f"no source named {options['source']!r}")
        given = [Path(path) for path in options["paths"]]
        missing = [str(path) for path in given if not path.is_file() and not path.is_dir()]
        if missing:
            raise CommandError(f"no such file or folder: {', '.join(missing)}")
        paths = [file for path in given for file in _files(path)]
        _refuse_oversized(paths, settings.SIGHTINGS_MAX_DOCUMENT_BYTES)

        documents = []
        stored: list[tuple[Path, Sighting]] = []
        for path in paths:
            with transaction.atomic():
                document, _ = store_document(
                    path.read_bytes(), path.name, source=source, seen_at=seen_at, enqueue=False
                )
            # In-process and whole: the output below must be complete when the command returns.
            document = scan_document(document.pk, parallel=False)
            record("sightings.scan", actor="manage.py scan", obj=document, path=str(path))
            documents.append(_document_row(document, path))
            sightings = Sighting.objects.filter(document=document).select_related("decoy", "campaign")
            stored += [(path, sighting) for sighting in sightings.order_by("location", "id")]

        if options["json"]:
            payload = {"documents": documents, "sightings": _sighting_rows(stored)}
            self.stdout.write(json.dumps(payload, ensure_ascii=False, indent=2))
            return
        for row in documents:
            line = f"{row['path']}: {row['status']}, {row['sightings']} sightings"
            self.stdout.write(line + (f" ({row['error']})" if row["error"] else ""))
        # A line each: a canary phone shared by 2,000 decoys is one finding, not 2,000.
        for _, sighting in stored:
            if sighting.decoy is not None:
                decoy = sighting.decoy.waybill_no
            else:
                decoy = f"{sighting.candidate_count} decoys of {sighting.campaign.slug}"
            matched = ", ".join(sighting.kinds)
            self.stdout.write(f"  {decoy} {sighting.strength} [{matched}] {sighting.location}")


def _refuse_oversized(paths: list[Path], limit: int) -> None:
    """Refuse before storing anything: a document is held in memory while it is stored and read."""
    oversized = [f"{path} ({path.stat().st_size:,} bytes)" for path in paths if path.stat().st_size > limit]
    if oversized:
        raise CommandError(
            f"too big to scan as one document (limit {limit:,} bytes, SIGHTINGS_MAX_DOCUMENT_BYTES): "
            f"{', '.join(oversized)}. Split it into smaller files (e.g. `split -C 200M dump.csv part-`) "
            "or raise the limit."
        )


def _files(path: Path) -> list[Path]:
    """A file, or every file under a folder (hidden ones left out), in a stable order."""
    if path.is_file():
        return [path]
    return sorted(
        file
        for file in path.rglob("*")
        if file.is_file() and not any(part.startswith(".") for part in file.relative_to(path).parts)
    )


def _parse_seen_at(value: str | None):
    if not value:
        return None
    parsed = parse_datetime(value)
    if parsed is None:
        raise CommandError(f"--seen-at: not an ISO date/time: {value!r}")
    return make_aware(parsed, get_current_timezone()) if is_naive(parsed) else parsed


def _document_row(document: Document, path: Path) -> dict:
    return {
        "path": str(path),
        "id": document.pk,
        "name": document.name,
        "sha256": document.sha256,
        "size": document.size,
        "status": document.status,
        "error": document.error,
        "seen_at": document.first_seen.isoformat(),
        "sightings": document.sightings.count(),
    }


def _sighting_rows(stored: list[tuple[Path, Sighting]]) -> list[dict]:
    """One row per decoy a sighting fits, by place: a shared canary phone names each of its decoys
    (``candidates`` says how many the evidence fits)."""
    waybills = candidate_waybills(sighting for _, sighting in stored)
    order = {path: index for index, path in enumerate(dict.fromkeys(path for path, _ in stored))}
    rows = [
        (order[path], sighting.location, ident, path, sighting)
        for path, sighting in stored
        for ident in sighting.candidates
        if ident in waybills
    ]
    return [
        {
            "waybill_no": waybills[ident],
            "matched": sighting.kinds,
            "strength": sighting.strength,
            "document": str(path),
            "document_id": sighting.document_id,
            "location": location,
            "excerpt": sighting.excerpt,
            "candidates": sighting.candidate_count,
        }
        for _, location, ident, path, sighting in sorted(rows, key=lambda row: row[:3])
    ]
