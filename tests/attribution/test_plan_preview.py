import pytest
from django.utils import translation

from canary.attribution.plan_preview import preview_plan
from canary.campaigns.models import Campaign, Decoy, WaybillCursor
from canary.campaigns.planner import CampaignSpec, SpecError
from canary.phones.models import CanaryNumber, NumberStatus


def spec(campaign_spec, **overrides):
    return CampaignSpec.from_dict({**campaign_spec, **overrides})


def test_preview_writes_no_decoy_number_or_serial(network, numbers, campaign_spec):
    preview = preview_plan(spec(campaign_spec))
    assert preview.decoys == 3 * len(preview.targets)
    assert not Campaign.objects.exists() and not Decoy.objects.exists()
    assert not WaybillCursor.objects.exists()
    assert not CanaryNumber.objects.exclude(status=NumberStatus.AVAILABLE).exists()


def test_isolated_depots_are_told_apart(network, numbers, campaign_spec):
    preview = preview_plan(spec(campaign_spec))
    assert preview.exposures == preview.decoys
    assert preview.report["confusable"] == []
    assert preview.report["expected_top1"] > 0.8
    assert preview.numbers_free == 20 and preview.problems == []


def test_look_alike_nodes_are_reported_with_the_isolated_decoys_fix(network, numbers, campaign_spec):
    # The depot's only courier delivers every parcel routed to the depot, and every parcel for the
    # courier passes the depot: the two see exactly the same decoys.
    pair = ["C-SH-MH-01", "D-SH-MH"]
    preview = preview_plan(spec(campaign_spec, strategy="route", nodes=pair, node_kinds=[]))
    report = preview.report
    assert report["confusable"] == [pair]
    fixes = [s for s in report["suggestions"] if s["action"] == "add_isolated_decoys"]
    assert [s["node"] for s in fixes] == ["D-SH-MH"]
    assert report["expected_top1"] <= 0.5 + 1e-9
    assert report["expected_top1_after_fixes"] > report["expected_top1"]


def test_too_few_numbers_is_a_problem_before_issuing(network, numbers, campaign_spec):
    preview = preview_plan(spec(campaign_spec, node_kinds=["depot", "courier"], decoys_per_node=1, numbers=3))
    assert preview.numbers_needed == 18  # 17 for distinct sets, and a spare
    with translation.override("en"):
        assert "need at least 18 canary numbers" in preview.problems[0]


def test_unknown_nodes_are_refused_before_planning(network, numbers, campaign_spec):
    with pytest.raises(SpecError, match="unknown node code"):
        preview_plan(spec(campaign_spec, nodes=["NOPE"], node_kinds=[]))
