"""Incidents gather signals per campaign and suspected node; attribution updates them."""

from __future__ import annotations

import pytest

from canary.alerts.incidents import InvalidTransition, add_evidence, change_state, open_or_update_incident
from canary.alerts.models import Event, EventKind, EvidenceKind, Incident, IncidentState

pytestmark = pytest.mark.django_db


def _kinds():
    return list(Event.objects.order_by("id").values_list("kind", flat=True))


def test_strong_signals_of_a_campaign_gather_in_one_unattributed_incident(strong_signal):
    first = strong_signal()
    second = strong_signal()

    (incident,) = Incident.objects.all()
    assert incident.node is None and incident.state == IncidentState.NEW
    assert set(incident.signals.all()) == {first, second}
    assert _kinds() == [EventKind.INCIDENT_OPENED, EventKind.STRONG_SIGNAL, EventKind.STRONG_SIGNAL]


def test_weak_signal_is_an_info_event_without_incident(strong_signal):
    strong_signal(strength=0.3)

    assert not Incident.objects.exists()
    assert _kinds() == [EventKind.SIGNAL]


def test_attribution_adopts_the_unattributed_incident_and_records_its_snapshot(strong_signal, campaign):
    signal = strong_signal()
    node = campaign.decoys.first().target
    snapshot = {
        "ranking": [{"node": node.code, "name": node.name, "posterior": 0.91}],
        "explanation": "唯一解释",
    }

    incident = open_or_update_incident(campaign, node, 0.91, snapshot, [signal.pk])

    assert Incident.objects.count() == 1
    assert incident.node == node and incident.posterior == 0.91
    assert incident.evidence.filter(kind=EvidenceKind.SNAPSHOT, data=snapshot).exists()
    assert _kinds()[-1] == EventKind.POSTERIOR_CROSSED
    event = Event.objects.latest("id")
    assert event.alerts.count() == 0  # no rules configured: the event is still kept


def test_a_different_top_node_is_reported_as_a_change(campaign):
    first, second = list(campaign.targets.order_by("code"))[:2]
    open_or_update_incident(campaign, first, 0.8, {}, [])

    incident = open_or_update_incident(campaign, second, 0.85, {}, [])

    assert _kinds() == [EventKind.INCIDENT_OPENED, EventKind.TOP_NODE_CHANGED]
    assert Event.objects.latest("id").payload["previous_node"]["code"] == first.code
    assert incident.node == second and Incident.objects.count() == 2


def test_state_follows_the_investigation_workflow(campaign):
    incident = open_or_update_incident(campaign, None, 0.5, {}, [])

    change_state(incident, IncidentState.INVESTIGATING, actor="analyst")
    change_state(incident, IncidentState.CONFIRMED, actor="analyst", note="vendor admitted")
    change_state(incident, IncidentState.CLOSED, actor="analyst")

    assert incident.closed_at is not None
    assert list(incident.timeline.filter(kind="state").values_list("data__new", flat=True)) == [
        "investigating",
        "confirmed",
        "closed",
    ]
    with pytest.raises(InvalidTransition):
        change_state(incident, IncidentState.CONFIRMED, actor="analyst")


def test_evidence_file_is_hashed_and_added_once_per_source(campaign):
    incident = open_or_update_incident(campaign, None, 0.5, {}, [])

    one = add_evidence(incident, kind=EvidenceKind.DOCUMENT, title="dump", content=b"abc", source="doc:1")
    again = add_evidence(incident, kind=EvidenceKind.DOCUMENT, title="dump", content=b"abc", source="doc:1")

    assert one == again
    assert one.sha256 == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
