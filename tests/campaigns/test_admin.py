"""The admin shows decoys to security roles only, whatever model permissions an account holds."""

import pytest
from django.contrib.auth.models import Permission, User

from canary.audit.models import AuditEvent
from tests.conftest import security_user

pytestmark = pytest.mark.django_db


def with_every_campaign_permission(user: User) -> User:
    user.user_permissions.add(*Permission.objects.filter(content_type__app_label="campaigns"))
    return user


def test_staff_with_change_permission_but_no_security_role_cannot_open_a_decoy(client, campaign):
    decoy = campaign.decoys.first()
    client.force_login(with_every_campaign_permission(User.objects.create_user("clerk", is_staff=True)))

    assert client.get("/admin/campaigns/decoy/").status_code == 403
    assert client.get(f"/admin/campaigns/decoy/{decoy.pk}/change/").status_code == 403
    assert client.post(f"/admin/campaigns/decoy/{decoy.pk}/delete/", {"post": "yes"}).status_code == 403
    assert campaign.decoys.filter(pk=decoy.pk).exists()


def test_a_security_analyst_opens_a_decoy_in_the_admin_and_the_look_is_audited(client, campaign):
    decoy = campaign.decoys.first()
    analyst = with_every_campaign_permission(security_user("analyst", is_staff=True))
    client.force_login(analyst)

    response = client.get(f"/admin/campaigns/decoy/{decoy.pk}/change/")

    assert response.status_code == 200 and decoy.waybill_no in response.content.decode()
    assert AuditEvent.objects.filter(action="admin.view.decoy", user=analyst).exists()
