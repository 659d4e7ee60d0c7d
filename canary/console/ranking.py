"""A stored attribution ranking as the console shows it: one short sentence per node in plain
words, the engine's full explanation behind "details", and the reading to give first when noise
alone explains the signals best. Viewers get the same ranking with no decoy identity in it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.utils.translation import get_language, ngettext
from django.utils.translation import gettext as _

from canary.attribution.models import AttributionSnapshot

WAYBILLS_IN_SENTENCE = 3


@dataclass
class RankedNode:
    rank: int
    node: str
    name: str
    kind: str
    posterior: float
    supporting: int
    seen: int
    silent: int
    cleared: int
    summary: str  # one short sentence
    details: str  # the engine's explanation (security roles only; it cites decoys)

    @property
    def percent(self) -> float:
        return round(100 * self.posterior, 1)


def _summary(row: dict[str, Any], security: bool) -> str:
    supporting, seen = len(row.get("supporting_decoys", [])), row.get("seen", 0)
    if supporting:
        text = ngettext(
            "%(n)d of the %(seen)d decoys it saw surfaced",
            "%(n)d of the %(seen)d decoys it saw surfaced",
            supporting,
        ) % {"n": supporting, "seen": seen}
        waybills = row.get("supporting_waybills", [])
        if security and waybills:
            shown = "、".join(waybills[:WAYBILLS_IN_SENTENCE])
            text += _(" (%(waybills)s)") % {
                "waybills": shown + ("…" if len(waybills) > WAYBILLS_IN_SENTENCE else "")
            }
        silent = row.get("silent", 0)
        if silent:
            text += _("; %(silent)d stayed silent") % {"silent": silent}
        return text + _(".")
    if row.get("cleared_by_time"):
        return _("Its decoys surfaced before it saw them: the timing clears it.")
    return _("None of the %(seen)d decoys it saw has surfaced: nothing points at it.") % {"seen": seen}


def ranked_nodes(snapshot: AttributionSnapshot | None, security: bool) -> list[RankedNode]:
    if snapshot is None:
        return []
    lang = "en" if (get_language() or "").startswith("en") else "zh-hans"
    rows = []
    for row in snapshot.result.get("nodes", []):
        details = row.get("explanations", {}).get(lang, row.get("explanation", "")) if security else ""
        rows.append(
            RankedNode(
                rank=row.get("rank", len(rows) + 1),
                node=row["node"],
                name=row.get("name", ""),
                kind=row.get("kind", ""),
                posterior=row["posterior"],
                supporting=len(row.get("supporting_decoys", [])),
                seen=row.get("seen", 0),
                silent=row.get("silent", 0),
                cleared=len(row.get("cleared_by_time", [])),
                summary=_summary(row, security),
                details=details,
            )
        )
    return rows


def reading(snapshot: AttributionSnapshot | None, nodes: list[RankedNode]) -> str:
    """What to say before the table: "noise only" when it is the likeliest reading, with the nodes
    the evidence still points to; otherwise the leading node."""
    if snapshot is None:
        return ""
    pointed = [n.node for n in nodes if n.supporting][:3]
    top = nodes[0] if nodes else None
    if top is None or snapshot.noise_only >= top.posterior:
        if pointed:
            return _(
                "Noise alone is the likeliest reading of these signals (%(noise).3f); the evidence that "
                "exists points at %(nodes)s."
            ) % {"noise": snapshot.noise_only, "nodes": "、".join(pointed)}
        return _(
            "Noise alone is the likeliest reading of these signals (%(noise).3f); no node is supported."
        ) % {"noise": snapshot.noise_only}
    return _("The likeliest leaker is %(node)s %(name)s (%(posterior).3f).") % {
        "node": top.node,
        "name": top.name,
        "posterior": top.posterior,
    }
