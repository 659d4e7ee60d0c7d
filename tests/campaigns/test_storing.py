"""Storing issued decoys: PostgreSQL's COPY and the portable bulk_create write the same rows."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from canary.campaigns import storing
from canary.campaigns.decoy_rows import DECOY_FIELDS, MadeDecoy
from canary.campaigns.models import Campaign, Decoy, Exposure, WaybillCursor
from canary.campaigns.planner import CampaignSpec, issue_decoys, resolve_targets, store_campaign
from canary.campaigns.routing import Hop
from canary.campaigns.serials import reserved_block
from canary.campaigns.waybills import Carrier

needs_postgresql = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="COPY is PostgreSQL's; elsewhere bulk_create is the only path"
)

ROUTE_SPEC = {
    "slug": "storing",
    "name": "存储",
    "carrier": "sf",
    "node_kinds": ["depot", "courier", "merchant", "hub", "vendor", "partner"],
    "decoys_per_node": 2,
    "strategy": "route",
    "starts_at": "2026-11-01T09:00:00+08:00",
    "ends_at": "2027-02-01T00:00:00+08:00",
    "controls": 3,
    "seed": 11,
}


def issued_rows(writer: storing.Writer) -> tuple[list[tuple], list[tuple], list[str]]:
    """Issue ROUTE_SPEC with ``writer`` and return its rows, then roll everything back (the
    waybill block's cursor too), so the next writer issues the very same campaign."""
    spec = CampaignSpec.from_dict(ROUTE_SPEC)
    fields = [f for f in DECOY_FIELDS if f != "campaign_id"] + ["label_printed"]
    with transaction.atomic():
        campaign = store_campaign(spec, "test")
        summary = issue_decoys(campaign, resolve_targets(spec), spec, writer=writer)
        decoys = list(Decoy.objects.filter(campaign=campaign).order_by("waybill_no").values_list(*fields))
        exposures = list(
            Exposure.objects.filter(decoy__campaign=campaign)
            .order_by("decoy__waybill_no", "node_id", "channel")
            .values_list("decoy__waybill_no", "node_id", "channel", "visible_from", "visible_until")
        )
        in_id_order = list(
            Decoy.objects.filter(campaign=campaign).order_by("id").values_list("waybill_no", flat=True)
        )
        assert (summary.decoys, summary.exposures) == (len(decoys), len(exposures))
        transaction.set_rollback(True)
    return decoys, exposures, in_id_order


@needs_postgresql
def test_copy_and_bulk_create_store_the_same_decoys_exposures_and_order(network, numbers):
    # A block that exists before both runs: a new one starts at a random serial each time.
    first, last = reserved_block(Carrier.SF)
    WaybillCursor.objects.create(carrier="sf", first_serial=first, last_serial=last, next_serial=first + 100)
    copied = issued_rows(storing.copy_decoys)
    created = issued_rows(storing.bulk_create_decoys)
    decoys, exposures, _ = copied
    assert len(decoys) > 40 and len(exposures) > 5 * len(decoys) // 2  # route: many hops per decoy
    assert sum(1 for row in decoys if row[-2]) == 3  # the controls (is_control) are there too
    assert copied == created


@needs_postgresql
def test_copy_stores_text_with_tabs_newlines_and_backslashes_verbatim(campaign):
    awkward = "仓库\t2号\\门\n后院\r"
    values = dict(zip(DECOY_FIELDS, _any_decoy_values(campaign), strict=True), sender_address=awkward)
    with transaction.atomic():
        storing.copy_decoys([MadeDecoy(tuple(values.values()), [])], 1)
        stored = Decoy.objects.get(waybill_no=values["waybill_no"])
    assert stored.sender_address == awkward
    assert stored.weight_kg == Decimal("1.25") and stored.label_printed == "" and stored.created_at


@needs_postgresql
def test_copy_refuses_an_exposure_of_a_node_that_does_not_exist(campaign):
    values = _any_decoy_values(campaign)
    hop = Hop(node_id=10**9, channel="label", visible_from=timezone.now(), visible_until=None)
    with pytest.raises(IntegrityError), transaction.atomic():
        storing.copy_decoys([MadeDecoy(values, [hop])], 1)


def test_bulk_create_reports_progress_after_each_batch(campaign):
    seen: list[int] = []
    made = [MadeDecoy(_any_decoy_values(campaign, n), []) for n in range(5)]
    stored = storing.bulk_create_decoys(iter(made), len(made), seen.append, batch_size=2)
    assert stored == storing.Stored(5, 0)
    assert seen == [2, 4, 5]


@needs_postgresql
def test_copy_writes_batch_after_batch_and_reports_each(campaign):
    seen: list[int] = []
    node = campaign.campaign_targets.first().node_id
    made = [
        MadeDecoy(values, [Hop(node, "system", values[DECOY_FIELDS.index("shipped_at")], None)])
        for values in (_any_decoy_values(campaign, n) for n in range(5))
    ]
    stored = storing.copy_decoys(iter(made), len(made), seen.append, batch_size=2)
    assert stored == storing.Stored(5, 5)
    assert seen == [2, 4, 5]
    written = Decoy.objects.filter(waybill_no__startswith="SF9").order_by("id")
    assert [d.waybill_no for d in written] == [m.values[DECOY_FIELDS.index("waybill_no")] for m in made]
    assert Exposure.objects.filter(decoy__in=written, node_id=node).count() == 5


def _any_decoy_values(campaign: Campaign, n: int = 0) -> tuple:
    """A decoy of ``campaign`` no other decoy clashes with (unique name, number, token)."""
    like = campaign.decoys.first()
    values = {field: getattr(like, field) for field in DECOY_FIELDS}
    values.update(
        waybill_no=f"SF9{n:012d}",
        recipient_name=f"测试{n}号",
        address_token=f"测试花园{n}栋",
        weight_kg=Decimal("1.25"),
        shipped_at=like.shipped_at + timedelta(hours=n),
    )
    return tuple(values[field] for field in DECOY_FIELDS)
