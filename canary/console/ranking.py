"""A stored attribution ranking as the console shows it.

The words come from the engine's own explanations stored in the snapshot (``explain.py``): per node
one short summary in plain words citing waybill numbers, details behind a toggle, and the verdict
to give first — "noise only" when that is the likeliest reading. Viewers get the redacted texts,
which carry counts but no decoy identity.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.utils.translation import get_language

from canary.attribution.explain import language
from canary.attribution.models import AttributionSnapshot


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
    summary: str  # one short sentence in plain words
    details: list[str] = field(default_factory=list)

    @property
    def percent(self) -> float:
        return round(100 * self.posterior, 1)


def _texts(row: dict[str, Any], lang: str, security: bool) -> tuple[str, list[str]]:
    text = row.get("explanations", {}).get(lang, {})
    if isinstance(text, str):  # a snapshot stored before explanations had summaries and details
        return (text, []) if security else ("", [])
    suffix = "" if security else "_redacted"
    return text.get("summary" + suffix, ""), list(text.get("details" + suffix, []))


def ranked_nodes(snapshot: AttributionSnapshot | None, security: bool) -> list[RankedNode]:
    if snapshot is None:
        return []
    lang = language(get_language() or "")
    rows = []
    for row in snapshot.result.get("nodes", []):
        summary, details = _texts(row, lang, security)
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
                summary=summary,
                details=details,
            )
        )
    return rows


def reading(snapshot: AttributionSnapshot | None) -> str:
    """The verdict to say before the table (node codes only, no decoy identity)."""
    if snapshot is None:
        return ""
    return snapshot.result.get("verdicts", {}).get(language(get_language() or ""), "")
