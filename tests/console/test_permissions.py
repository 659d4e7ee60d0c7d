"""Every console, admin and API URL against every role: who may open it, who is refused.

The tables below are the access policy. A new URL without a row fails
``test_every_console_and_api_url_has_a_row``, so no page ships without a decision.
"""

from __future__ import annotations

import pytest
from django.contrib import admin
from django.contrib.auth.models import User
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.utils import timezone

from canary.api.tokens import issue_token
from canary.audit.models import AuditEvent
from canary.audit.roles import ROLES, SECURITY_ADMIN, SECURITY_ANALYST, VIEWER
from tests.conftest import security_user

pytestmark = pytest.mark.django_db

ANONYMOUS, NO_ROLE = "anonymous", "no role"
USERS = (ANONYMOUS, NO_ROLE, VIEWER, SECURITY_ANALYST, SECURITY_ADMIN)
PUBLIC = "public"

# url name → (minimum role, method, URL arguments by fixture object)
CONSOLE = {
    "console:dashboard": (VIEWER, "get", ()),
    "console:campaigns": (SECURITY_ANALYST, "get", ()),
    "console:campaign": (SECURITY_ANALYST, "get", ("slug",)),
    "console:decoys": (SECURITY_ANALYST, "get", ("slug",)),
    "console:labels": (SECURITY_ANALYST, "get", ("slug",)),
    "console:orders": (SECURITY_ANALYST, "get", ("slug",)),
    "console:orders-json": (SECURITY_ANALYST, "get", ("slug",)),
    "console:campaign-new": (SECURITY_ANALYST, "get", ()),
    "console:campaign-live": (SECURITY_ANALYST, "get", ("slug",)),
    "console:campaign-progress": (SECURITY_ANALYST, "get", ("slug",)),
    "console:campaign-activate": (SECURITY_ANALYST, "post", ("slug",)),
    "console:campaign-end": (SECURITY_ANALYST, "post", ("slug",)),
    "console:dashboard-latest": (VIEWER, "get", ()),
    "console:network": (VIEWER, "get", ()),
    "console:node": (VIEWER, "get", ("node",)),
    "console:network-import": (SECURITY_ANALYST, "get", ()),
    "console:network-export": (SECURITY_ANALYST, "get", ()),
    "console:numbers": (SECURITY_ANALYST, "get", ()),
    "console:number-release": (SECURITY_ANALYST, "post", ("number",)),
    "console:sources": (SECURITY_ANALYST, "get", ()),
    "console:source-add": (SECURITY_ANALYST, "get", ()),
    "console:source": (SECURITY_ANALYST, "get", ("source",)),
    "console:source-toggle": (SECURITY_ANALYST, "post", ("source",)),
    "console:source-fetch": (SECURITY_ANALYST, "post", ("source",)),
    "console:source-test": (SECURITY_ANALYST, "post", ("source",)),
    "console:tokens": (VIEWER, "get", ()),
    "console:token-revoke": (VIEWER, "post", ("token",)),
    "console:audit": (SECURITY_ADMIN, "get", ()),
    "console:audit-export": (SECURITY_ADMIN, "get", ()),
    "alerts:incidents": (VIEWER, "get", ()),
    "alerts:incident": (VIEWER, "get", ("incident",)),
    "alerts:casefile": (SECURITY_ANALYST, "get", ("casefile",)),
    "alerts:casefile-download": (SECURITY_ANALYST, "get", ("casefile",)),
    "alerts:channels": (SECURITY_ANALYST, "get", ()),
    "alerts:channel-add": (SECURITY_ANALYST, "get", ()),
    "alerts:channel": (SECURITY_ANALYST, "get", ("channel",)),
    "alerts:rule-add": (SECURITY_ANALYST, "get", ()),
    "alerts:rule": (SECURITY_ANALYST, "get", ("rule",)),
    "alerts:rule-toggle": (SECURITY_ANALYST, "post", ("rule",)),
    "alerts:channel-test": (SECURITY_ANALYST, "post", ("channel",)),
    "alerts:channel-enable": (SECURITY_ANALYST, "post", ("channel",)),
    "contacts:contacts": (SECURITY_ANALYST, "get", ()),
    "sightings:sightings": (SECURITY_ANALYST, "get", ()),
    "sightings:documents": (SECURITY_ANALYST, "get", ()),
    "sightings:document-download": (SECURITY_ANALYST, "get", ("missing",)),
    "sightings:upload": (SECURITY_ANALYST, "get", ()),
    "attribution:campaign": (VIEWER, "get", ("slug",)),
    "attribution:recompute": (SECURITY_ANALYST, "post", ("slug",)),
}
# The API's version 1; /api/ answers the same views under ``api:legacy:`` (checked with these rows).
API_V1 = {
    "api-root": (SECURITY_ANALYST, "get", ()),
    "node-list": (VIEWER, "get", ()),
    "node-detail": (VIEWER, "get", ("node",)),
    "node-import-csv": (SECURITY_ADMIN, "post", ()),
    "campaign-list": (VIEWER, "get", ()),
    "campaign-detail": (VIEWER, "get", ("slug",)),
    "campaign-plan": (VIEWER, "get", ("slug",)),
    "campaign-history": (VIEWER, "get", ("slug",)),
    "campaign-labels": (SECURITY_ANALYST, "get", ("slug",)),
    "campaign-orders": (SECURITY_ANALYST, "get", ("slug",)),
    "campaign-activate": (SECURITY_ANALYST, "post", ("slug",)),
    "campaign-end": (SECURITY_ANALYST, "post", ("slug",)),
    "decoy-list": (SECURITY_ANALYST, "get", ()),
    "decoy-detail": (SECURITY_ANALYST, "get", ("decoy",)),
    "number-list": (SECURITY_ANALYST, "get", ()),
    "number-detail": (SECURITY_ANALYST, "get", ("number",)),
    "number-release": (SECURITY_ADMIN, "post", ("number",)),
    "source-list": (SECURITY_ANALYST, "get", ()),
    "source-detail": (SECURITY_ANALYST, "get", ("source",)),
    "source-fetch": (SECURITY_ANALYST, "post", ("missing",)),
    "ingest-list": (SECURITY_ANALYST, "post", ()),
    "document-list": (SECURITY_ANALYST, "get", ()),
    "document-detail": (SECURITY_ANALYST, "get", ("missing",)),
    "sighting-list": (SECURITY_ANALYST, "get", ()),
    "sighting-detail": (SECURITY_ANALYST, "get", ("missing",)),
    "contact-list": (SECURITY_ANALYST, "get", ()),
    "contact-detail": (SECURITY_ANALYST, "get", ("missing",)),
    "signal-list": (SECURITY_ANALYST, "get", ()),
    "signal-detail": (SECURITY_ANALYST, "get", ("missing",)),
    "attribution-detail": (VIEWER, "get", ("slug",)),
    "attribution-history": (VIEWER, "get", ("slug",)),
    "incident-list": (VIEWER, "get", ()),
    "incident-detail": (VIEWER, "get", ("incident",)),
    "incident-timeline": (VIEWER, "get", ("incident",)),
    "incident-notes": (SECURITY_ANALYST, "post", ("incident",)),
    "incident-case-file": (SECURITY_ANALYST, "get", ("incident",)),
    "channel-list": (SECURITY_ADMIN, "get", ()),
    "channel-detail": (SECURITY_ADMIN, "get", ("channel",)),
    "rule-list": (SECURITY_ANALYST, "get", ()),
    "rule-detail": (SECURITY_ANALYST, "get", ("rule",)),
}
API = {
    "api:schema": (SECURITY_ANALYST, "get", ()),
    "api:docs": (SECURITY_ANALYST, "get", ()),
    "api:redoc": (SECURITY_ANALYST, "get", ()),
    **{f"api:{version}:{name}": row for version in ("v1", "legacy") for name, row in API_V1.items()},
}
CONSOLE_NAMESPACES = ("console", "alerts", "contacts", "sightings", "attribution", "api")
# Admin pages of the accounts, the audit trail and the raw task schedules are the security
# admin's alone (the console edits schedules through their sources).
ADMIN_ONLY_APPS = {"auth", "audit", "django_celery_beat"}


def may_open(user: str, minimum: str) -> bool:
    if minimum == PUBLIC:
        return True
    if user in (ANONYMOUS, NO_ROLE):
        return False
    return ROLES.index(user) <= ROLES.index(minimum)


def named_urls(resolver: URLResolver, prefix: str = "") -> set[str]:
    names = set()
    for entry in resolver.url_patterns:
        if isinstance(entry, URLResolver):
            names |= named_urls(entry, f"{prefix}{entry.namespace}:" if entry.namespace else prefix)
        elif isinstance(entry, URLPattern) and entry.name:
            names.add(prefix + entry.name)
    return names


def test_every_console_and_api_url_has_a_row():
    names = {name for name in named_urls(get_resolver()) if name.split(":")[0] in CONSOLE_NAMESPACES}
    assert names == set(CONSOLE) | set(API)


@pytest.fixture
def objects(campaign, network):
    from canary.alerts.models import CaseFile, Channel, Incident, Rule, Team
    from canary.sightings.models import Source

    incident = Incident.objects.create(campaign=campaign, title="泄露调查", last_activity_at=timezone.now())
    team = Team.objects.create(name="安全组")
    return {
        "slug": campaign.slug,
        "incident": incident.pk,
        "casefile": CaseFile.objects.create(incident=incident, requested_by="test").pk,
        "channel": Channel.objects.create(
            team=team, kind="webhook", target="http://127.0.0.1:9/", name="t"
        ).pk,
        "node": next(iter(network)),
        "decoy": campaign.decoys.first().pk,
        "number": campaign.decoys.first().number_id,
        "rule": Rule.objects.create(name="全部").pk,
        "source": Source.objects.create(name="论坛", kind="http_page", url="https://example.com/").pk,
        "token": issue_token(security_user("token_owner", SECURITY_ADMIN), "viewer")[0].pk,
        "missing": 0,  # refused before the lookup; a 404 for those allowed
    }


@pytest.fixture
def login(client):
    """Log the client in as one of ``USERS``; staff, so the admin's own checks are not the gate."""

    def as_user(user: str):
        client.logout()
        if user == ANONYMOUS:
            return client
        username = user.replace(" ", "_")
        account = User.objects.filter(username=username).first()
        if account is None:
            if user == NO_ROLE:
                account = User.objects.create_user(username, is_staff=True)
            else:
                account = security_user(username, user, is_staff=True)
        client.force_login(account)
        return client

    return as_user


def refused(response) -> bool:
    to_login = response.status_code == 302 and "/login/" in response["Location"]
    return to_login or response.status_code in (401, 403)


def check(client, user: str, minimum: str, method: str, url: str) -> None:
    response = getattr(client, method)(url)
    assert refused(response) != may_open(user, minimum), (user, url, response.status_code)
    if user == ANONYMOUS and not url.startswith("/api/") and minimum != PUBLIC:
        assert response.status_code == 302, url  # a person is sent to the log-in page


@pytest.mark.parametrize("name", sorted(CONSOLE) + sorted(API))
def test_url_opens_for_its_roles_and_refuses_the_rest(name, objects, login):
    minimum, method, arguments = {**CONSOLE, **API}[name]
    url = reverse(name, args=[objects[key] for key in arguments])
    for user in USERS:
        check(login(user), user, minimum, method, url)


def test_console_refusals_are_audited_and_styled_in_chinese(objects, login):
    client = login(VIEWER)
    url = reverse("console:decoys", args=[objects["slug"]])
    response = client.get(url)

    assert response.status_code == 403
    page = response.content.decode()
    assert "拒绝访问" in page and "审计日志" in page and "Forbidden" not in page
    event = AuditEvent.objects.get(action="access.denied")
    assert event.actor == "viewer" and event.detail["path"] == url
    assert event.detail["required"] == SECURITY_ANALYST and event.detail["role"] == VIEWER


def test_a_user_without_a_role_is_told_to_ask_for_one(login):
    response = login(NO_ROLE).get(reverse("console:dashboard"))

    assert response.status_code == 403
    assert "没有安全角色" in response.content.decode()


ADMIN_MODELS = sorted(model._meta.label_lower for model in admin.site._registry)


@pytest.mark.parametrize("label", ADMIN_MODELS)
def test_admin_list_opens_for_its_roles_and_refuses_the_rest(label, login):
    app, model = label.split(".")
    url = reverse(f"admin:{app}_{model}_changelist")
    minimum = SECURITY_ADMIN if app in ADMIN_ONLY_APPS else SECURITY_ANALYST
    for user in USERS:
        client = login(user)
        response = client.get(url)
        if may_open(user, minimum):
            assert response.status_code == 200, (user, url)
        elif user == ANONYMOUS:
            assert response.status_code == 302 and "/admin/login/" in response["Location"]
        else:
            assert response.status_code == 403, (user, url)
