"""No English in the Chinese console: spec errors and status-history reasons are translated,
while commands and the API keep the English text."""

from __future__ import annotations

import pytest
from django.utils import translation

from canary.campaigns.messages import Message, translated
from canary.campaigns.models import Campaign, CampaignStatus
from canary.campaigns.planner import CampaignSpec, SpecError, activate
from canary.phones.models import CanaryNumber
from tests.conftest import security_user
from tests.console.test_flow_pages import wizard_post

pytestmark = pytest.mark.django_db


@pytest.fixture
def analyst(client):
    client.force_login(security_user("analyst"))
    return client


def test_a_spec_error_in_the_wizard_reads_in_chinese_only(analyst, network, numbers):
    response = analyst.post("/campaigns/new/", wizard_post(node_kinds=["vendor"], region="R-SOUTH"))

    page = response.content.decode()
    assert "没有节点符合所选的类型和区域" in page
    assert "no node matches" not in page and "chosen kinds" not in page
    assert not Campaign.objects.exists()


def test_the_same_error_stays_english_for_commands_and_the_api():
    with pytest.raises(SpecError) as caught:
        CampaignSpec.from_dict({"slug": "x", "name": "x", "carrier": "sf", "strategy": "isolated"})

    assert "decoys_per_node is required" in caught.value.problems
    assert str(caught.value).startswith("decoys_per_node is required; starts_at is required")
    with translation.override("zh-hans"):
        assert translated(caught.value.problems[0]) == "缺少必填项 decoys_per_node"


def test_a_refused_activation_names_the_status_in_chinese(analyst, campaign):
    assert campaign.status == CampaignStatus.ACTIVE

    with pytest.raises(SpecError) as caught:
        activate(campaign)

    problem = caught.value.problems[0]
    assert problem == f"campaign {campaign.slug} is active, only a draft can be activated"
    with translation.override("zh-hans"):
        assert translated(problem) == f"活动 {campaign.slug} 当前状态为“进行中”，只有草稿可以激活"
    page = analyst.post(f"/campaigns/{campaign.slug}/activate/", follow=True).content.decode()
    assert "只有草稿" in page and "only a draft" not in page.lower()


def test_status_history_and_a_failed_issue_read_in_chinese(
    analyst, network, numbers, django_capture_on_commit_callbacks
):
    token = analyst.post("/campaigns/new/", wizard_post()).context["token"]
    CanaryNumber.objects.all().delete()  # the pool empties between preview and issue
    with django_capture_on_commit_callbacks(execute=True):
        analyst.post("/campaigns/new/", {"action": "issue", "token": token})

    campaign = Campaign.objects.get(slug="east-depots")
    assert campaign.status == CampaignStatus.FAILED
    assert campaign.issue_error == "no canary numbers are free: register some with add_numbers"
    page = analyst.get("/campaigns/east-depots/").content.decode()
    assert "没有空闲的金丝雀号码" in page and "待生成 16 个诱饵" in page
    assert "no canary numbers" not in page and "decoys to issue" not in page


def test_a_message_keeps_nested_values_translatable_when_stored():
    inner = Message("%(count)s decoys issued", count=3)
    outer = Message(
        "%(numbers)s canary numbers cannot give %(nodes)s nodes distinct number sets: %(why)s",
        numbers=2,
        nodes=5,
        why=inner,
    )

    assert outer == "2 canary numbers cannot give 5 nodes distinct number sets: 3 decoys issued"
    with translation.override("zh-hans"):
        assert translated(outer).endswith("已生成 3 个诱饵")


def test_a_reason_with_a_status_word_is_stored_in_english_only(campaign):
    from canary.campaigns.history import record_transition
    from canary.campaigns.planner import STATUS_WORDS

    reason = Message(
        "campaign %(slug)s is %(status)s, only a draft can be activated",
        slug="x",
        status=STATUS_WORDS["active"],
    )
    change = record_transition(campaign, CampaignStatus.ACTIVE, CampaignStatus.ACTIVE, "", [reason])

    change.refresh_from_db()
    assert (
        change.reason == "campaign x is active, only a draft can be activated" and change.reason_parts == []
    )
