"""Attribution of a real campaign: ledger and signals from the database, snapshots, incidents."""

import re
from datetime import UTC, datetime

import numpy as np
import pytest

from canary.alerts.models import Event, EventKind, Incident
from canary.attribution.models import AttributionSnapshot
from canary.attribution.services import build_ledger, collect_signals, compute, run_attribution
from canary.attribution.signals import record_signal
from canary.campaigns.models import Decoy, Exposure
from canary.campaigns.planner import CampaignSpec, create_campaign

pytestmark = pytest.mark.django_db

LEAKER = "D-HZ-XH"
# The fixture campaign issues its decoys between 1 and 8 November 2026.
AFTER_ISSUE = datetime(2026, 11, 15, 10, 0, tzinfo=UTC)
BEFORE_ISSUE = datetime(2026, 10, 20, 10, 0, tzinfo=UTC)
NOW = datetime(2026, 12, 1, tzinfo=UTC)


def decoys_of(campaign, code):
    return list(Decoy.objects.filter(campaign=campaign, target__code=code).order_by("id"))


def surface(decoys, seen_at=AFTER_ISSUE, origin="phones.contact", **extra):
    """Each decoy found by its waybill number: one strong signal per decoy."""
    for decoy in decoys:
        record_signal(
            kind=extra.pop("kind", "online"),
            decoy_ids=[decoy.pk],
            seen_at=seen_at,
            strength=1.0,
            dedupe_key=f"{origin}:{decoy.pk}:{seen_at.timestamp()}",
            origin=f"{origin}:{decoy.pk}",
            **extra,
        )


def test_ledger_of_an_isolated_campaign_shows_each_decoy_to_its_target_only(campaign):
    ledger = build_ledger(campaign)

    assert ledger.n_nodes == 8 and ledger.n_decoys == 24
    for decoy in Decoy.objects.filter(campaign=campaign):
        (index,) = ledger.decoy_indexes([decoy.pk])
        holders, _times = ledger.holders(int(index))
        assert [ledger.node_codes[j] for j in holders] == [decoy.target.code]


def test_ledger_of_a_route_campaign_holds_every_hop_and_the_never_exposed_controls(
    network, numbers, campaign_spec
):
    spec = {**campaign_spec, "slug": "route", "strategy": "route", "controls": 2}
    campaign = create_campaign(CampaignSpec.from_dict(spec)).campaign

    ledger = build_ledger(campaign)

    # A node that saw a decoy through two channels holds it once, from the earlier sighting.
    pairs = Exposure.objects.filter(decoy__campaign=campaign).values_list("node_id", "decoy_id").distinct()
    assert ledger.n_exposures == pairs.count()
    assert ledger.n_nodes > 8  # couriers, hubs and merchants on the routes are suspects too
    controls = ledger.control.nonzero()[0]
    assert len(controls) == 2 and (ledger.holder_counts()[controls] == 0).all()
    decoy = Decoy.objects.filter(campaign=campaign, is_control=False).first()
    holders, _ = ledger.holders(int(ledger.decoy_indexes([decoy.pk])[0]))
    assert decoy.target.code in {ledger.node_codes[j] for j in holders}


def test_signals_are_read_with_their_candidate_decoys_strength_and_leak_channel_hint(campaign):
    shared = Decoy.objects.filter(campaign=campaign).first().number
    sharing = list(Decoy.objects.filter(campaign=campaign, number=shared).values_list("pk", flat=True))
    assert len(sharing) > 1
    record_signal(
        kind="call",
        decoy_ids=sharing,
        seen_at=AFTER_ISSUE,
        strength=0.6,
        dedupe_key="call:1",
        origin="phones.contact:1",
    )
    single = decoys_of(campaign, LEAKER)[0]
    Decoy.objects.filter(pk=single.pk).update(label_printed="privacy")
    record_signal(
        kind="online",
        decoy_ids=[single.pk],
        seen_at=AFTER_ISSUE,
        strength=1.0,
        dedupe_key="online:1",
        origin="sightings.document:1",
        full_phone=True,
    )

    signals = sorted(collect_signals(campaign).values(), key=lambda s: len(s.decoys))

    assert [s.decoys for s in signals] == [(single.pk,), tuple(sorted(sharing))]
    assert [s.kind for s in signals] == ["online", "call"]
    assert [s.strength for s in signals] == [1.0, 0.6]
    assert [s.full_phone for s in signals] == [True, False]
    assert signals[0].first_seen == AFTER_ISSUE.timestamp()
    ledger = build_ledger(campaign)
    assert ledger.privacy_label[ledger.decoy_indexes([single.pk])].all()
    assert ledger.privacy_label.sum() == 1


def test_self_test_heartbeats_are_no_evidence(campaign):
    decoy = decoys_of(campaign, LEAKER)[0]
    record_signal(
        kind="tracking",
        decoy_ids=[decoy.pk],
        seen_at=AFTER_ISSUE,
        strength=0.0,
        dedupe_key="selftest:1:1",
        origin="alerts.selftest:1",
    )

    assert collect_signals(campaign) == {}
    assert compute(campaign, now=NOW).report["signals"] == 0


def test_the_depot_whose_decoys_surfaced_is_the_top_suspect(campaign):
    surface(decoys_of(campaign, LEAKER))

    report = compute(campaign, now=NOW).report

    top = report["nodes"][0]
    assert top["node"] == LEAKER and top["rank"] == 1 and top["posterior"] > 0.5
    assert top["name"] == "杭州西湖网点"
    assert sorted(top["supporting_waybills"]) == sorted(d.waybill_no for d in decoys_of(campaign, LEAKER))
    chinese, english = top["explanations"]["zh-hans"], top["explanations"]["en"]
    assert chinese["summary"].startswith("D-HZ-XH（网点）最可能是泄露源")
    assert english["summary"].startswith("D-HZ-XH (depot) is the most likely source")
    assert all(w in english["summary"] for w in top["supporting_waybills"])
    # Waybill numbers, never internal decoy ids: once the waybills and the probability are taken
    # out, the only numbers left are the counts ("3 of the 3 decoy waybills it handled").
    rest = re.sub(r"probability [0-9.]+", "", english["summary"])
    for waybill in top["supporting_waybills"]:
        rest = rest.replace(waybill, "")
    assert re.findall(r"\d+", rest) == [str(len(top["supporting_decoys"]))] * 2
    assert english["details"] and chinese["details"]
    # Viewers may not see decoy identities: the redacted texts give counts only.
    redacted = english["summary_redacted"] + " ".join(english["details_redacted"])
    assert not any(w in redacted for w in top["supporting_waybills"])
    assert report["verdicts"]["en"].startswith("Most likely reading: D-HZ-XH (depot) leaks")
    assert report["signals"] == 3


def test_a_decoy_that_surfaced_before_the_node_saw_it_clears_that_node(campaign):
    surface(decoys_of(campaign, LEAKER), seen_at=BEFORE_ISSUE)

    report = compute(campaign, now=NOW).report

    row = next(r for r in report["nodes"] if r["node"] == LEAKER)
    assert row["supporting_decoys"] == []
    assert sorted(row["cleared_by_time"]) == [d.pk for d in decoys_of(campaign, LEAKER)]
    assert row["posterior"] < 0.05


def test_running_attribution_stores_a_snapshot_with_the_top_node(campaign):
    surface(decoys_of(campaign, LEAKER))

    run_attribution(campaign, now=NOW)

    snapshot = AttributionSnapshot.objects.get(campaign=campaign)
    assert snapshot.top_node.code == LEAKER
    assert snapshot.signals_count == 3
    assert snapshot.top_posterior == snapshot.result["nodes"][0]["posterior"]
    assert np.isclose(snapshot.noise_only, snapshot.result["noise_only"])


def test_an_incident_opens_when_the_top_posterior_crosses_the_threshold(campaign, settings):
    settings.ATTRIBUTION_INCIDENT_THRESHOLD = 0.8
    surface(decoys_of(campaign, LEAKER))

    run_attribution(campaign, now=NOW)

    incident = Incident.objects.get(campaign=campaign)
    assert incident.node.code == LEAKER and incident.posterior > 0.8
    assert incident.snapshot["ranking"][0]["node"] == LEAKER
    assert incident.snapshot["ranking"][0]["name"] == "杭州西湖网点"
    assert LEAKER in incident.snapshot["explanation"]
    assert incident.signals.count() == 3


def test_a_recompute_with_nothing_new_raises_no_second_alert(campaign, settings):
    settings.ATTRIBUTION_INCIDENT_THRESHOLD = 0.8
    surface(decoys_of(campaign, LEAKER))
    run_attribution(campaign, now=NOW)
    events = Event.objects.filter(campaign=campaign).count()

    run_attribution(campaign, now=NOW)

    assert Event.objects.filter(campaign=campaign).count() == events
    assert AttributionSnapshot.objects.filter(campaign=campaign).count() == 2


def test_no_incident_below_the_threshold(campaign, settings):
    settings.ATTRIBUTION_INCIDENT_THRESHOLD = 0.9999999
    surface(decoys_of(campaign, LEAKER)[:1])

    run_attribution(campaign, now=NOW)

    assert not Incident.objects.filter(campaign=campaign, node__isnull=False).exists()
    assert not Event.objects.filter(kind=EventKind.INCIDENT_OPENED, campaign=campaign).exists()


def test_activation_stores_the_seeding_plan_report(campaign):
    report = campaign.plan_report

    assert 0.0 <= report["expected_top1"] <= 1.0
    assert report["confusable"] == [] and report["unseeded"] == []
    assert report["worlds"] > 0


def test_a_full_phone_marks_the_signal_only_for_decoys_printed_on_privacy_labels_alone(campaign):
    privacy, full, unprinted = decoys_of(campaign, LEAKER)[:3]
    Decoy.objects.filter(pk=privacy.pk).update(label_printed="privacy")
    Decoy.objects.filter(pk=full.pk).update(label_printed="full")

    def hint(decoy, n: int, full_phone: bool = True) -> bool:
        ((signal, _),) = record_signal(
            kind="online",
            decoy_ids=[decoy.pk],
            seen_at=AFTER_ISSUE,
            strength=1.0,
            dedupe_key=f"online:{decoy.pk}:{n}",
            origin="sightings.document:9",
            full_phone=full_phone,
        )
        return signal.full_phone_of_privacy_label

    assert [hint(privacy, 1), hint(full, 1), hint(unprinted, 1)] == [True, False, False]
    assert hint(privacy, 2, full_phone=False) is False
    assert hint(privacy, 2) is True  # a repeat that carries the full number sets the hint
