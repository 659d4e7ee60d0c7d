"""What scripts do most: campaigns from spec to end, dumps in, rankings and incidents out."""

from __future__ import annotations

import json

from django.core.files.uploadedfile import SimpleUploadedFile

from canary.alerts.models import Incident
from canary.campaigns.models import Decoy
from canary.network.models import Node
from canary.sightings.models import Source


def test_a_small_campaign_is_created_201_activated_planned_and_ended(api, network, numbers, campaign_spec):
    analyst = api("analyst")
    created = analyst.post("/api/v1/campaigns/", campaign_spec)
    assert created.status_code == 201, created.content
    assert created.json()["status"] == "draft" and created.json()["decoy_count"] > 0

    assert analyst.post("/api/v1/campaigns/test-depots/activate/").status_code == 200
    again = analyst.post("/api/v1/campaigns/test-depots/activate/")
    assert again.status_code == 409 and again.json()["code"] == "conflict"
    plan = analyst.get("/api/v1/campaigns/test-depots/plan/").json()
    assert plan["checked"] and 0 <= plan["expected_top1"] <= 1 and isinstance(plan["confusable"], list)

    assert analyst.post("/api/v1/campaigns/test-depots/end/").json()["status"] == "ended"
    history = analyst.get("/api/v1/campaigns/test-depots/history/").json()
    assert [(h["from_status"], h["to_status"]) for h in history] == [
        ("", "draft"), ("draft", "active"), ("active", "ended")
    ]  # fmt: skip
    assert history[1]["actor"] == "analyst-user"


def test_a_large_campaign_is_accepted_202_and_issued_in_the_background(
    api, network, numbers, campaign_spec, settings, django_capture_on_commit_callbacks
):
    settings.CAMPAIGN_ISSUE_IN_REQUEST_MAX = 1
    with django_capture_on_commit_callbacks(execute=True):
        accepted = api("analyst").post("/api/v1/campaigns/", campaign_spec)
    assert accepted.status_code == 202
    assert accepted.json()["status"] == "issuing" and accepted.json()["decoy_count"] == 0
    detail = api("viewer").get("/api/v1/campaigns/test-depots/").json()
    assert detail["status"] == "draft" and detail["decoy_count"] == detail["decoys_expected"] > 1


def test_a_bad_spec_names_every_problem(api, network, numbers, campaign_spec):
    response = api("analyst").post(
        "/api/v1/campaigns/", {**campaign_spec, "carrier": "dhl", "decoys_per_node": 0}
    )
    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "invalid" and len(body["errors"]["spec"]) == 2


def test_a_viewer_gets_the_ranking_without_decoy_identities(api, campaign):
    analyst = api("analyst").get("/api/v1/attribution/test-depots/").json()
    viewer = api("viewer").get("/api/v1/attribution/test-depots/").json()
    assert {"nodes", "noise_only", "signals"} <= set(viewer)
    assert [(n["node"], n["rank"], n["posterior"]) for n in viewer["nodes"]] == [
        (n["node"], n["rank"], n["posterior"]) for n in analyst["nodes"]
    ]
    assert "supporting_decoys" in json.dumps(analyst) or not analyst["nodes"]
    assert all(row["explanation"] for row in viewer["nodes"])  # counts, in words
    keys = {key for row in viewer["nodes"] for key in row}
    assert not [key for key in keys if "decoy" in key or "waybill" in key]
    text = json.dumps(viewer, ensure_ascii=False)
    for decoy in Decoy.objects.filter(campaign=campaign)[:20]:
        assert decoy.waybill_no not in text and decoy.recipient_name not in text


def test_open_incidents_are_listed_and_their_state_patched_with_a_note(api, campaign):
    node = campaign.targets.order_by("code").first()
    incident = Incident.objects.create(
        campaign=campaign, node=node, title="疑似泄露", last_activity_at=campaign.created_at
    )
    Incident.objects.create(
        campaign=campaign, node=node, title="旧的", state="closed", last_activity_at=campaign.created_at
    )
    listed = api("viewer").get("/api/v1/incidents/?open=true").json()
    assert [i["id"] for i in listed["results"]] == [incident.pk]

    patched = api("analyst").patch(
        f"/api/v1/incidents/{incident.pk}/", {"state": "investigating", "note": "查监控"}
    )
    assert patched.status_code == 200 and patched.json()["state"] == "investigating"
    timeline = api("viewer").get(f"/api/v1/incidents/{incident.pk}/timeline/").json()
    assert any(e["kind"] == "state" and e["text"] == "查监控" for e in timeline)
    bad = api("analyst").patch(f"/api/v1/incidents/{incident.pk}/", {"state": "closed"})
    assert bad.status_code == 409 and bad.json()["message_en"]
    notes = api("analyst").post(f"/api/v1/incidents/{incident.pk}/notes/", {"text": "已报警"})
    assert notes.status_code == 201 and notes.json()[-1]["text"] == "已报警"


def test_a_dump_is_pushed_with_its_source_and_seen_at(api, campaign, django_capture_on_commit_callbacks):
    Source.objects.create(name="群聊", kind="upload")
    decoy = Decoy.objects.filter(campaign=campaign).first()
    dump = SimpleUploadedFile("dump.csv", f"单号\n{decoy.waybill_no}\n".encode(), "text/csv")
    with django_capture_on_commit_callbacks(execute=True):
        response = api("analyst").post(
            "/api/v1/documents/",
            {"file": dump, "seen_at": "2026-11-20T08:00:00+08:00", "source": "群聊"},
            multipart=True,
        )
    assert response.status_code == 201, response.content
    document = api("analyst").get(f"/api/v1/documents/{response.json()['id']}/").json()
    assert document["source"] == "群聊" and document["status"] == "done" and document["sightings"] == 1


def test_ingest_is_idempotent_by_content_hash(api, campaign):
    first = api("analyst").post(
        "/api/v1/ingest/", {"text": "收 张三 13800000000", "name": "https://paste.example/1"}
    )
    second = api("analyst").post(
        "/api/v1/ingest/", {"text": "收 张三 13800000000", "name": "https://paste.example/2"}
    )
    assert (first.status_code, second.status_code) == (201, 200)
    assert first.json()["id"] == second.json()["id"]
    neither = api("analyst").post("/api/v1/ingest/", {})
    assert neither.status_code == 400 and neither.json()["code"] == "invalid"


def test_nodes_are_paged_by_cursor_and_filtered(api, network):
    first = api("viewer").get("/api/v1/nodes/?page_size=3").json()
    second = api("viewer").get(first["next"]).json()
    assert set(first) == {"next", "previous", "results"} and first["previous"] is None
    by_code = Node.objects.order_by("code").values_list("code", flat=True)
    assert [n["code"] for n in first["results"] + second["results"]] == list(by_code[:6])
    depots = api("viewer").get("/api/v1/nodes/?kind=depot&page_size=500").json()["results"]
    assert depots and {n["kind"] for n in depots} == {"depot"}


def test_a_network_import_preview_stores_nothing(api, network):
    csv = "code,name,kind,parent_code,province,city\nD-NEW,新网点,depot,,上海市,上海市\n".encode()
    preview = api("admin").post(
        "/api/v1/nodes/import/", {"file": SimpleUploadedFile("n.csv", csv), "dry_run": "true"}, multipart=True
    )
    assert preview.json() == {
        "dry_run": True,
        "encoding": preview.json()["encoding"],
        "created": 1,
        "updated": 0,
        "unchanged": 0,
    }
    assert api("admin").get("/api/v1/nodes/D-NEW/").status_code == 404


def test_the_old_api_path_is_an_alias_of_v1(api, campaign):
    assert (
        api("analyst").get("/api/decoys/").json()["results"]
        == api("analyst").get("/api/v1/decoys/").json()["results"]
        != []
    )
