"""Incidents in the console: one-click acknowledge and close, a case file with the original
documents and their hashes, and viewers who see the incident but no decoy identity."""

from __future__ import annotations

import io
import json
import zipfile

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from canary.alerts.models import CaseFile, Incident, IncidentState
from canary.attribution.models import Signal
from canary.audit.models import AuditEvent
from canary.audit.roles import VIEWER
from canary.sightings.models import Document
from tests.conftest import security_user

pytestmark = pytest.mark.django_db


@pytest.fixture
def incident(analyst, campaign, django_capture_on_commit_callbacks):
    decoy = campaign.decoys.order_by("id").first()
    body = f"单号,姓名\n{decoy.waybill_no},{decoy.recipient_name}\n".encode("gbk")
    with django_capture_on_commit_callbacks(execute=True):
        analyst.post(reverse("sightings:upload"), {"file": SimpleUploadedFile("买来的.csv", body)})
    incident = Incident.objects.create(campaign=campaign, title="泄露调查", last_activity_at=timezone.now())
    incident.signals.add(Signal.objects.get(origin__startswith="sightings.document:"))
    return incident


def act(client, incident, **form):
    return client.post(reverse("alerts:incident", args=[incident.pk]), form)


def test_acknowledge_takes_one_click_and_assigns_me(analyst, incident):
    act(analyst, incident, action="acknowledge")

    incident.refresh_from_db()
    assert incident.state == IncidentState.INVESTIGATING and incident.assignee.username == "analyst"


@pytest.mark.parametrize("verdict", [IncidentState.CONFIRMED, IncidentState.FALSE_POSITIVE])
def test_close_takes_one_click_from_new_and_records_the_verdict(analyst, incident, verdict):
    act(analyst, incident, action="close", verdict=verdict)

    incident.refresh_from_db()
    assert incident.state == IncidentState.CLOSED and incident.closed_at is not None
    states = [e.data["new"] for e in incident.timeline.filter(kind="state")]
    assert states == [verdict, IncidentState.CLOSED]


def test_the_case_file_holds_the_original_document_and_its_hash(
    analyst, incident, django_capture_on_commit_callbacks
):
    document = Document.objects.get()
    with django_capture_on_commit_callbacks(execute=True):
        act(analyst, incident, action="case_file")

    case = CaseFile.objects.get(incident=incident)
    with case.file.open("rb") as handle:
        archive = zipfile.ZipFile(io.BytesIO(handle.read()))
    manifest = json.loads(archive.read("manifest.json"))
    (entry,) = [f for f in manifest["files"] if f["path"].endswith("买来的.csv")]
    assert entry["sha256"] == document.sha256 and entry["intact"]
    with document.file.open("rb") as handle:
        assert archive.read(entry["path"]) == handle.read()


def test_a_viewer_sees_the_incident_without_decoy_identities_or_actions(client, incident, campaign):
    note = "单号 " + campaign.decoys.order_by("id").first().waybill_no
    incident.timeline.create(kind="note", text=note, actor="analyst")
    client.force_login(security_user("watcher", VIEWER))

    page = client.get(reverse("alerts:incident", args=[incident.pk])).content.decode()

    assert "泄露调查" in page and "备注" in page
    for decoy in campaign.decoys.all():
        assert decoy.waybill_no not in page and decoy.recipient_name not in page
        assert decoy.recipient_phone.removeprefix("+86") not in page
    assert 'name="action"' not in page
    assert act(client, incident, action="close", verdict="confirmed").status_code == 403
    assert AuditEvent.objects.filter(action="access.denied", actor="watcher").exists()
