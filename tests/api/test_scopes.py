"""Every resource × every scope, refusals included: one table, one row per call."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from canary.alerts.models import Channel, Incident, Team
from canary.audit.models import AuditEvent

SLUG = "test-depots"
NETWORK_CSV = "code,name,kind,parent_code,province,city\nD-API-1,接口测试网点,depot,,上海市,上海市\n"


def incident_url(campaign) -> str:
    node = campaign.targets.order_by("code").first()
    incident = Incident.objects.create(
        campaign=campaign, node=node, title="疑似泄露", last_activity_at=campaign.created_at
    )
    return f"/api/v1/incidents/{incident.pk}/"


READS = [
    # path, {scope: expected status}; no token is always 401
    ("/api/v1/nodes/", {"viewer": 200, "analyst": 200, "admin": 200}),
    ("/api/v1/nodes/D-SH-PD/", {"viewer": 200, "analyst": 200, "admin": 200}),
    ("/api/v1/campaigns/", {"viewer": 200, "analyst": 200, "admin": 200}),
    (f"/api/v1/campaigns/{SLUG}/", {"viewer": 200, "analyst": 200, "admin": 200}),
    (f"/api/v1/campaigns/{SLUG}/plan/", {"viewer": 200, "analyst": 200, "admin": 200}),
    (f"/api/v1/campaigns/{SLUG}/history/", {"viewer": 200, "analyst": 200, "admin": 200}),
    (f"/api/v1/campaigns/{SLUG}/orders/", {"viewer": 403, "analyst": 200, "admin": 200}),
    (f"/api/v1/decoys/?campaign={SLUG}", {"viewer": 403, "analyst": 200, "admin": 200}),
    ("/api/v1/numbers/", {"viewer": 403, "analyst": 200, "admin": 200}),
    ("/api/v1/sources/", {"viewer": 403, "analyst": 200, "admin": 200}),
    ("/api/v1/documents/", {"viewer": 403, "analyst": 200, "admin": 200}),
    ("/api/v1/sightings/", {"viewer": 403, "analyst": 200, "admin": 200}),
    ("/api/v1/contacts/", {"viewer": 403, "analyst": 200, "admin": 200}),
    ("/api/v1/signals/", {"viewer": 403, "analyst": 200, "admin": 200}),
    (f"/api/v1/attribution/{SLUG}/", {"viewer": 200, "analyst": 200, "admin": 200}),
    (f"/api/v1/attribution/{SLUG}/history/", {"viewer": 200, "analyst": 200, "admin": 200}),
    ("/api/v1/incidents/", {"viewer": 200, "analyst": 200, "admin": 200}),
    ("/api/v1/channels/", {"viewer": 403, "analyst": 403, "admin": 200}),
    ("/api/v1/rules/", {"viewer": 403, "analyst": 200, "admin": 200}),
    ("/api/schema/", {"viewer": 403, "analyst": 200, "admin": 200}),
    ("/api/docs/", {"viewer": 403, "analyst": 200, "admin": 200}),
    ("/api/redoc/", {"viewer": 403, "analyst": 200, "admin": 200}),
]


@pytest.mark.parametrize("scope", ["viewer", "analyst", "admin", None])
def test_reads(api, campaign, scope):
    """One campaign per scope (issuing one is the slow part); every read path checked in it."""
    wrong = {}
    for path, expected in READS:
        response = api(scope).get(path)
        want = expected[scope] if scope else 401
        if response.status_code != want:
            wrong[path] = (response.status_code, want, response.content[:200])
        elif want >= 400 and response["Content-Type"] == "application/json":
            assert {"code", "message", "message_en"} <= set(response.json()), path
    assert not wrong


def _writes(campaign, team, channel):
    """(method, path, payload, statuses for viewer/analyst/admin); payloads are valid, so only the
    scope decides, and the admin's 400/409 after the analyst's success shows the first call took."""
    source = {"name": "论坛", "kind": "http_page", "url": "https://example.com/f"}
    new_channel = {"team": team.pk, "name": "值班邮箱", "kind": "email", "target": "soc@example.com"}
    return [
        ("post", "/api/v1/nodes/import/", {"dry_run": "true"}, (403, 403, 200)),
        ("post", "/api/v1/numbers/", {"numbers": ["+447700900900"]}, (403, 403, 201)),
        ("post", "/api/v1/sources/", source, (403, 201, 400)),
        ("post", "/api/v1/ingest/", {"text": "无关内容 12345"}, (403, 201, 200)),
        ("post", "/api/v1/channels/", new_channel, (403, 403, 201)),
        ("post", "/api/v1/rules/", {"name": "全部", "channels": [channel.pk]}, (403, 403, 201)),
        ("patch", incident_url(campaign), {"state": "investigating"}, (403, 200, 200)),
        ("post", f"/api/v1/campaigns/{SLUG}/end/", {}, (403, 200, 409)),
    ]


def test_writes_per_scope_in_order(api, campaign):
    """Viewer, then analyst, then admin try each write; later 400/409s show the first one took."""
    team = Team.objects.create(name="安全部")
    channel = Channel.objects.create(team=team, name="值班", kind="email", target="duty@example.com")
    for method, path, payload, expected in _writes(campaign, team, channel):
        for scope in ("viewer", "analyst", "admin", None):
            body, kwargs = payload, {}
            if path.endswith("/import/"):
                body = {**payload, "file": SimpleUploadedFile("net.csv", NETWORK_CSV.encode())}
                kwargs["multipart"] = True
            response = getattr(api(scope), method)(path, body, **kwargs)
            want = dict(zip(("viewer", "analyst", "admin"), expected, strict=True)).get(scope, 401)
            assert response.status_code == want, (method, path, scope, response.content[:300])


def test_a_decoy_read_is_audited_and_a_refused_one_is_not(api, campaign):
    assert api("viewer").get(f"/api/v1/decoys/?campaign={SLUG}").status_code == 403
    assert not AuditEvent.objects.filter(action__startswith="api.decoys").exists()
    response = api("analyst").get(f"/api/v1/decoys/?campaign={SLUG}")
    assert {"waybill_no", "recipient_name", "recipient_phone", "exposures"} <= set(
        response.json()["results"][0]
    )
    event = AuditEvent.objects.get(action="api.decoys.list")
    assert event.actor == "analyst-user" and event.detail == {"campaign": SLUG}
