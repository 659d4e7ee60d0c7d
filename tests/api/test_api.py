import pytest
from django.contrib.auth.models import Group, User

from canary.audit.models import AuditEvent
from canary.audit.roles import SECURITY_ANALYST


@pytest.fixture
def analyst_client(client, db):
    user = User.objects.create_user("analyst")
    user.groups.add(Group.objects.get_or_create(name=SECURITY_ANALYST)[0])
    client.force_login(user)
    return client


def test_analyst_reads_decoys_of_a_campaign_and_the_read_is_audited(analyst_client, campaign):
    response = analyst_client.get(f"/api/decoys/?campaign={campaign.slug}")
    assert response.status_code == 200
    waybills = {d["waybill_no"] for d in response.json()["results"]}
    assert waybills == set(campaign.decoys.values_list("waybill_no", flat=True))
    assert AuditEvent.objects.filter(action="api.decoys.list", actor="analyst").exists()


def test_user_without_security_role_gets_403_from_the_decoy_api(client, campaign):
    client.force_login(User.objects.create_user("clerk"))
    assert client.get("/api/decoys/").status_code == 403
    assert client.get("/api/nodes/").status_code == 200


def test_anonymous_api_access_is_refused(client, campaign):
    assert client.get("/api/campaigns/").status_code in (401, 403)


def test_openapi_schema_is_served(analyst_client):
    response = analyst_client.get("/api/schema/")
    assert response.status_code == 200
    assert b"/api/decoys/" in response.content
