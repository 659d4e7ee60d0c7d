"""A pool that serves many campaigns, with numbers that fit the decoys' addresses."""

import io

import pytest
from django.core.management import CommandError, call_command

from canary.campaigns.masking import is_mainland_mobile, mask_phone
from canary.campaigns.models import Campaign, CampaignTarget, Decoy
from canary.campaigns.numbering import numbers_needed, plan_for_targets
from canary.campaigns.planner import CampaignSpec, resolve_targets
from canary.phones.models import CanaryNumber, NumberStatus
from canary.phones.pool import add_numbers


def create(spec_file, **overrides):
    out, err = io.StringIO(), io.StringIO()
    try:
        call_command("create_campaign", "--spec", str(spec_file(**overrides)), stdout=out, stderr=err)
    except CommandError:
        raise CommandError(err.getvalue()) from None
    return out.getvalue()


def test_numbers_needed_is_the_smallest_codebook_plus_a_spare():
    assert numbers_needed(1, 3) == 2
    assert numbers_needed(8, 3) == 5 + 1  # C(5,3) = 10 ≥ 8 > C(4,2) = 6
    assert numbers_needed(8, 1) == 8 + 1  # one number per decoy: one node per number
    assert numbers_needed(1140, 3) == 20 + 1  # C(20,3) = 1,140


def test_two_campaigns_share_one_20_number_pool_each_with_distinct_node_codewords(
    network, numbers, spec_file
):
    first = create(spec_file, node_kinds=["depot"])
    second = create(spec_file, slug="couriers", node_kinds=["courier"])
    for slug, out in (("test-depots", first), ("couriers", second)):
        campaign = Campaign.objects.get(slug=slug)
        targets = CampaignTarget.objects.filter(campaign=campaign)
        words = [frozenset(t.codeword) for t in targets]
        assert len(words) == len(set(words)) == targets.count() > 1
        needed = numbers_needed(len(words), 3)
        assert campaign.numbers.count() == needed
        assert f"plan needs {needed} mainland mobile numbers" in out
    assert not set(Campaign.objects.get(slug="test-depots").numbers.all()) & set(
        Campaign.objects.get(slug="couriers").numbers.all()
    )
    assert CanaryNumber.objects.filter(status=NumberStatus.AVAILABLE).count() > 0


def test_numbers_in_the_spec_override_the_minimum(network, numbers, spec_file):
    create(spec_file, numbers=12)
    assert CanaryNumber.objects.filter(status=NumberStatus.ASSIGNED).count() == 12


def test_mainland_decoys_refuse_a_pool_of_foreign_numbers_with_the_reason(network, spec_file):
    add_numbers([f"+447700900{n:03d}" for n in range(20)])
    with pytest.raises(CommandError, match=r"mainland mobile numbers.*allow_foreign_numbers"):
        create(spec_file)
    assert not Campaign.objects.exists() and not Decoy.objects.exists()


def test_foreign_numbers_are_printed_only_when_the_spec_allows_them(network, spec_file):
    add_numbers([f"+447700900{n:03d}" for n in range(20)])
    create(spec_file, allow_foreign_numbers=True)
    assert Decoy.objects.filter(recipient_phone__startswith="+44").exists()


def test_mainland_decoys_take_only_the_mainland_mobiles_of_a_mixed_pool(network, numbers, spec_file):
    add_numbers([f"+447700900{n:03d}" for n in range(20)])
    create(spec_file, numbers=15)
    phones = set(Decoy.objects.values_list("recipient_phone", flat=True))
    assert phones and all(is_mainland_mobile(p) for p in phones)
    assert all(len(mask_phone(p)) == 11 and mask_phone(p)[3:7] == "****" for p in phones)


def test_allow_foreign_numbers_must_be_a_boolean(network, numbers, spec_file):
    with pytest.raises(CommandError, match="allow_foreign_numbers must be true or false"):
        create(spec_file, allow_foreign_numbers="yes")


def test_the_wizard_can_ask_how_many_numbers_a_spec_needs_and_how_many_are_free(
    network, numbers, campaign_spec
):
    add_numbers(["+447700900001"])
    spec = CampaignSpec.from_dict(campaign_spec)
    plan = plan_for_targets(spec, resolve_targets(spec))
    depots = sum(1 for n in network.values() if n.kind == "depot")
    assert (plan.needed, plan.free, plan.usable) == (numbers_needed(depots, 3), 21, 20)
    assert plan.mainland_only and plan.enough and plan.problem() is None
