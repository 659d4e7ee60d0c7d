"""The case file ZIP: a Chinese PDF summary, the evidence, and a manifest whose hashes verify."""

from __future__ import annotations

import hashlib
import io
import json
import zipfile

import pytest
from pypdf import PdfReader

from canary.alerts.incidents import add_evidence, open_or_update_incident
from canary.alerts.models import CaseFile, CaseFileStatus, EvidenceKind

pytestmark = pytest.mark.django_db


@pytest.fixture
def incident(campaign, strong_signal):
    signal = strong_signal()
    node = campaign.decoys.first().target
    incident = open_or_update_incident(
        campaign, node, 0.93, {"explanation": "只有该网点见过这些诱饵"}, [signal.pk]
    )
    add_evidence(
        incident,
        kind=EvidenceKind.DOCUMENT,
        title="论坛帖子",
        content="出售面单 张*伟 138****5678".encode(),
        filename="post.txt",
        source="sightings.document:1",
    )
    add_evidence(
        incident, kind=EvidenceKind.RECORDING, title="voicemail", content=b"RIFF....WAVE", filename="vm.wav"
    )
    return incident


def _built(incident):
    from tasks.alerts import build_case_file

    case = CaseFile.objects.create(incident=incident, requested_by="analyst")
    build_case_file.delay(case.pk)
    case.refresh_from_db()
    return case


def test_case_file_hashes_verify(incident):
    case = _built(incident)

    assert case.status == CaseFileStatus.DONE and case.progress == 100
    raw = case.file.open("rb").read()
    assert hashlib.sha256(raw).hexdigest() == case.sha256
    archive = zipfile.ZipFile(io.BytesIO(raw))
    manifest = json.loads(archive.read("manifest.json"))
    listed = {entry["path"] for entry in manifest["files"]}
    assert listed == set(archive.namelist()) - {"manifest.json"}
    for entry in manifest["files"]:
        assert hashlib.sha256(archive.read(entry["path"])).hexdigest() == entry["sha256"]
    files = [e for e in manifest["files"] if "recorded_sha256" in e]
    assert len(files) == 2 and all(e["intact"] for e in files)
    assert archive.read(next(e["path"] for e in files if e["path"].endswith("post.txt"))).decode() == (
        "出售面单 张*伟 138****5678"
    )


def test_case_file_summary_is_a_chinese_pdf(incident):
    case = _built(incident)

    archive = zipfile.ZipFile(case.file.open("rb"))
    text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(archive.read("summary.pdf"))).pages)
    assert "案件材料" in text
    assert incident.campaign.name in text and "只有该网点见过这些诱饵" in text


def test_tampered_evidence_file_is_flagged_in_the_manifest(incident):
    evidence = incident.evidence.get(title="voicemail")
    with open(evidence.file.path, "wb") as handle:
        handle.write(b"altered")

    archive = zipfile.ZipFile(_built(incident).file.open("rb"))
    manifest = json.loads(archive.read("manifest.json"))
    entry = next(e for e in manifest["files"] if e.get("evidence_id") == evidence.pk)
    assert entry["intact"] is False and entry["recorded_sha256"] == evidence.sha256
