"""The campaign ledger read packed from PostgreSQL, stored once and used again."""

from __future__ import annotations

import numpy as np
from django.core.files.storage import default_storage

from canary.attribution.ledger import Ledger
from canary.attribution.ledger_store import FOLDER, campaign_ledger, read_ledger
from canary.attribution.services import collect_signals
from canary.attribution.signals import record_signal
from canary.campaigns.models import CampaignTarget, Decoy, Exposure, LabelPrint
from canary.network.models import Node


def ledger_through_the_orm(campaign) -> Ledger:
    """The ledger as the service built it before (one ORM row per exposure): the reference."""
    decoys = Decoy.objects.filter(campaign=campaign).order_by("id")
    exposures = Exposure.objects.filter(decoy__campaign=campaign)
    node_ids = set(exposures.values_list("node_id", flat=True))
    node_ids.update(CampaignTarget.objects.filter(campaign=campaign).values_list("node_id", flat=True))
    nodes = list(Node.objects.filter(id__in=node_ids).order_by("code").values_list("id", "code", "kind"))
    code_of = {node_id: code for node_id, code, _kind in nodes}
    return Ledger.from_records(
        [(code, kind) for _id, code, kind in nodes],
        [
            (d, c, p == LabelPrint.PRIVACY)
            for d, c, p in decoys.values_list("id", "is_control", "label_printed")
        ],
        (
            (code_of[n], d, seen, channel)
            for n, d, seen, channel in exposures.values_list("node_id", "decoy_id", "visible_from", "channel")
        ),
    )


def same(one: Ledger, other: Ledger) -> bool:
    return (one.node_codes, one.node_kinds) == (other.node_codes, other.node_kinds) and all(
        np.array_equal(getattr(one, name), getattr(other, name)) for name in Ledger.ARRAYS
    )


def test_the_ledger_read_from_the_database_equals_the_row_by_row_one(campaign):
    Decoy.objects.filter(pk=campaign.decoys.first().pk).update(label_printed=LabelPrint.PRIVACY)
    assert same(read_ledger(campaign), ledger_through_the_orm(campaign))


def test_a_campaign_ledger_is_stored_once_and_the_stored_one_equals_the_database(campaign):
    first = campaign_ledger(campaign)
    stored = default_storage.listdir(FOLDER)[1]
    again = campaign_ledger(campaign)
    assert len(stored) == 1 and same(again, first) and same(again, ledger_through_the_orm(campaign))


def test_a_stored_ledger_sees_privacy_labels_printed_after_it_was_stored(campaign):
    campaign_ledger(campaign)
    printed = campaign.decoys.filter(is_control=False).first()
    Decoy.objects.filter(pk=printed.pk).update(label_printed=LabelPrint.PRIVACY)
    ledger = campaign_ledger(campaign)
    assert ledger.decoy_ids[ledger.privacy_label].tolist() == [printed.pk]


def test_a_stored_ledger_names_nodes_as_they_are_called_now(campaign):
    campaign_ledger(campaign)
    node = campaign.decoys.filter(is_control=False).first().target
    Node.objects.filter(pk=node.pk).update(code="RENAMED-1")
    assert "RENAMED-1" in campaign_ledger(campaign).node_codes


def test_signals_name_their_decoys_sorted(campaign):
    decoys = list(campaign.decoys.filter(is_control=False).order_by("-id")[:3])
    record_signal(
        kind="sms",
        decoy_ids=[d.pk for d in decoys],
        seen_at=campaign.starts_at,
        strength=0.9,
        dedupe_key="t:1",
        origin="test",
    )
    (signal,) = collect_signals(campaign).values()
    assert signal.decoys == tuple(sorted(d.pk for d in decoys))
