"""Figures the console's dashboard, campaign and node pages chart: read-only, no decoy identity.

Everything here is safe for every role: node codes, counts, posteriors and times, never a decoy's
recipient, phone, address or waybill number. Days are calendar days in the console's time zone
(Asia/Shanghai), so "today" on the chart is today for the team reading it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from django.db.models import Count, Max
from django.db.models.functions import TruncDate
from django.utils import timezone

from canary.campaigns.models import Campaign, CampaignStatus, CampaignTarget
from canary.campaigns.numbering import numbers_needed
from canary.campaigns.sizes import decoy_counts
from canary.network.models import Node
from canary.phones.models import CanaryNumber

from .models import AttributionSnapshot, Signal, SignalKind


def signals_per_day(
    days: int = 30, now: datetime | None = None, campaign: Campaign | None = None
) -> dict[str, Any]:
    """Signals first seen per local day over the last ``days`` days, one series per kind.

    ``{"days": ["2026-11-08", ...], "series": [{"kind": "sms", "label": "...", "counts": [...]}]}``;
    every kind is listed (zeros included) so the chart's legend is stable.
    """
    today = timezone.localdate(now or timezone.now())
    first = today - timedelta(days=days - 1)
    axis = [first + timedelta(days=i) for i in range(days)]
    signals = Signal.objects.filter(first_seen_at__date__gte=first, first_seen_at__date__lte=today)
    if campaign is not None:
        signals = signals.filter(campaign=campaign)
    counts: dict[tuple[str, date], int] = {
        (row["kind"], row["day"]): row["n"]
        for row in signals.annotate(day=TruncDate("first_seen_at", tzinfo=timezone.get_current_timezone()))
        .values("kind", "day")
        .annotate(n=Count("id"))
    }
    return {
        "days": [d.isoformat() for d in axis],
        "series": [
            {
                "kind": kind.value,
                "label": str(kind.label),
                "counts": [counts.get((kind.value, d), 0) for d in axis],
            }
            for kind in SignalKind
        ],
    }


def suspicion_over_time(campaign: Campaign, nodes: int = 5) -> dict[str, Any]:
    """Posterior of the campaign's most suspected nodes in every stored snapshot, oldest first,
    beside the "noise only" reading.

    ``{"times": [...], "series": [{"node", "values"}], "noise_only": [...]}``
    """
    snapshots = list(
        AttributionSnapshot.objects.filter(campaign=campaign)
        .order_by("computed_at", "id")
        .values_list("computed_at", "result", "noise_only")
    )
    latest = snapshots[-1][1].get("nodes", []) if snapshots else []
    codes = [row["node"] for row in latest[:nodes]]
    series = []
    for code in codes:
        values = []
        for _at, result, _noise in snapshots:
            found = next((row["posterior"] for row in result.get("nodes", []) if row["node"] == code), 0.0)
            values.append(found)
        series.append({"node": code, "values": values})
    return {
        "times": [timezone.localtime(at).strftime("%Y-%m-%d %H:%M") for at, _r, _n in snapshots],
        "series": series,
        "noise_only": [noise for _at, _r, noise in snapshots],
    }


def latest_snapshots(campaigns) -> dict[int, AttributionSnapshot]:
    """The newest snapshot of each of ``campaigns``, by campaign id."""
    newest = (
        AttributionSnapshot.objects.filter(campaign__in=campaigns)
        .values("campaign_id")
        .annotate(at=Max("computed_at"))
    )
    found: dict[int, AttributionSnapshot] = {}
    for row in newest:
        snapshot = (
            AttributionSnapshot.objects.filter(campaign_id=row["campaign_id"], computed_at=row["at"])
            .order_by("-id")
            .first()
        )
        if snapshot is not None:
            found[row["campaign_id"]] = snapshot
    return found


@dataclass
class Suspect:
    campaign: Campaign
    node: str
    name: str
    posterior: float
    noise_only: float
    supporting: int  # how many of its decoys surfaced
    computed_at: datetime


def _suspects(campaign: Campaign, snapshot: AttributionSnapshot) -> list[Suspect]:
    """The ranked nodes of a snapshot that at least one surfaced decoy supports, best first."""
    return [
        Suspect(
            campaign,
            row["node"],
            row.get("name", ""),
            row["posterior"],
            snapshot.noise_only,
            len(row["supporting_decoys"]),
            snapshot.computed_at,
        )
        for row in snapshot.result.get("nodes", [])
        if row.get("supporting_decoys")
    ]


def _active_suspects() -> list[Suspect]:
    campaigns = list(Campaign.objects.filter(status=CampaignStatus.ACTIVE))
    snapshots = latest_snapshots(campaigns)
    return [s for c in campaigns if c.id in snapshots for s in _suspects(c, snapshots[c.id])]


def top_suspects(limit: int = 10) -> list[Suspect]:
    """The most suspected nodes across active campaigns, from each campaign's latest ranking.

    Only nodes with at least one surfaced decoy are suspects: a node the evidence does not touch
    is never listed, whatever its prior.
    """
    rows = _active_suspects()
    rows.sort(key=lambda s: -s.posterior)
    return rows[:limit]


@dataclass
class CampaignHealth:
    campaign: Campaign
    targets: int
    decoys: int
    numbers_assigned: int
    numbers_needed: int
    last_signal_at: datetime | None
    signals: int
    expected_top1: float | None  # from the plan report, None if the plan was never checked
    top: Suspect | None

    @property
    def warnings(self) -> list[str]:
        """Codes of what needs the team's attention (the page words them)."""
        found = []
        if not self.decoys:
            found.append("no_decoys")
        if self.numbers_assigned < self.numbers_needed:
            found.append("too_few_numbers")
        if self.expected_top1 is not None and self.expected_top1 < 0.5:
            found.append("weak_plan")
        return found


def _count_by_campaign(rows) -> dict[int, int]:
    return dict(rows.values("campaign_id").annotate(n=Count("id")).values_list("campaign_id", "n"))


def campaign_health(campaigns) -> list[CampaignHealth]:
    """Health of each campaign: numbers held against what its codebook needs, the last signal,
    the plan's expected top-1 accuracy and the current top suspect."""
    campaigns = list(Campaign.objects.filter(pk__in=[c.pk for c in campaigns]).order_by("-created_at"))
    # Grouped one table at a time: counting targets and numbers in one join multiplies them
    # (10,000 targets × 2,000 numbers per campaign at national scale).
    targets = _count_by_campaign(CampaignTarget.objects.filter(campaign__in=campaigns))
    numbers = _count_by_campaign(CanaryNumber.objects.filter(campaign__in=campaigns))
    decoys = decoy_counts(campaigns)
    last = {
        row["campaign_id"]: row
        for row in Signal.objects.filter(campaign__in=campaigns)
        .values("campaign_id")
        .annotate(at=Max("first_seen_at"), n=Count("id"))
    }
    snapshots = latest_snapshots(campaigns)
    health = []
    for campaign in campaigns:
        snapshot = snapshots.get(campaign.id)
        suspects = _suspects(campaign, snapshot) if snapshot else []
        health.append(
            CampaignHealth(
                campaign=campaign,
                targets=targets.get(campaign.pk, 0),
                decoys=decoys.get(campaign.pk, 0),
                numbers_assigned=numbers.get(campaign.pk, 0),
                numbers_needed=numbers_needed(targets[campaign.pk], campaign.decoys_per_node)
                if targets.get(campaign.pk)
                else 0,
                last_signal_at=last.get(campaign.id, {}).get("at"),
                signals=last.get(campaign.id, {}).get("n", 0),
                expected_top1=campaign.plan_report.get("expected_top1") if campaign.plan_report else None,
                top=suspects[0] if suspects else None,
            )
        )
    return health


def node_history(node: Node, limit: int = 50) -> list[dict[str, Any]]:
    """Where ``node`` stood in each campaign's rankings over time, newest first."""
    rows = []
    snapshots = (
        AttributionSnapshot.objects.filter(campaign__campaign_targets__node=node)
        .select_related("campaign")
        .order_by("-computed_at", "-id")[:limit]
    )
    for snapshot in snapshots:
        for row in snapshot.result.get("nodes", []):
            if row["node"] == node.code:
                rows.append(
                    {
                        "campaign": snapshot.campaign,
                        "computed_at": snapshot.computed_at,
                        "rank": row.get("rank"),
                        "posterior": row["posterior"],
                        "supporting": len(row.get("supporting_decoys", [])),
                        "noise_only": snapshot.noise_only,
                    }
                )
                break
    return rows


def current_suspicion() -> dict[str, float]:
    """Each suspected node's highest posterior in the latest ranking of any active campaign."""
    found: dict[str, float] = {}
    for suspect in _active_suspects():
        found[suspect.node] = max(found.get(suspect.node, 0.0), suspect.posterior)
    return found
