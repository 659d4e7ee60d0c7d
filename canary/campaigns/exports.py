"""What leaves the building: the security registry, order files and labels.

Order files and labels go to depots and order systems, so they carry nothing that tells a
decoy from a real shipment (no campaign, no target, no flag). The registry is security-only.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Iterator
from typing import BinaryIO, TextIO

from django.conf import settings
from django.db.models import Prefetch, QuerySet
from django.utils import timezone

from canary.network.models import Node, NodeKind

from . import labels
from .masking import mask_name, mask_phone
from .models import Campaign, Decoy, Exposure, LabelPrint
from .waybills import CARRIER_NAMES, Carrier

ORDER_FIELDS = (
    "waybill_no",
    "carrier",
    "order_time",
    "sender_name",
    "sender_phone",
    "sender_address",
    "recipient_name",
    "recipient_phone",
    "recipient_province",
    "recipient_city",
    "recipient_address",
    "item",
    "weight_kg",
    "declared_value",
    "sort_code",
)


def _decoys(campaign: Campaign):
    return campaign.decoys.order_by("id")


def _iso(value) -> str | None:
    return timezone.localtime(value).isoformat() if value else None


def registry_rows(campaign: Campaign) -> Iterator[dict]:
    """One object per decoy with everything security needs to recognise it again."""
    exposures = Exposure.objects.select_related("node").order_by("visible_from")
    queryset = _decoys(campaign).select_related("target").prefetch_related(Prefetch("exposures", exposures))
    for decoy in queryset.iterator(chunk_size=2000):
        yield {
            "waybill_no": decoy.waybill_no,
            "carrier": decoy.carrier,
            "campaign": campaign.slug,
            "target": decoy.target.code if decoy.target else None,
            "control": decoy.is_control,
            "recipient_name": decoy.recipient_name,
            "recipient_name_masked": mask_name(decoy.recipient_name),
            "recipient_phone": decoy.recipient_phone,
            "recipient_phone_masked": mask_phone(decoy.recipient_phone),
            "recipient_province": decoy.province,
            "recipient_city": decoy.city,
            "recipient_address": decoy.recipient_address,
            "address_token": decoy.address_token,
            "item": decoy.item_description,
            "item_category": decoy.item_category,
            "shipped_at": _iso(decoy.shipped_at),
            "exposures": [
                {
                    "node": e.node.code,
                    "channel": e.channel,
                    "visible_from": _iso(e.visible_from),
                    "visible_until": _iso(e.visible_until),
                }
                for e in decoy.exposures.all()
            ],
        }


def write_registry_jsonl(campaign: Campaign, out: TextIO) -> int:
    count = 0
    for row in registry_rows(campaign):
        out.write(json.dumps(row, ensure_ascii=False) + "\n")
        count += 1
    return count


def order_rows(campaign: Campaign) -> Iterator[dict]:
    """Order records shaped like any merchant's upload: nothing marks a decoy."""
    for decoy in _decoys(campaign).filter(is_control=False).iterator(chunk_size=2000):
        yield {
            "waybill_no": decoy.waybill_no,
            "carrier": decoy.carrier,
            "order_time": _iso(decoy.shipped_at),
            "sender_name": decoy.sender_name,
            "sender_phone": decoy.sender_phone,
            "sender_address": decoy.sender_address,
            "recipient_name": decoy.recipient_name,
            "recipient_phone": decoy.recipient_phone.removeprefix("+86"),
            "recipient_province": decoy.province,
            "recipient_city": decoy.city,
            "recipient_address": decoy.recipient_address,
            "item": decoy.item_description,
            "weight_kg": str(decoy.weight_kg),
            "declared_value": decoy.declared_value,
            "sort_code": decoy.sort_code,
        }


def write_orders(campaign: Campaign, out: TextIO, fmt: str = "csv") -> int:
    count = 0
    if fmt == "csv":
        writer = csv.DictWriter(out, fieldnames=ORDER_FIELDS)
        writer.writeheader()
        for row in order_rows(campaign):
            writer.writerow(row)
            count += 1
    elif fmt == "json":
        rows = list(order_rows(campaign))
        json.dump(rows, out, ensure_ascii=False, indent=1)
        count = len(rows)
    else:
        raise ValueError(f"unknown order format {fmt!r}; csv or json")
    return count


def destination_depot(node: Node | None) -> Node | None:
    """The depot a parcel for ``node`` is sorted to: the node itself, the depot above it (a
    courier's), or for a node outside the delivery tree (a vendor, a hub) a depot in its city."""
    seen = node
    while seen is not None:
        if seen.kind == NodeKind.DEPOT:
            return seen
        seen = seen.parent
    if node is None:
        return None
    depots = Node.objects.filter(kind=NodeKind.DEPOT).order_by("code")
    return depots.filter(city=node.city).first() or depots.filter(province=node.province).first()


def depot_label(depot: Node | None, sort_code: str) -> str:
    """目的网点 as labels print it: the depot's name and its part of the sort code (571-W01)."""
    if depot is None:
        return ""
    return f"{depot.name} {sort_code.split(' ')[0]}".strip()


def label_data(decoy: Decoy, depots: dict[int, Node | None] | None = None) -> labels.LabelData:
    """The label of a decoy; ``depots`` caches destination depots across a batch."""
    depots = {} if depots is None else depots
    if decoy.destination_id not in depots:
        depots[decoy.destination_id] = destination_depot(decoy.destination)
    dest = depot_label(depots[decoy.destination_id], decoy.sort_code)
    origin = decoy.origin.name if decoy.origin_id else ""
    return labels.LabelData(
        waybill_no=decoy.waybill_no,
        carrier_name=CARRIER_NAMES[Carrier(decoy.carrier)][0],
        sort_code=decoy.sort_code,
        recipient_name=decoy.recipient_name,
        recipient_phone=decoy.recipient_phone,
        recipient_address=decoy.recipient_address,
        sender_name=decoy.sender_name,
        sender_phone=decoy.sender_phone,
        sender_address=decoy.sender_address,
        item=decoy.item_description,
        weight_kg=float(decoy.weight_kg),
        printed_at=timezone.localtime(decoy.shipped_at),
        dest_depot=dest,
        origin_depot=origin,
    )


def write_labels(
    campaign: Campaign,
    out: BinaryIO,
    *,
    privacy: bool = False,
    template: str | None = None,
    node_code: str | None = None,
) -> int:
    """Label PDF for the campaign's decoys (controls are never printed), optionally one node's."""
    queryset = (
        _decoys(campaign).filter(is_control=False).select_related("origin", "destination__parent__parent")
    )
    if node_code:
        queryset = queryset.filter(target__code=node_code)
    depots: dict[int, Node | None] = {}
    items = (label_data(d, depots) for d in queryset.iterator(chunk_size=500))
    pages = labels.render_labels(
        items,
        out,
        template=template or campaign.label_template,
        privacy=privacy,
        font_path=settings.LABEL_FONT_PATH or None,
    )
    note_labels_printed(queryset, privacy)
    return pages


def note_labels_printed(decoys: QuerySet, privacy: bool) -> None:
    """Remember how the decoys were printed: attribution reads a full phone of a decoy printed
    only as privacy labels as a leak from a system, not from a label. Once a full label is out,
    the decoy stays ``full``."""
    if privacy:
        decoys.filter(label_printed=LabelPrint.NOT_PRINTED).update(label_printed=LabelPrint.PRIVACY)
    else:
        decoys.exclude(label_printed=LabelPrint.FULL).update(label_printed=LabelPrint.FULL)
