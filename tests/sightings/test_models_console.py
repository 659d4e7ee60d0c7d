"""The console: analysts upload dumps and follow documents and sightings; nobody else sees them."""

import pytest
from django.contrib.auth.models import Permission, User
from django.core.files.uploadedfile import SimpleUploadedFile

from canary.attribution.models import Signal
from canary.audit.models import AuditEvent
from canary.campaigns.models import Decoy
from canary.sightings.models import Document, Sighting
from tests.conftest import security_user

pytestmark = pytest.mark.django_db


@pytest.fixture
def analyst():
    return security_user("analyst", password="pw")


@pytest.fixture
def decoy(campaign):
    return Decoy.objects.filter(campaign=campaign).order_by("id")[1]


def test_an_uploaded_dump_is_stored_scanned_and_audited(
    client, analyst, decoy, django_capture_on_commit_callbacks
):
    client.force_login(analyst)
    dump = SimpleUploadedFile("买来的.csv", f"单号,电话\n{decoy.waybill_no},\n".encode("gbk"), "text/csv")

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post("/sightings/upload/", {"file": dump, "seen_at": "2026-11-20 08:00"})

    assert response.status_code == 302
    document = Document.objects.get()
    assert document.status == "done" and document.seen_at.isoformat() == "2026-11-20T00:00:00+00:00"
    assert Sighting.objects.get().decoy == decoy
    assert Signal.objects.get().kind == "dump"
    assert AuditEvent.objects.filter(action="sightings.upload", user=analyst).exists()


def test_the_document_and_sighting_pages_show_status_and_matches(
    client, analyst, decoy, django_capture_on_commit_callbacks
):
    client.force_login(analyst)
    with django_capture_on_commit_callbacks(execute=True):
        client.post("/sightings/upload/", {"file": SimpleUploadedFile("a.txt", decoy.waybill_no.encode())})
        client.post("/sightings/upload/", {"file": SimpleUploadedFile("b.zip", b"PK\x03\x04broken")})

    documents = client.get("/sightings/documents/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    sightings = client.get("/sightings/", HTTP_ACCEPT_LANGUAGE="en").content.decode()

    assert "b.zip" in documents and "not a readable ZIP archive" in documents and "Failed" in documents
    assert decoy.waybill_no in sightings and "a.txt line 1" in sightings


def test_the_sighting_page_shows_a_shared_phone_as_the_number_of_decoys_it_fits(
    client, analyst, decoy, django_capture_on_commit_callbacks
):
    sharing = Decoy.objects.filter(recipient_phone=decoy.recipient_phone).count()
    client.force_login(analyst)
    with django_capture_on_commit_callbacks(execute=True):
        dump = SimpleUploadedFile("c.txt", decoy.recipient_phone.encode())
        client.post("/sightings/upload/", {"file": dump})

    english = client.get("/sightings/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    chinese = client.get("/sightings/", HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()

    campaign = decoy.campaign.name
    assert f"{sharing} decoys of {campaign}" in english and "shared evidence" in english
    assert f"{campaign} 的 {sharing} 个诱饵" in chinese and "共用线索" in chinese


@pytest.mark.parametrize("url", ["/sightings/", "/sightings/documents/", "/sightings/upload/"])
def test_depot_staff_cannot_see_or_upload(client, url):
    client.force_login(User.objects.create_user("clerk", password="pw"))
    assert client.get(url).status_code == 403


def test_admin_lists_documents_for_security_roles_only(client, analyst):
    analyst.is_staff = True
    analyst.save()
    staff = User.objects.create_user("staff", password="pw", is_staff=True)
    staff.user_permissions.add(*Permission.objects.filter(content_type__app_label="sightings"))
    client.force_login(staff)
    assert client.get("/admin/sightings/document/").status_code == 403
    client.force_login(analyst)
    analyst.user_permissions.add(*Permission.objects.filter(content_type__app_label="sightings"))
    assert client.get("/admin/sightings/document/").status_code == 200
