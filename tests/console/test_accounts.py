"""Accounts: create_user puts a user in one role with a one-time password; staff without the
security admin role cannot grant themselves a role."""

from __future__ import annotations

import io
import re

import pytest
from django.contrib.auth.models import Group, User
from django.core.management import CommandError, call_command
from django.urls import reverse

from canary.audit.models import AuditEvent
from canary.audit.roles import ROLES, SECURITY_ANALYST, VIEWER, role_of
from tests.conftest import security_user

pytestmark = pytest.mark.django_db


def create(name: str, role: str) -> str:
    out = io.StringIO()
    call_command("create_user", name, "--role", role, stdout=out)
    return re.search(r": (\S+)$", out.getvalue().strip()).group(1)


@pytest.mark.parametrize("role", ROLES)
def test_create_user_puts_the_user_in_the_role_group_and_audits_it(role):
    create("zhang", role)

    user = User.objects.get(username="zhang")
    assert role_of(user) == role and Group.objects.filter(name=role).exists()
    assert AuditEvent.objects.filter(action="user.create", detail__role=role).exists()


def test_the_printed_password_logs_in_once_and_must_be_replaced(client):
    password = create("li", VIEWER)

    assert client.login(username="li", password=password)
    assert client.get(reverse("console:dashboard"))["Location"] == reverse("password_change")
    new = "a new long passphrase 42"
    response = client.post(
        reverse("password_change"),
        {"old_password": password, "new_password1": new, "new_password2": new},
    )
    assert response.status_code == 302
    assert client.get(reverse("console:dashboard")).status_code == 200


def test_create_user_refuses_an_unknown_role_and_an_existing_name():
    with pytest.raises(CommandError):
        call_command("create_user", "wang", "--role", "superhero", stdout=io.StringIO())
    create("wang", SECURITY_ANALYST)
    with pytest.raises(CommandError, match="already exists"):
        create("wang", VIEWER)


def test_staff_without_the_admin_role_cannot_add_themselves_to_a_security_group(client):
    analyst = security_user("analyst", SECURITY_ANALYST, is_staff=True)
    client.force_login(analyst)
    group = Group.objects.get(name="security_admin")

    url = reverse("admin:auth_user_change", args=[analyst.pk])
    response = client.post(url, {"username": "analyst", "groups": [group.pk]})

    assert response.status_code == 403
    assert role_of(User.objects.get(pk=analyst.pk)) == SECURITY_ANALYST
