"""Every admin page a security administrator can reach opens: lists, and an object of each model."""

import pytest
from django.contrib import admin
from django.urls import reverse

from canary.audit.roles import SECURITY_ADMIN
from tests.conftest import security_user

pytestmark = pytest.mark.django_db

MODELS = sorted(
    (model._meta.app_label, model._meta.model_name)
    for model in admin.site._registry
    if model.__module__.startswith("canary.")
)


@pytest.fixture
def security_admin(client):
    user = security_user("secadmin", SECURITY_ADMIN, is_staff=True, is_superuser=True)
    client.force_login(user)
    return user


@pytest.mark.parametrize(("app", "model"), MODELS)
def test_the_admin_list_and_first_object_of_every_model_open(client, security_admin, campaign, app, model):
    listing = client.get(reverse(f"admin:{app}_{model}_changelist"))
    assert listing.status_code == 200

    first = listing.context["cl"].result_list.first()
    if first is not None:
        assert client.get(reverse(f"admin:{app}_{model}_change", args=[first.pk])).status_code == 200
