"""The command-line interface: ``attribute``, ``simulate`` and the plan check printed on activation."""

import io
import json
from datetime import UTC, datetime

import pytest
from django.core.management import CommandError, call_command

from canary.attribution.models import AttributionSnapshot
from canary.attribution.signals import record_signal
from canary.audit.models import AuditEvent
from canary.campaigns.models import Decoy
from canary.campaigns.planner import CampaignSpec, create_campaign

LEAKER = "D-SZ-NS"
SEEN = datetime(2026, 11, 15, 10, 0, tzinfo=UTC)


def run(*args) -> str:
    out = io.StringIO()
    call_command(*args, stdout=out)
    return out.getvalue()


@pytest.fixture
def leaked(campaign):
    """The decoys of one depot found online by their waybill numbers."""
    for decoy in Decoy.objects.filter(campaign=campaign, target__code=LEAKER):
        record_signal(
            kind="online",
            decoy_ids=[decoy.pk],
            seen_at=SEEN,
            strength=1.0,
            dedupe_key=f"online:{decoy.pk}",
            origin=f"sightings.document:{decoy.pk}",
        )
    return campaign


@pytest.mark.django_db
def test_attribute_json_ranks_the_leaking_depot_first_with_the_documented_keys(leaked):
    data = json.loads(run("attribute", leaked.slug, "--json"))

    assert {"nodes", "baseline", "signals", "noise_only"} <= set(data)
    assert data["signals"] == 3
    top = data["nodes"][0]
    assert {"node", "posterior", "rank", "supporting_decoys", "explanation"} <= set(top)
    assert top["node"] == LEAKER and top["rank"] == 1 and top["posterior"] > 0.5
    assert len(top["supporting_decoys"]) == 3
    assert [row["rank"] for row in data["nodes"]] == list(range(1, len(data["nodes"]) + 1))
    assert data["baseline"][LEAKER] > 0
    assert 0.0 <= data["noise_only"] < 0.5


@pytest.mark.django_db
def test_attribute_explains_in_english_on_request(leaked):
    data = json.loads(run("attribute", leaked.slug, "--json", "--lang", "en"))

    assert data["verdict"].startswith(f"Most likely reading: {LEAKER} (depot) leaks")
    assert data["nodes"][0]["explanation"].startswith(f"{LEAKER} (depot) is the most likely source")
    waybills = Decoy.objects.filter(campaign=leaked, target__code=LEAKER).values_list("waybill_no", flat=True)
    assert all(w in data["nodes"][0]["explanation"] for w in waybills)


@pytest.mark.django_db
def test_attribute_says_noise_first_when_noise_is_the_likeliest_reading(campaign):
    decoy = Decoy.objects.filter(campaign=campaign, target__code=LEAKER).first()
    record_signal(
        kind="sms", decoy_ids=[decoy.pk], seen_at=SEEN, strength=1.0, dedupe_key="sms:1", origin="phones:1"
    )

    lines = run("attribute", campaign.slug, "--lang", "en").splitlines()

    assert lines[1].startswith("Most likely reading: noise only")
    assert f"The evidence points at: {LEAKER} (depot)" in lines[1]
    assert lines[4].split()[:2] == ["1*", LEAKER]


@pytest.mark.django_db
def test_attribute_prints_a_table_and_is_audited_without_storing_a_snapshot(leaked):
    text = run("attribute", leaked.slug)

    first_row = text.splitlines()[4]
    assert first_row.split()[:2] == ["1*", LEAKER]
    assert "█" in first_row
    assert AuditEvent.objects.filter(action="attribution.run").exists()
    assert not AttributionSnapshot.objects.exists()


@pytest.mark.django_db
def test_attribute_save_stores_a_snapshot(leaked):
    run("attribute", leaked.slug, "--save", "--json")

    assert AttributionSnapshot.objects.get().top_node.code == LEAKER


@pytest.mark.django_db
def test_attribute_of_an_unknown_campaign_is_a_clear_error():
    with pytest.raises(CommandError, match="no campaign with slug 'nope'"):
        run("attribute", "nope")


def test_simulate_compares_ours_pgm_and_the_oracle():
    text = run("simulate", "--depots", "10", "--decoys", "4", "--worlds", "3")

    assert "ours" in text and "PGM baseline" in text and "Bayes oracle" in text


def test_simulate_json_reports_every_decoder_on_the_same_worlds():
    data = json.loads(run("simulate", "--depots", "10", "--worlds", "3", "--colluders", "2", "--json"))

    assert set(data["decoders"]) == {"ours", "pgm", "oracle"}
    assert data["worlds"] == 3 and data["scenario"]["colluders"] == 2
    assert 0.0 <= data["decoders"]["ours"]["top1"] <= 1.0


def test_simulate_refuses_a_rate_outside_zero_to_one():
    with pytest.raises(CommandError, match="--q"):
        run("simulate", "--q", "1.5")


@pytest.mark.django_db
def test_activating_a_campaign_prints_the_seeding_plan_check(network, numbers, campaign_spec):
    create_campaign(CampaignSpec.from_dict(campaign_spec))

    text = run("activate_campaign", campaign_spec["slug"], "--lang", "en")

    assert "is active" in text
    assert "seeding-plan check: expected top-1 accuracy" in text
