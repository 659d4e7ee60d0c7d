"""Dashboard, network, campaign wizard and campaign pages, through Django's test client."""

import json
from datetime import UTC, datetime

import pytest

from canary.attribution.services import run_attribution
from canary.attribution.signals import record_signal
from canary.audit.models import AuditEvent
from canary.audit.roles import VIEWER
from canary.campaigns.models import Campaign, CampaignStatus, Decoy
from canary.network.models import Node
from canary.phones.models import CanaryNumber, NumberStatus
from tests.conftest import security_user

pytestmark = pytest.mark.django_db

LEAKER = "D-HZ-XH"
CSV = (
    "code,name,kind,parent_code,province,city\n"
    "HQ,总部,hq,,上海市,上海市\nH1,上海转运中心,hub,HQ,上海市,上海市\n"
)


@pytest.fixture
def analyst():
    return security_user("analyst", password="pw")


@pytest.fixture
def viewer():
    return security_user("viewer", role=VIEWER, password="pw")


def leak(campaign, code=LEAKER):
    for decoy in Decoy.objects.filter(campaign=campaign, target__code=code):
        record_signal(
            kind="online",
            decoy_ids=[decoy.pk],
            seen_at=datetime(2026, 11, 21, tzinfo=UTC),
            strength=1.0,
            dedupe_key=f"test:{decoy.pk}",
            origin=f"test:{decoy.pk}",
        )
    run_attribution(campaign, now=datetime(2026, 11, 22, tzinfo=UTC))


def identities(campaign):
    for name, phone, waybill in campaign.decoys.values_list(
        "recipient_name", "recipient_phone", "waybill_no"
    ):
        yield from (name, phone, waybill)


def wizard_post(**overrides):
    data = {
        "name": "华东网点测试",
        "slug": "east-depots",
        "node_kinds": ["depot"],
        "carrier": "sf",
        "strategy": "isolated",
        "decoys_per_node": "2",
        "label_template": "76x130",
        "starts_at": "2026-12-01",
        "ends_at": "2027-03-01",
        "controls": "0",
        "action": "preview",
    }
    data.update(overrides)
    return data


# --------------------------------------------------------------------------- dashboard


def test_dashboard_warns_when_no_channel_is_enabled_and_the_pool_is_empty(client, analyst, network):
    client.force_login(analyst)
    page = client.get("/").content.decode()
    assert 'data-warning="no_channel"' in page and 'data-warning="empty_pool"' in page
    assert 'data-chart="signals-per-day"' in page and 'id="signals-per-day-data"' in page


def test_dashboard_lists_campaign_health_and_the_top_suspect_for_a_viewer_without_identities(
    client, viewer, campaign
):
    leak(campaign)
    client.force_login(viewer)
    page = client.get("/").content.decode()
    assert campaign.name in page and LEAKER in page
    assert not [value for value in identities(campaign) if value in page]


# --------------------------------------------------------------------------- network


def test_network_tree_shows_every_node_with_its_suspicion(client, viewer, campaign):
    leak(campaign)
    client.force_login(viewer)
    page = client.get("/network/").content.decode()
    assert all(code in page for code in Node.objects.values_list("code", flat=True))
    assert 'class="suspicion"' in page
    assert "/network/import/" not in page  # no import or export for a viewer


def test_node_page_shows_exposures_signals_and_ranking_history(client, viewer, campaign):
    leak(campaign)
    client.force_login(viewer)
    response = client.get(f"/network/nodes/{LEAKER}/")
    page = response.content.decode()
    assert response.status_code == 200 and campaign.name in page
    assert not [value for value in identities(campaign) if value in page]


def test_network_import_previews_then_imports_only_on_confirmation(client, analyst, network):
    client.force_login(analyst)
    edited = CSV.replace("HQ,总部", "HQ,集团总部") + "D9,新网点,depot,H1,上海市,上海市\n"
    upload = {"file": ("network.csv", edited.encode("gbk"))}
    from django.core.files.uploadedfile import SimpleUploadedFile

    response = client.post("/network/import/", {"file": SimpleUploadedFile(*upload["file"])})
    page = response.content.decode()
    assert 'id="count-new">2<' in page  # H1 (not in the demo network) and D9
    assert 'id="count-changed">1<' in page
    assert not Node.objects.filter(code="D9").exists()
    digest = response.context["preview"].digest

    response = client.post("/network/import/", {"confirm": "1", "digest": digest})
    assert response.status_code == 302 and response["Location"] == "/network/"
    assert Node.objects.get(code="HQ").name == "集团总部" and Node.objects.filter(code="D9").exists()
    assert AuditEvent.objects.filter(action="network.import", user=analyst).exists()


def test_network_import_shows_row_errors_by_line_and_changes_nothing(client, analyst, network):
    from django.core.files.uploadedfile import SimpleUploadedFile

    client.force_login(analyst)
    bad = CSV + "D9,,depot,NOPE,,\n"
    page = client.post(
        "/network/import/", {"file": SimpleUploadedFile("n.csv", bad.encode())}
    ).content.decode()
    assert "第 4 行：D9：名称为空" in page and 'name="confirm"' not in page
    assert not Node.objects.filter(code="D9").exists()


def test_a_viewer_cannot_export_the_network_and_the_refusal_is_audited(client, viewer, network):
    client.force_login(viewer)
    assert client.get("/network/export.csv").status_code == 403
    assert AuditEvent.objects.filter(action="access.denied", user=viewer).exists()


# --------------------------------------------------------------------------- wizard


def test_the_plan_preview_shows_quality_and_issues_nothing(client, analyst, network, numbers):
    client.force_login(analyst)
    response = client.post("/campaigns/new/", wizard_post())
    page = response.content.decode()
    assert response.status_code == 200 and 'id="expected-top1"' in page
    assert response.context["preview"].numbers_needed <= 20
    assert not Campaign.objects.exists()
    assert not CanaryNumber.objects.exclude(status=NumberStatus.AVAILABLE).exists()


def test_a_region_limits_the_node_kinds_to_its_subtree(client, analyst, network, numbers):
    client.force_login(analyst)
    response = client.post("/campaigns/new/", wizard_post(region="R-SOUTH"))
    assert set(response.context["preview"].targets) == {"D-GZ-TH", "D-GZ-BY", "D-SZ-NS"}


def test_look_alikes_are_shown_with_a_fix_that_the_next_preview_applies(client, analyst, network, numbers):
    client.force_login(analyst)
    post = wizard_post(node_kinds=[], nodes=["C-SH-MH-01", "D-SH-MH"], strategy="route")
    page = client.post("/campaigns/new/", post).content.decode()
    assert 'id="confusable"' in page and 'value="isolated"' in page
    fixed = client.post("/campaigns/new/", {**post, "fix": "isolated"})
    assert fixed.context["preview"].report["confusable"] == []


def issue(client, captured, **overrides):
    token = client.post("/campaigns/new/", wizard_post(**overrides)).context["token"]
    with captured(execute=True):  # the issuing task is published after commit
        return client.post("/campaigns/new/", {"action": "issue", "token": token})


def test_issuing_the_previewed_plan_in_the_background_makes_a_draft_with_its_decoys(
    client, analyst, network, numbers, django_capture_on_commit_callbacks
):
    client.force_login(analyst)
    response = issue(client, django_capture_on_commit_callbacks)
    campaign = Campaign.objects.get(slug="east-depots")
    assert response.status_code == 302 and response["Location"] == "/campaigns/east-depots/"
    assert campaign.status == CampaignStatus.DRAFT and campaign.decoys.count() == 2 * 8
    assert campaign.decoys_issued == campaign.decoys_expected == 16
    history = [(h.from_status, h.to_status) for h in campaign.status_changes.all()]
    assert history == [("", "issuing"), ("issuing", "draft")]
    page = client.get("/campaigns/east-depots/").content.decode()
    assert 'id="status-history"' in page and 'id="activate"' in page


def test_the_progress_of_an_issuing_campaign_is_polled_until_it_is_done(client, analyst, network, numbers):
    client.force_login(analyst)
    token = client.post("/campaigns/new/", wizard_post()).context["token"]
    client.post("/campaigns/new/", {"action": "issue", "token": token})  # the task is not run
    page = client.get("/campaigns/east-depots/").content.decode()
    assert 'id="issue-progress"' in page and "/campaigns/east-depots/progress/" in page
    progress = client.get("/campaigns/east-depots/progress/")
    assert 'max="16"' in progress.content.decode() and "HX-Refresh" not in progress
    Campaign.objects.filter(slug="east-depots").update(status=CampaignStatus.DRAFT)
    assert client.get("/campaigns/east-depots/progress/")["HX-Refresh"] == "true"


def test_an_altered_plan_is_refused(client, analyst, network, numbers):
    client.force_login(analyst)
    token = client.post("/campaigns/new/", wizard_post()).context["token"]
    client.post("/campaigns/new/", {"action": "issue", "token": token[:-2] + "xx"})
    assert not Campaign.objects.exists()


def test_wizard_form_errors_are_in_chinese(client, analyst, network, numbers):
    client.force_login(analyst)
    page = client.post("/campaigns/new/", wizard_post(slug="Bad Slug", ends_at="2026-11-01")).content.decode()
    assert "结束时间必须晚于开始时间" in page and "小写字母" in page
    assert not Campaign.objects.exists()


# --------------------------------------------------------------------------- campaign page


@pytest.fixture
def empty_draft(network):
    return Campaign.objects.create(
        slug="empty",
        name="空活动",
        carrier="sf",
        strategy="isolated",
        decoys_per_node=1,
        starts_at=datetime(2026, 12, 1, tzinfo=UTC),
        ends_at=datetime(2027, 1, 1, tzinfo=UTC),
    )


def test_labels_of_a_campaign_without_decoys_explain_instead_of_failing(client, analyst, empty_draft):
    client.force_login(analyst)
    response = client.get("/campaigns/empty/labels.pdf")
    assert response.status_code == 302 and response["Location"] == "/campaigns/empty/"


def test_activating_a_campaign_without_decoys_is_refused_with_the_reason_and_audited(
    client, analyst, empty_draft
):
    client.force_login(analyst)
    response = client.post("/campaigns/empty/activate/", follow=True)
    empty_draft.refresh_from_db()
    assert empty_draft.status == CampaignStatus.DRAFT
    assert "no decoys" in response.content.decode() or "没有诱饵" in response.content.decode()
    assert AuditEvent.objects.filter(action="campaign.activate_refused", user=analyst).exists()


def test_activate_then_end_from_the_campaign_page(
    client, analyst, network, numbers, django_capture_on_commit_callbacks
):
    client.force_login(analyst)
    issue(client, django_capture_on_commit_callbacks)
    client.post("/campaigns/east-depots/activate/")
    assert Campaign.objects.get(slug="east-depots").status == CampaignStatus.ACTIVE
    client.post("/campaigns/east-depots/end/")
    campaign = Campaign.objects.get(slug="east-depots")
    assert campaign.status == CampaignStatus.ENDED
    assert [h.to_status for h in campaign.status_changes.all()][-2:] == ["active", "ended"]


def test_labels_for_one_node_and_orders_as_json(client, analyst, campaign):
    client.force_login(analyst)
    response = client.get(f"/campaigns/{campaign.slug}/labels.pdf", {"node": LEAKER, "privacy": "1"})
    assert response.status_code == 200 and b"".join(response.streaming_content).startswith(b"%PDF")
    orders = client.get(f"/campaigns/{campaign.slug}/orders.json")
    rows = json.loads(b"".join(orders.streaming_content))
    assert orders.status_code == 200 and len(rows) == campaign.decoys.filter(is_control=False).count()


def test_decoys_filter_by_node_and_waybill(client, analyst, campaign):
    client.force_login(analyst)
    decoy = campaign.decoys.filter(target__code=LEAKER).first()
    page = client.get(f"/campaigns/{campaign.slug}/decoys/", {"node": LEAKER}).context["page"]
    assert {d.target.code for d in page} == {LEAKER}
    page = client.get(f"/campaigns/{campaign.slug}/decoys/", {"q": decoy.waybill_no}).context["page"]
    assert [d.pk for d in page] == [decoy.pk]


def test_campaign_page_ranks_with_one_sentence_per_node_citing_waybills(client, analyst, campaign):
    leak(campaign)
    client.force_login(analyst)
    response = client.get(f"/campaigns/{campaign.slug}/", HTTP_ACCEPT_LANGUAGE="en")
    nodes = response.context["nodes"]
    assert nodes[0].node == LEAKER
    assert "is the most likely source" in nodes[0].summary
    assert "3 of the 3 decoy waybills it handled surfaced" in nodes[0].summary
    waybill = campaign.decoys.filter(target__code=LEAKER).first().waybill_no
    assert waybill in nodes[0].summary
    assert "none of the 3 decoy waybills it handled surfaced" in nodes[1].summary
    assert response.context["reading"].startswith("Most likely reading:")


def test_a_viewer_sees_the_ranking_but_no_decoy_identity(client, viewer, campaign):
    leak(campaign)
    client.force_login(viewer)
    page = client.get(f"/attribution/{campaign.slug}/").content.decode()
    assert LEAKER in page and "recompute" not in page
    assert not [value for value in identities(campaign) if value in page]
    assert client.get(f"/campaigns/{campaign.slug}/").status_code == 403
