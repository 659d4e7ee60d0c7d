"""What leaves the building: the security registry, order files and labels.

Order files and labels go to depots and order systems, so they carry nothing that tells a
decoy from a real shipment (no campaign, no target, no flag). The registry is security-only.

A campaign may hold a million decoys: every export reads them in chunks
(``QuerySet.iterator``) and hands its text on in pieces of a few hundred rows, so neither a
command nor a download ever holds all of them.
"""

from __future__ import annotations

import csv
import io
import itertools
import json
import tempfile
from collections.abc import Iterable, Iterator
from typing import BinaryIO, TextIO

from django.conf import settings
from django.db.models import QuerySet
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


# Rows per piece of text handed to a file or a streaming response.
ROWS_PER_PIECE = 500


def _decoys(campaign: Campaign):
    return campaign.decoys.order_by("id")


def _iso(value) -> str | None:
    return timezone.localtime(value).isoformat() if value else None


_REGISTRY_FIELDS = (
    "id",
    "waybill_no",
    "carrier",
    "target__code",
    "is_control",
    "recipient_name",
    "recipient_phone",
    "province",
    "city",
    "recipient_address",
    "address_token",
    "item_description",
    "item_category",
    "shipped_at",
)
_REGISTRY_CHUNK = 2000


def registry_rows(campaign: Campaign) -> Iterator[dict]:
    """One object per decoy with everything security needs to recognise it again.

    Read as plain values, a chunk of decoys and then their exposures in one query: about ten
    exposures a decoy made model instances the registry's main cost."""
    decoys = _decoys(campaign).values_list(*_REGISTRY_FIELDS).iterator(chunk_size=_REGISTRY_CHUNK)
    while chunk := list(itertools.islice(decoys, _REGISTRY_CHUNK)):
        exposures = _exposures_of([row[0] for row in chunk])
        for (
            decoy_id, waybill_no, carrier, target, control, name, phone, province, city, address,
            token, item, category, shipped_at,
        ) in chunk:  # fmt: skip
            yield {
                "waybill_no": waybill_no,
                "carrier": carrier,
                "campaign": campaign.slug,
                "target": target,
                "control": control,
                "recipient_name": name,
                "recipient_name_masked": mask_name(name),
                "recipient_phone": phone,
                "recipient_phone_masked": mask_phone(phone),
                "recipient_province": province,
                "recipient_city": city,
                "recipient_address": address,
                "address_token": token,
                "item": item,
                "item_category": category,
                "shipped_at": _iso(shipped_at),
                "exposures": exposures.get(decoy_id, []),
            }


def _exposures_of(decoy_ids: list[int]) -> dict[int, list[dict]]:
    """Each decoy's exposures in the order nodes could first see it (ties in the order written)."""
    found: dict[int, list[dict]] = {}
    rows = (
        Exposure.objects.filter(decoy_id__in=decoy_ids)
        .order_by("visible_from", "id")
        .values_list("decoy_id", "node__code", "channel", "visible_from", "visible_until")
    )
    for decoy_id, node, channel, since, until in rows:
        found.setdefault(decoy_id, []).append(
            {"node": node, "channel": channel, "visible_from": _iso(since), "visible_until": _iso(until)}
        )
    return found


def registry_text(campaign: Campaign) -> Iterator[str]:
    """The registry as JSON lines, in pieces of ``ROWS_PER_PIECE`` decoys."""
    lines = (json.dumps(row, ensure_ascii=False) + "\n" for row in registry_rows(campaign))
    return _pieces(lines)


def write_registry_jsonl(campaign: Campaign, out: TextIO) -> int:
    count = 0
    for piece in registry_text(campaign):
        out.write(piece)
        count += piece.count("\n")  # json.dumps escapes newlines inside values
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


def count_orders(campaign: Campaign) -> int:
    """How many rows the order file has (controls are never in it)."""
    return _decoys(campaign).filter(is_control=False).count()


def order_text(campaign: Campaign, fmt: str = "csv") -> Iterator[str]:
    """The order file (``csv`` or ``json``) in pieces, for a file or a streaming response.

    Raises ``ValueError`` at once for another format."""
    if fmt == "csv":
        return _csv_pieces(order_rows(campaign))
    if fmt == "json":
        return _pieces(_json_parts(order_rows(campaign)))
    raise ValueError(f"unknown order format {fmt!r}; csv or json")


def write_orders(campaign: Campaign, out: TextIO, fmt: str = "csv") -> int:
    """Write the order file to ``out``; returns how many orders it has."""
    pieces = order_text(campaign, fmt)
    count = count_orders(campaign)
    for piece in pieces:
        out.write(piece)
    return count


def _pieces(lines: Iterable[str]) -> Iterator[str]:
    batch: list[str] = []
    for line in lines:
        batch.append(line)
        if len(batch) == ROWS_PER_PIECE:
            yield "".join(batch)
            batch = []
    if batch:
        yield "".join(batch)


def _csv_pieces(rows: Iterable[dict]) -> Iterator[str]:
    """What ``csv.DictWriter`` writes to a file (header, \\r\\n line ends), piece by piece."""
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=ORDER_FIELDS)
    writer.writeheader()
    for number, row in enumerate(rows, 1):
        writer.writerow(row)
        if number % ROWS_PER_PIECE == 0:
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue()


def _json_parts(rows: Iterable[dict]) -> Iterator[str]:
    """What ``json.dump(rows, indent=1, ensure_ascii=False)`` writes, one row at a time."""
    first = True
    for row in rows:
        text = json.dumps(row, ensure_ascii=False, indent=1).replace("\n", "\n ")
        yield ("[\n " if first else ",\n ") + text
        first = False
    yield "[]" if first else "\n]"


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


def labels_pdf_file(
    campaign: Campaign, *, privacy: bool = False, node_code: str | None = None
) -> tuple[BinaryIO, int]:
    """The label PDF in a temporary file (deleted once closed), rewound, and its page count:
    a download sends it from disk in blocks instead of holding it in the web process's memory."""
    pdf = tempfile.TemporaryFile()  # noqa: SIM115 - the caller's response closes it
    try:
        pages = write_labels(campaign, pdf, privacy=privacy, node_code=node_code)
    except BaseException:
        pdf.close()
        raise
    pdf.seek(0)
    return pdf, pages


def note_labels_printed(decoys: QuerySet, privacy: bool) -> None:
    """Remember how the decoys were printed: attribution reads a full phone of a decoy printed
    only as privacy labels as a leak from a system, not from a label. Once a full label is out,
    the decoy stays ``full``."""
    if privacy:
        decoys.filter(label_printed=LabelPrint.NOT_PRINTED).update(label_printed=LabelPrint.PRIVACY)
    else:
        decoys.exclude(label_printed=LabelPrint.FULL).update(label_printed=LabelPrint.FULL)
