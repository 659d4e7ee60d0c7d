"""The API tokens page: the secret shown once, scopes capped by the role, revocation, audit."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

from canary.api.models import ApiToken
from canary.api.tokens import authenticate_key, issue_token
from canary.audit.models import AuditEvent
from canary.audit.roles import SECURITY_ADMIN, SECURITY_ANALYST, VIEWER
from tests.conftest import security_user

pytestmark = pytest.mark.django_db


def logged_in(client, username: str, role: str):
    user = security_user(username, role)
    client.force_login(user)
    return user


def new_key(page: str) -> str:
    return re.search(r'<code id="new-token">([^<]+)</code>', page).group(1)


def test_a_created_token_is_shown_once_and_authenticates(client):
    user = logged_in(client, "analyst", SECURITY_ANALYST)

    response = client.post(
        reverse("console:tokens"),
        {"name": "订单系统", "scope": "analyst", "expires_in_days": "30"},
        follow=True,  # redirected, so a reload cannot create a second token
    )

    assert response.redirect_chain == [(reverse("console:tokens"), 302)]
    page = response.content.decode()
    assert response.status_code == 200 and "no-store" in response["Cache-Control"]
    key = new_key(page)
    token = authenticate_key(key)
    assert token.user == user and token.scope == "analyst" and token.name == "订单系统"
    assert token.expires_at is not None
    assert "只显示这一次" in page
    event = AuditEvent.objects.get(action="api.token.create")
    assert event.actor == "analyst" and event.ip == "127.0.0.1"
    assert key not in client.get(reverse("console:tokens")).content.decode()


def test_a_scope_above_the_role_is_refused_in_chinese(client):
    logged_in(client, "viewer", VIEWER)

    response = client.post(reverse("console:tokens"), {"name": "x", "scope": "analyst"})

    page = response.content.decode()
    assert 'id="new-token"' not in page and "选择一个有效的选项" in page
    assert not ApiToken.objects.exists()
    client.post(reverse("console:tokens"), {"name": "只读", "scope": "viewer"})
    assert ApiToken.objects.get().scope == "viewer"


def test_a_nonsense_expiry_is_refused(client):
    logged_in(client, "analyst", SECURITY_ANALYST)

    response = client.post(reverse("console:tokens"), {"scope": "viewer", "expires_in_days": "0"})

    assert 'id="new-token"' not in response.content.decode() and not ApiToken.objects.exists()


def test_a_revoked_token_stops_working_and_the_revocation_is_audited(client):
    user = logged_in(client, "analyst", SECURITY_ANALYST)
    token, key = issue_token(user, "viewer", name="爬虫")

    response = client.post(reverse("console:token-revoke", args=[token.pk]))

    assert response.status_code == 302 and authenticate_key(key) is None
    event = AuditEvent.objects.get(action="api.token.revoke")
    assert event.actor == "analyst" and event.object_id == str(token.pk)
    again = client.post(reverse("console:token-revoke", args=[token.pk]), follow=True)
    assert "已被吊销" in again.content.decode()


def test_users_see_and_revoke_only_their_own_tokens(client):
    other, other_key = issue_token(security_user("other", SECURITY_ANALYST), "analyst", name="别人的令牌")
    logged_in(client, "analyst", SECURITY_ANALYST)

    assert "别人的令牌" not in client.get(reverse("console:tokens")).content.decode()
    assert client.post(reverse("console:token-revoke", args=[other.pk])).status_code == 404
    assert authenticate_key(other_key) is not None


def test_a_security_admin_sees_and_revokes_everyones_tokens(client):
    other, other_key = issue_token(security_user("other", VIEWER), "viewer", name="别人的令牌")
    logged_in(client, "boss", SECURITY_ADMIN)

    page = client.get(reverse("console:tokens")).content.decode()

    assert "别人的令牌" in page and "other" in page
    client.post(reverse("console:token-revoke", args=[other.pk]))
    assert authenticate_key(other_key) is None


def test_every_role_finds_the_tokens_page_in_the_navigation(client):
    logged_in(client, "viewer", VIEWER)

    page = client.get(reverse("console:dashboard")).content.decode()

    assert reverse("console:tokens") in page and "API 令牌" in page
