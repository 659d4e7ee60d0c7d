import io
import json

import pytest
from django.core.management import CommandError, call_command
from django.utils import translation

from canary.audit.models import AuditEvent
from canary.campaigns import planner
from canary.campaigns.identities import IdentitySpaceExhausted
from canary.campaigns.masking import masked_name_key
from canary.campaigns.messages import translated
from canary.campaigns.models import Campaign, CampaignTarget, Decoy, Exposure
from canary.campaigns.waybills import Carrier, recognise
from canary.phones.models import CanaryNumber, NumberStatus


def create(spec_file, **overrides):
    out, err = io.StringIO(), io.StringIO()
    call_command("create_campaign", "--spec", str(spec_file(**overrides)), stdout=out, stderr=err)
    return out.getvalue()


def test_create_campaign_issues_decoys_per_target_node(network, numbers, spec_file):
    out = create(spec_file)
    depots = [n for n in network.values() if n.kind == "depot"]
    assert f"{3 * len(depots)} decoys for {len(depots)} target nodes" in out
    campaign = Campaign.objects.get(slug="test-depots")
    assert campaign.status == "draft"
    assert campaign.decoys.count() == 3 * len(depots)


def test_isolated_strategy_exposes_each_decoy_to_exactly_its_target(network, numbers, spec_file):
    create(spec_file)
    for decoy in Decoy.objects.prefetch_related("exposures"):
        exposures = list(decoy.exposures.all())
        assert [e.node_id for e in exposures] == [decoy.target_id]
        assert exposures[0].channel == "system"


def test_route_strategy_records_every_hop_with_increasing_times(network, numbers, spec_file):
    create(spec_file, strategy="route", node_kinds=["courier"], decoys_per_node=2)
    decoy = Decoy.objects.filter(target__kind="courier").first()
    hops = list(decoy.exposures.select_related("node").order_by("visible_from"))
    kinds = [h.node.kind for h in hops]
    assert {"merchant", "depot", "hub", "courier"} <= set(kinds)
    assert decoy.target_id in {h.node_id for h in hops}
    labels = [h for h in hops if h.channel == "label"]
    assert all(h.visible_until and h.visible_until > h.visible_from for h in labels)
    # The delivering courier is the target, and it takes the parcel last.
    assert labels[-1].node_id == decoy.target_id


def test_decoys_get_waybill_numbers_of_the_campaign_carrier(network, numbers, spec_file):
    create(spec_file, carrier="ems", slug="ems-test")
    numbers_ = Decoy.objects.values_list("waybill_no", flat=True)
    assert numbers_ and all(recognise(n) is Carrier.EMS and n.endswith("CN") for n in numbers_)


def test_every_target_node_gets_a_distinct_set_of_canary_numbers(network, numbers, spec_file):
    create(spec_file, node_kinds=["depot", "courier", "merchant"], numbers=7)
    words = [frozenset(t.codeword) for t in CampaignTarget.objects.all()]
    assert len(words) == len(set(words))
    for target in CampaignTarget.objects.all():
        used = set(Decoy.objects.filter(target=target.node).values_list("recipient_phone", flat=True))
        assert used == set(target.codeword)


def test_claimed_numbers_are_assigned_and_not_reused_by_another_campaign(network, numbers, spec_file):
    create(spec_file, numbers=12)
    assert CanaryNumber.objects.filter(status=NumberStatus.ASSIGNED).count() == 12
    with pytest.raises(CommandError):
        create(spec_file, slug="second", numbers=12)
    assert not Campaign.objects.filter(slug="second").exists()


def test_ending_a_campaign_quarantines_its_numbers(network, numbers, spec_file):
    create(spec_file, numbers=5)
    call_command("activate_campaign", "test-depots", stdout=io.StringIO())
    call_command("end_campaign", "test-depots", stdout=io.StringIO())
    quarantined = CanaryNumber.objects.filter(status=NumberStatus.QUARANTINED)
    assert quarantined.count() == 5
    assert all(n.quarantined_until is not None for n in quarantined)
    with pytest.raises(CommandError):
        create(spec_file, slug="next", numbers=16)


def test_activate_moves_draft_to_active_once(network, numbers, spec_file):
    create(spec_file)
    call_command("activate_campaign", "test-depots", stdout=io.StringIO())
    assert Campaign.objects.get(slug="test-depots").status == "active"
    with pytest.raises(CommandError, match="only a draft"):
        call_command("activate_campaign", "test-depots", stdout=io.StringIO())


def test_bad_spec_names_every_problem_and_creates_nothing(network, numbers, spec_file):
    err = io.StringIO()
    path = spec_file(carrier="dhl", decoys_per_node=0, strategy="random", ends_at="2020-01-01")
    with pytest.raises(CommandError):
        call_command("create_campaign", "--spec", str(path), stderr=err)
    text = err.getvalue()
    assert "carrier 'dhl'" in text and "decoys_per_node" in text and "strategy" in text and "ends_at" in text
    assert not Campaign.objects.exists()


def test_unknown_node_code_is_refused(network, numbers, spec_file):
    with pytest.raises(CommandError):
        create(spec_file, node_kinds=[], nodes=["D-SH-PD", "D-NOWHERE"])
    assert not Decoy.objects.exists()


def test_no_free_numbers_gives_a_clear_error(network, spec_file):
    err = io.StringIO()
    with pytest.raises(CommandError):
        call_command("create_campaign", "--spec", str(spec_file()), stderr=err)
    assert "add_numbers" in err.getvalue()


def test_names_and_address_tokens_stay_unique_across_campaigns(network, numbers, spec_file):
    create(spec_file, numbers=8)
    create(spec_file, slug="second", numbers=8, seed=7)
    names = list(Decoy.objects.values_list("recipient_name", flat=True))
    tokens = list(Decoy.objects.values_list("address_token", flat=True))
    assert len(names) == len(set(names)) and len(tokens) == len(set(tokens))
    assert all(Decoy.objects.get(recipient_name=n).name_key == masked_name_key(n) for n in names[:5])


def test_decoy_address_is_in_the_target_depots_city(network, numbers, spec_file):
    create(spec_file)
    for decoy in Decoy.objects.select_related("target"):
        assert decoy.city == decoy.target.city
        assert decoy.address_token in decoy.recipient_address


def test_export_decoys_jsonl_carries_the_contract_keys_and_is_audited(campaign):
    out = io.StringIO()
    call_command("export_decoys", campaign.slug, "--format", "jsonl", stdout=out, stderr=io.StringIO())
    rows = [json.loads(line) for line in out.getvalue().splitlines()]
    assert len(rows) == campaign.decoys.count()
    row = rows[0]
    for key in (
        "waybill_no",
        "carrier",
        "recipient_name",
        "recipient_phone",
        "recipient_address",
        "address_token",
        "item",
        "exposures",
    ):
        assert key in row
    assert row["recipient_phone"].startswith("+")
    assert set(row["exposures"][0]) == {"node", "channel", "visible_from", "visible_until"}
    assert AuditEvent.objects.filter(action="decoys.export", object_id=str(campaign.pk)).exists()


def test_order_file_carries_no_mark_of_a_decoy(campaign, tmp_path):
    for fmt in ("csv", "json"):
        path = tmp_path / f"orders.{fmt}"
        call_command(
            "export_orders", campaign.slug, "--format", fmt, "--out", str(path), stderr=io.StringIO()
        )
        text = path.read_text(encoding="utf-8-sig")
        assert campaign.decoys.first().waybill_no in text
        for tell in ("decoy", "canary", "campaign", campaign.slug, "control", "target"):
            assert tell not in text.lower()
    assert AuditEvent.objects.filter(action="orders.export").count() == 2


def test_exposure_rows_are_the_ledger(campaign):
    assert Exposure.objects.filter(decoy__campaign=campaign).count() == campaign.decoys.count()


@pytest.mark.parametrize(
    ("exhausted", "chinese"),
    [
        (IdentitySpaceExhausted.NAMES, "姓沙的全名均已发出，无法再为新收件人命名"),
        (IdentitySpaceExhausted.ADDRESSES, "已没有未用的小区、楼栋和房号可用于新的收件地址"),
    ],
)
def test_running_out_of_identities_is_said_in_the_readers_language(exhausted, chinese):
    error = IdentitySpaceExhausted("in English for logs", exhausted=exhausted, surname="沙")
    problem = planner._identities_exhausted(error)
    with translation.override("zh-hans"):
        assert translated(problem) == chinese
