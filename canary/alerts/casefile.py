"""Case file export: one ZIP an investigator can hand over, with hashes that can be checked.

Layout::

    summary.pdf          Chinese summary: incident, suspected node, signals, evidence, timeline
    evidence/NNN-...     every evidence file as received; data-only items as JSON
    timeline.json        the incident's timeline
    manifest.json        every file above with its SHA-256 and size; for evidence files also the
                         hash recorded when the evidence was received, and whether they match

Anyone can verify with ``sha256sum`` against ``manifest.json``; the ZIP's own hash is kept on
the ``CaseFile`` row.
"""

from __future__ import annotations

import functools
import hashlib
import io
import json
import re
import tempfile
import zipfile
from collections.abc import Callable
from typing import Any
from xml.sax.saxutils import escape

from django.conf import settings
from django.core.files import File
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.cidfonts import UnicodeCIDFont
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

from canary.campaigns.labels import find_cjk_font

from .models import CaseFile, CaseFileStatus, Evidence, Incident

FONT_NAME = "CanaryCaseFont"
CID_FALLBACK = "STSong-Light"


@functools.cache
def _font() -> str:
    """An embeddable CJK font once per process; ReportLab's built-in CID font if none is installed."""
    path = find_cjk_font(getattr(settings, "LABEL_FONT_PATH", "") or None)
    if path is None:
        pdfmetrics.registerFont(UnicodeCIDFont(CID_FALLBACK))
        return CID_FALLBACK
    pdfmetrics.registerFont(TTFont(FONT_NAME, path, subfontIndex=0))
    return FONT_NAME


def sha256_of(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _safe(name: str) -> str:
    return re.sub(r"[^\w.\-]+", "_", name, flags=re.UNICODE).strip("_")[:80] or "file"


def _evidence_entries(incident: Incident) -> list[tuple[Evidence, str, bytes]]:
    """(evidence, path in ZIP, bytes) for every evidence item."""
    entries = []
    for number, evidence in enumerate(incident.evidence.order_by("added_at", "id"), start=1):
        if evidence.file:
            with evidence.file.open("rb") as handle:
                content = handle.read()
            name = evidence.file.name.rsplit("/", 1)[-1]
            path = f"evidence/{number:03d}-{evidence.kind}-{_safe(name)}"
        else:
            record = {
                "title": evidence.title,
                "kind": evidence.kind,
                "text": evidence.text,
                "data": evidence.data,
            }
            content = json.dumps(record, ensure_ascii=False, indent=2, default=str).encode("utf-8")
            path = f"evidence/{number:03d}-{evidence.kind}.json"
        entries.append((evidence, path, content))
    return entries


def summary_pdf(incident: Incident, entries: list[tuple[Evidence, str, bytes]]) -> bytes:
    """The Chinese summary page(s)."""
    font = _font()
    body = ParagraphStyle("body", fontName=font, fontSize=9.5, leading=14, wordWrap="CJK")
    heading = ParagraphStyle("heading", parent=body, fontSize=15, leading=20, spaceAfter=6)
    section = ParagraphStyle("section", parent=body, fontSize=11.5, leading=16, spaceBefore=8, spaceAfter=4)
    small = ParagraphStyle("small", parent=body, fontSize=7.5, leading=10)

    def p(text: Any, style: ParagraphStyle = body) -> Paragraph:
        return Paragraph(escape(str(text)), style)

    with translation.override(settings.LANGUAGE_CODE):
        node = f"{incident.node.code} {incident.node.name}" if incident.node_id else _("not yet attributed")
        posterior = f"{incident.posterior:.1%}" if incident.posterior is not None else "-"
        facts = [
            (_("Incident"), f"#{incident.pk} {incident.title}"),
            (_("Campaign"), f"{incident.campaign.name} ({incident.campaign.slug})"),
            (_("Suspected node"), node),
            (_("Posterior"), posterior),
            (_("State"), incident.get_state_display()),
            (_("Opened"), timezone.localtime(incident.opened_at).strftime("%Y-%m-%d %H:%M")),
            (_("Signals"), str(incident.signals.count())),
            (_("Generated"), timezone.localtime().strftime("%Y-%m-%d %H:%M:%S %Z")),
        ]
        story: list[Any] = [p(_("Case file: data leak investigation"), heading)]
        story.append(_table([[p(k), p(v)] for k, v in facts], [35 * mm, 135 * mm]))
        explanation = incident.snapshot.get("explanation") if isinstance(incident.snapshot, dict) else None
        if explanation:
            story += [p(_("Attribution"), section), p(explanation)]
        story.append(p(_("Evidence"), section))
        rows = [[p(_("File"), small), p(_("Kind"), small), p(_("Title"), small), p("SHA-256", small)]]
        for evidence, path, content in entries:
            rows.append(
                [
                    p(path, small),
                    p(evidence.get_kind_display(), small),
                    p(evidence.title, small),
                    p(sha256_of(content), small),
                ]
            )
        story.append(_table(rows, [45 * mm, 20 * mm, 45 * mm, 60 * mm]))
        story.append(p(_("Timeline"), section))
        for entry in incident.timeline.all():
            when = timezone.localtime(entry.at).strftime("%Y-%m-%d %H:%M:%S")
            story.append(p(f"{when}  [{entry.kind}] {entry.actor}: {entry.text}", small))
        story += [
            Spacer(1, 6 * mm),
            p(_("Every file in this archive is listed with its SHA-256 in manifest.json."), small),
        ]
    buffer = io.BytesIO()
    SimpleDocTemplate(
        buffer, pagesize=A4, title=f"case-{incident.pk}", leftMargin=20 * mm, rightMargin=20 * mm
    ).build(story)
    return buffer.getvalue()


def _table(rows: list[list[Any]], widths: list[float]) -> Table:
    table = Table(rows, colWidths=widths)
    table.setStyle(
        TableStyle(
            [
                ("GRID", (0, 0), (-1, -1), 0.3, colors.grey),
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
            ]
        )
    )
    return table


def write_case_zip(incident: Incident, out: Any, progress: Callable[[int], None] = lambda _pct: None) -> dict:
    """Write the case file ZIP to the binary file ``out``; returns the manifest."""
    entries = _evidence_entries(incident)
    progress(20)
    files: list[dict[str, Any]] = []
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as archive:

        def add(path: str, content: bytes, **extra: Any) -> None:
            archive.writestr(path, content)
            files.append({"path": path, "sha256": sha256_of(content), "size": len(content), **extra})

        add("summary.pdf", summary_pdf(incident, entries))
        progress(50)
        for done, (evidence, path, content) in enumerate(entries, start=1):
            extra: dict[str, Any] = {
                "evidence_id": evidence.pk,
                "kind": evidence.kind,
                "title": evidence.title,
            }
            if evidence.file:
                extra["recorded_sha256"] = evidence.sha256
                extra["intact"] = evidence.sha256 == sha256_of(content)
            add(path, content, **extra)
            progress(50 + int(40 * done / max(1, len(entries))))
        timeline = [
            {"at": e.at.isoformat(), "kind": e.kind, "actor": e.actor, "text": e.text, "data": e.data}
            for e in incident.timeline.all()
        ]
        add("timeline.json", json.dumps(timeline, ensure_ascii=False, indent=2, default=str).encode("utf-8"))
        manifest = {
            "incident": {"id": incident.pk, "title": incident.title, "campaign": incident.campaign.slug},
            "generated_at": timezone.now().isoformat(),
            "hash_algorithm": "sha256",
            "files": files,
        }
        archive.writestr("manifest.json", json.dumps(manifest, ensure_ascii=False, indent=2))
    progress(95)
    return manifest


def build(case_file_id: int) -> CaseFile:
    """Build a queued case file in the background, recording progress as it goes."""
    case = CaseFile.objects.select_related("incident__campaign", "incident__node").get(pk=case_file_id)
    if case.status == CaseFileStatus.DONE:
        return case

    def progress(percent: int) -> None:
        CaseFile.objects.filter(pk=case.pk).update(progress=percent)

    CaseFile.objects.filter(pk=case.pk).update(status=CaseFileStatus.RUNNING, progress=5, error="")
    try:
        with tempfile.TemporaryFile() as handle:
            write_case_zip(case.incident, handle, progress)
            handle.seek(0)
            case.sha256 = hashlib.file_digest(handle, "sha256").hexdigest()
            handle.seek(0)
            case.file.save(f"case-{case.incident_id}-{case.pk}.zip", File(handle), save=False)
    except Exception as exc:
        CaseFile.objects.filter(pk=case.pk).update(status=CaseFileStatus.FAILED, error=str(exc)[:500])
        raise
    case.status, case.progress, case.finished_at = CaseFileStatus.DONE, 100, timezone.now()
    case.save(update_fields=["file", "sha256", "status", "progress", "finished_at"])
    return case
