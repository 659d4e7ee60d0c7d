"""A campaign's exposure ledger from the database, built once and kept in storage.

At national scale a campaign has a million decoys and about nine million exposures. Reading them
through the ORM (a Python tuple and a datetime per row) and sorting them into the ledger takes
minutes, far beyond the two seconds an attribution may take. Two things make it fast:

* **Reading.** On PostgreSQL the rows come packed by the database into one binary value, which
  NumPy reads in place (``bulk_read``): no Python object per row. SQLite reads them through the
  ORM, as before (its campaigns are small).
* **Keeping.** A campaign's decoys and exposures are written while it is issued and never change
  afterwards, so the indexed ledger is stored once (``ledgers/`` in ``STORAGES["default"]``, NumPy
  ``.npz``, no pickle) and loaded by every later attribution, on any machine. The file name
  carries the campaign's decoy count and last decoy id, so a campaign whose decoys changed gets a
  new ledger. Two things that do change after issuing are read fresh each time: which decoys were
  printed as privacy labels, and the codes and kinds of the nodes.
"""

from __future__ import annotations

import copy
import io
import logging

import numpy as np
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db.models import Max

from canary.campaigns.models import Campaign, CampaignStatus, CampaignTarget, Decoy, Exposure, LabelPrint
from canary.campaigns.sizes import decoy_count
from canary.network.models import Node

from .bulk_read import fast_reads, packed_rows
from .ledger import CHANNELS, Ledger

log = logging.getLogger(__name__)

FOLDER = "ledgers"


def _rows_postgresql(campaign: Campaign) -> tuple[np.ndarray, np.ndarray]:
    decoys = packed_rows(
        "campaigns_decoy WHERE campaign_id = %s",
        [LabelPrint.PRIVACY, campaign.pk],
        [("id", "id", "int8"), ("control", "is_control", "bool"), ("privacy", "label_printed = %s", "bool")],
        order_by="id",
    )
    channel = " ".join(f"WHEN '{name}' THEN {i}" for i, name in enumerate(CHANNELS))
    exposures = packed_rows(
        "campaigns_exposure e JOIN campaigns_decoy d ON d.id = e.decoy_id WHERE d.campaign_id = %s",
        [campaign.pk],
        [
            ("node", "e.node_id", "int8"),
            ("decoy", "e.decoy_id", "int8"),
            ("time", "extract(epoch FROM e.visible_from)", "float8"),
            ("channel", f"CASE e.channel {channel} ELSE 0 END", "int2"),
        ],
    )
    return (
        np.rec.fromarrays([decoys["id"], decoys["control"].astype(bool), decoys["privacy"].astype(bool)]),
        np.rec.fromarrays([exposures["node"], exposures["decoy"], exposures["time"], exposures["channel"]]),
    )


def _rows_orm(campaign: Campaign) -> tuple[np.ndarray, np.ndarray]:
    decoys = Decoy.objects.filter(campaign=campaign).order_by("id")
    decoys = list(decoys.values_list("id", "is_control", "label_printed"))
    exposures = list(
        Exposure.objects.filter(decoy__campaign=campaign)
        .values_list("node_id", "decoy_id", "visible_from", "channel")
        .iterator(chunk_size=20_000)
    )
    channel_index = {name: i for i, name in enumerate(CHANNELS)}
    return (
        np.rec.fromarrays(
            [
                np.array([d[0] for d in decoys], np.int64),
                np.array([d[1] for d in decoys], bool),
                np.array([d[2] == LabelPrint.PRIVACY for d in decoys], bool),
            ]
        ),
        np.rec.fromarrays(
            [
                np.array([e[0] for e in exposures], np.int64),
                np.array([e[1] for e in exposures], np.int64),
                np.array([e[2].timestamp() for e in exposures], np.float64),
                np.array([channel_index.get(e[3], 0) for e in exposures], np.int16),
            ]
        )
        if exposures
        else np.rec.fromarrays([np.zeros(0, np.int64)] * 2 + [np.zeros(0), np.zeros(0, np.int16)]),
    )


def read_ledger(campaign: Campaign) -> Ledger:
    """The campaign's ledger from the database: every node that saw a decoy or is a target (in
    code order), every decoy (in id order), control decoys with no exposure, privacy labels marked."""
    if fast_reads():
        decoys, exposures = _rows_postgresql(campaign)
    else:
        decoys, exposures = _rows_orm(campaign)
    node_ids = set(np.unique(exposures.f0).tolist())
    node_ids.update(CampaignTarget.objects.filter(campaign=campaign).values_list("node_id", flat=True))
    nodes = list(Node.objects.filter(id__in=node_ids).order_by("code").values_list("id", "code", "kind"))
    by_code = np.array([node_id for node_id, _code, _kind in nodes], np.int64)
    order = np.argsort(by_code)
    node_index = order[np.searchsorted(by_code[order], exposures.f0)] if len(nodes) else exposures.f0
    return Ledger(
        [code for _id, code, _kind in nodes],
        [kind for _id, _code, kind in nodes],
        decoys.f0,
        node_index,
        np.searchsorted(decoys.f0, exposures.f1),
        exposures.f2,
        exposures.f3,
        control=decoys.f1,
        privacy_label=decoys.f2,
    )


def _stored_name(campaign: Campaign) -> str:
    last = Decoy.objects.filter(campaign=campaign).aggregate(last=Max("id"))["last"] or 0
    created = int(campaign.created_at.timestamp() * 1_000_000)
    return f"{FOLDER}/campaign-{campaign.pk}-{created}-{decoy_count(campaign)}-{last}.npz"


def _refreshed(stored: Ledger, campaign: Campaign, node_ids: np.ndarray) -> Ledger:
    """A copy of ``stored`` (sharing its arrays) with what may have changed since it was stored:
    privacy labels printed, nodes renamed."""
    if fast_reads():
        printed = packed_rows(
            "campaigns_decoy WHERE campaign_id = %s AND label_printed = %s",
            [campaign.pk, LabelPrint.PRIVACY],
            [("id", "id", "int8")],
        )["id"]
    else:
        privacy = Decoy.objects.filter(campaign=campaign, label_printed=LabelPrint.PRIVACY)
        printed = np.array(list(privacy.values_list("id", flat=True)), np.int64)
    nodes = Node.objects.filter(id__in=node_ids.tolist()).values_list("id", "code", "kind")
    current = {node_id: (code, kind) for node_id, code, kind in nodes}
    kept = zip(node_ids.tolist(), stored.node_codes, stored.node_kinds, strict=True)
    rows = [current.get(node_id, (code, kind)) for node_id, code, kind in kept]
    ledger = copy.copy(stored)
    ledger.__dict__.pop("_node_index", None)  # cached from the stored codes
    ledger.privacy_label = np.isin(ledger.decoy_ids, printed)
    ledger.node_codes = [code for code, _kind in rows]
    ledger.node_kinds = [kind for _code, kind in rows]
    return ledger


def _load(name: str) -> tuple[Ledger, np.ndarray] | None:
    """The stored ledger and its node ids: from this process's memory when it was the last one
    used here (a worker recomputes the same campaign again and again), else from storage."""
    if _last_loaded.get("name") == name:
        return _last_loaded["ledger"], _last_loaded["node_ids"]
    if not default_storage.exists(name):
        return None
    try:
        with default_storage.open(name, "rb") as stored, np.load(stored, allow_pickle=False) as arrays:
            loaded = {key: arrays[key] for key in arrays.files}
        ledger = Ledger.from_arrays(loaded)
    except (OSError, ValueError, KeyError) as error:
        log.warning("stored ledger %s unreadable (%s); reading the database", name, error)
        return None
    _last_loaded.clear()
    _last_loaded.update(name=name, ledger=ledger, node_ids=loaded["node_ids"])
    return ledger, loaded["node_ids"]


# One ledger per process (a million decoys: about 250 MB), the last one loaded.
_last_loaded: dict = {}


def campaign_ledger(campaign: Campaign) -> Ledger:
    """The ledger, from storage when a campaign that is done issuing has one, else read and stored."""
    if campaign.status in (CampaignStatus.ISSUING, CampaignStatus.FAILED):
        return read_ledger(campaign)
    name = _stored_name(campaign)
    found = _load(name)
    if found is not None:
        stored, node_ids = found
        return _refreshed(stored, campaign, node_ids)
    ledger = read_ledger(campaign)
    node_ids = dict(Node.objects.filter(code__in=ledger.node_codes).values_list("code", "id"))
    arrays = {**ledger.to_arrays(), "node_ids": np.array([node_ids[c] for c in ledger.node_codes], np.int64)}
    buffer = io.BytesIO()
    np.savez(buffer, **arrays)
    if default_storage.exists(name):  # another process stored it meanwhile
        default_storage.delete(name)
    default_storage.save(name, ContentFile(buffer.getvalue()))
    return ledger
