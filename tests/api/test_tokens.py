"""API tokens: scopes, hashing, expiry, revocation, the command, the error body."""

from __future__ import annotations

import io
from datetime import timedelta

import pytest
from django.contrib.auth.models import Group, User
from django.core.management import CommandError, call_command
from django.utils import timezone

from canary.api.models import ApiToken
from canary.api.tokens import TokenError, issue_token, revoke_token
from canary.audit.models import AuditEvent
from canary.audit.roles import SECURITY_ANALYST, VIEWER
from tests.conftest import security_user


def test_the_key_is_stored_only_as_a_hash(db):
    token, key = issue_token(security_user("a"), "analyst")
    assert key.startswith("cwt_") and len(key) > 40
    stored = ApiToken.objects.filter(pk=token.pk).values().get()
    assert key not in str(stored) and stored["key_hash"] != key
    assert AuditEvent.objects.filter(action="api.token.create", object_id=str(token.pk)).exists()


def test_a_scope_above_the_users_role_is_refused(db):
    with pytest.raises(TokenError, match="exceeds"):
        issue_token(security_user("v", VIEWER), "analyst")
    with pytest.raises(TokenError):
        issue_token(User.objects.create_user("clerk"), "viewer")


@pytest.mark.parametrize("header", ["Token", "Bearer"])
def test_token_and_bearer_both_authenticate(client, db, header):
    _, key = issue_token(security_user("a"), "analyst")
    response = client.get("/api/v1/decoys/", HTTP_AUTHORIZATION=f"{header} {key}")
    assert response.status_code == 200
    assert ApiToken.objects.get().last_used_at is not None


def test_no_token_is_401_with_a_chinese_and_english_message(client, db):
    response = client.get("/api/v1/campaigns/")
    assert response.status_code == 401
    assert response["WWW-Authenticate"] == 'Token realm="api"'
    body = response.json()
    assert body["code"] == "not_authenticated"
    assert body["message"] != body["message_en"] and body["message_en"].startswith("Authentication")


@pytest.mark.parametrize("key", ["cwt_0000000000000000", "nonsense", "cwt_"])
def test_a_bad_token_is_401(client, db, key):
    response = client.get("/api/v1/nodes/", HTTP_AUTHORIZATION=f"Token {key}")
    assert response.status_code == 401
    assert response.json()["code"] == "token_invalid"


def test_an_expired_or_revoked_token_is_401(client, db):
    user = security_user("a")
    expired, expired_key = issue_token(user, "analyst", expires_in_days=1)
    ApiToken.objects.filter(pk=expired.pk).update(expires_at=timezone.now() - timedelta(seconds=1))
    revoked, revoked_key = issue_token(user, "analyst")
    assert revoke_token(revoked, actor="boss") and not revoke_token(revoked, actor="boss")
    for key in (expired_key, revoked_key):
        assert client.get("/api/v1/nodes/", HTTP_AUTHORIZATION=f"Token {key}").status_code == 401


def test_a_token_never_acts_above_its_users_current_role(client, db):
    user = security_user("a", "security_admin")
    _, key = issue_token(user, "admin")
    assert client.get("/api/v1/channels/", HTTP_AUTHORIZATION=f"Token {key}").status_code == 200
    user.groups.set([Group.objects.get_or_create(name=VIEWER)[0]])  # demoted
    assert client.get("/api/v1/channels/", HTTP_AUTHORIZATION=f"Token {key}").status_code == 403
    assert client.get("/api/v1/decoys/", HTTP_AUTHORIZATION=f"Token {key}").status_code == 403
    assert client.get("/api/v1/nodes/", HTTP_AUTHORIZATION=f"Token {key}").status_code == 200


def test_a_viewer_scoped_token_of_an_analyst_reads_no_decoys(client, db):
    _, key = issue_token(security_user("a", SECURITY_ANALYST), "viewer")
    response = client.get("/api/v1/decoys/", HTTP_AUTHORIZATION=f"Token {key}")
    assert response.status_code == 403
    assert response.json()["code"] == "role_required"


def test_create_token_prints_the_key_last_alone_on_its_line(db, client):
    out, err = io.StringIO(), io.StringIO()
    call_command("create_token", "bot", "--scope", "analyst", "--create-user", "--name", "crawler",
                 "--expires", "30", stdout=out, stderr=err)  # fmt: skip
    key = out.getvalue().rstrip("\n").splitlines()[-1]
    assert key.startswith("cwt_") and " " not in key
    token = ApiToken.objects.get(user__username="bot")
    assert token.name == "crawler" and token.scope == "analyst" and token.expires_at is not None
    assert client.get("/api/v1/decoys/", HTTP_AUTHORIZATION=f"Token {key}").status_code == 200


def test_create_token_refuses_an_unknown_user_and_a_scope_above_the_role(db):
    with pytest.raises(CommandError, match="create-user"):
        call_command("create_token", "ghost", "--scope", "viewer", stdout=io.StringIO())
    security_user("v", VIEWER)
    with pytest.raises(CommandError, match="exceeds"):
        call_command("create_token", "v", "--scope", "admin", stdout=io.StringIO())


def test_requests_beyond_the_rate_are_throttled_per_token(client, db, settings):
    settings.API_THROTTLE_RATE = "3/min"
    user = security_user("a")
    _, first = issue_token(user, "analyst")
    _, second = issue_token(user, "analyst")
    codes = [client.get("/api/v1/nodes/", HTTP_AUTHORIZATION=f"Token {first}").status_code for _ in range(4)]
    assert codes == [200, 200, 200, 429]
    assert client.get("/api/v1/nodes/", HTTP_AUTHORIZATION=f"Token {first}").json()["code"] == "throttled"
    assert client.get("/api/v1/nodes/", HTTP_AUTHORIZATION=f"Token {second}").status_code == 200
