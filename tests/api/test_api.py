import pytest
from django.contrib.auth.models import User
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext

from canary.audit.models import AuditEvent
from canary.campaigns.models import Decoy
from canary.sightings.models import Document
from tests.conftest import security_user


@pytest.fixture
def analyst_client(client, db):
    client.force_login(security_user("analyst"))
    return client


def test_analyst_reads_decoys_of_a_campaign_and_the_read_is_audited(analyst_client, campaign):
    response = analyst_client.get(f"/api/decoys/?campaign={campaign.slug}")
    assert response.status_code == 200
    waybills = {d["waybill_no"] for d in response.json()["results"]}
    assert waybills == set(campaign.decoys.values_list("waybill_no", flat=True))
    assert AuditEvent.objects.filter(action="api.decoys.list", actor="analyst").exists()


def test_user_without_a_role_gets_403_from_the_decoy_api_and_the_network(client, campaign):
    client.force_login(User.objects.create_user("clerk"))
    assert client.get("/api/decoys/").status_code == 403
    # The network is for console roles (a viewer and up), not for every account.
    assert client.get("/api/nodes/").status_code == 403


def test_anonymous_api_access_is_refused(client, campaign):
    assert client.get("/api/campaigns/").status_code == 401


def test_openapi_schema_is_served(analyst_client):
    response = analyst_client.get("/api/schema/")
    assert response.status_code == 200
    assert b"/api/v1/decoys/" in response.content


def test_a_dump_uploaded_over_the_api_is_scanned_and_its_sightings_are_listed(
    analyst_client, campaign, django_capture_on_commit_callbacks
):
    decoy = Decoy.objects.filter(campaign=campaign).order_by("id").first()
    dump = SimpleUploadedFile("群文件.csv", f"单号,电话\n{decoy.waybill_no},\n".encode("gbk"), "text/csv")

    with django_capture_on_commit_callbacks(execute=True):
        response = analyst_client.post(
            "/api/documents/", {"file": dump, "seen_at": "2026-11-20T08:00:00+08:00"}
        )

    assert response.status_code == 201
    document = analyst_client.get(f"/api/documents/{response.json()['id']}/").json()
    assert document["status"] == "done" and document["progress_percent"] == 100
    assert document["seen_at"] == "2026-11-20T08:00:00+08:00" and document["sightings"] == 1
    (sighting,) = analyst_client.get(f"/api/sightings/?document={document['id']}").json()["results"]
    assert sighting["waybill_no"] == decoy.waybill_no and sighting["matched"] == ["waybill"]
    assert sighting["location"] == "群文件.csv line 2 [单号]"
    assert AuditEvent.objects.filter(action="api.documents.upload", actor="analyst").exists()


def test_a_shared_canary_phone_is_one_sighting_listing_the_decoys_it_fits(
    analyst_client, campaign, django_capture_on_commit_callbacks
):
    phone = Decoy.objects.filter(campaign=campaign).order_by("id").first().recipient_phone
    sharing = sorted(Decoy.objects.filter(recipient_phone=phone).values_list("waybill_no", flat=True))
    dump = SimpleUploadedFile("chat.txt", f"老客户 {phone}\n".encode())
    with django_capture_on_commit_callbacks(execute=True):
        analyst_client.post("/api/documents/", {"file": dump})

    (sighting,) = analyst_client.get(f"/api/sightings/?campaign={campaign.slug}").json()["results"]

    assert sighting["waybill_no"] is None and sighting["campaign"] == campaign.slug
    assert sighting["candidate_count"] == len(sharing) > 1 and sighting["candidates"] == sharing
    assert analyst_client.get("/api/sightings/?campaign=other").json()["results"] == []


def test_listing_sightings_costs_the_same_queries_for_one_shared_phone_or_many(
    analyst_client, campaign, django_capture_on_commit_callbacks
):
    phones = sorted(set(Decoy.objects.filter(campaign=campaign).values_list("recipient_phone", flat=True)))
    assert len(phones) > 2

    def queries_to_list(name: str, lines: list[str]) -> int:
        dump = SimpleUploadedFile(name, "\n".join(lines).encode())
        with django_capture_on_commit_callbacks(execute=True):
            document = analyst_client.post("/api/documents/", {"file": dump}).json()["id"]
        with CaptureQueriesContext(connection) as queries:
            listed = analyst_client.get(f"/api/sightings/?document={document}").json()["results"]
        assert len(listed) == len(lines)
        return len(queries)

    assert queries_to_list("one.txt", phones[:1]) == queries_to_list("many.txt", phones)


def test_the_same_dump_uploaded_twice_over_the_api_is_stored_once(analyst_client, campaign):
    first = analyst_client.post("/api/documents/", {"file": SimpleUploadedFile("a.txt", b"nothing here")})
    again = analyst_client.post("/api/documents/", {"file": SimpleUploadedFile("b.txt", b"nothing here")})

    assert (first.status_code, again.status_code) == (201, 200)
    assert again.json()["id"] == first.json()["id"] and Document.objects.count() == 1


def test_an_api_upload_without_a_file_gets_a_clear_error(analyst_client, campaign):
    response = analyst_client.post("/api/documents/", {"seen_at": "yesterday"})

    assert response.status_code == 400
    assert set(response.json()["errors"]) == {"file", "seen_at"}
    assert not Document.objects.exists()


def test_user_without_security_role_cannot_upload_or_read_sightings(client, campaign):
    client.force_login(User.objects.create_user("clerk"))

    upload = client.post("/api/documents/", {"file": SimpleUploadedFile("a.txt", b"x")})

    assert upload.status_code == 403 and not Document.objects.exists()
    assert client.get("/api/sightings/").status_code == 403


@pytest.mark.parametrize(
    ("url", "action"),
    [
        ("/api/campaigns/", "api.campaigns.list"),
        ("/api/signals/", "api.signals.list"),
        ("/api/documents/?status=failed", "api.documents.list"),
        ("/api/sightings/", "api.sightings.list"),
    ],
)
def test_every_read_of_decoy_data_over_the_api_is_audited(analyst_client, campaign, url, action):
    assert analyst_client.get(url).status_code == 200
    assert AuditEvent.objects.filter(action=action, actor="analyst").exists()


def test_reading_one_campaign_is_audited_with_its_slug(analyst_client, campaign):
    assert analyst_client.get(f"/api/campaigns/{campaign.slug}/").status_code == 200
    assert AuditEvent.objects.filter(action="api.campaigns.view", detail__slug=campaign.slug).exists()
