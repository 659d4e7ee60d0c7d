"""The console's attribution page: who is suspected, why, and how the suspicion evolved."""

from __future__ import annotations

from dataclasses import dataclass

from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import get_language
from django.views.decorators.http import require_POST

from canary.audit.services import record_request
from canary.campaigns.models import Campaign
from canary.console.views import security_required

from . import services
from .explain import language
from .models import AttributionSnapshot

HISTORY = 60  # snapshots drawn in the evolution chart
HISTORY_ROWS = 15  # snapshots listed under it
CHART_NODES = 3  # the currently top nodes drawn as lines
CHART_WIDTH, CHART_HEIGHT, CHART_PAD = 640, 160, 24
COLOURS = ("#c53030", "#2b6cb0", "#2f855a")


@dataclass
class Series:
    label: str
    colour: str
    points: str  # SVG polyline points
    dashed: bool = False


def _evolution(history: list[AttributionSnapshot], codes: list[str]) -> list[Series]:
    """One line per current top node, plus noise-only, posterior against time (oldest left)."""
    if not history:
        return []
    start = history[0].computed_at.timestamp()
    span = max(history[-1].computed_at.timestamp() - start, 1.0)
    inner_w, inner_h = CHART_WIDTH - 2 * CHART_PAD, CHART_HEIGHT - 2 * CHART_PAD

    def point(snapshot: AttributionSnapshot, p: float) -> str:
        x = CHART_PAD + (
            inner_w * (snapshot.computed_at.timestamp() - start) / span if len(history) > 1 else inner_w / 2
        )
        return f"{x:.1f},{CHART_PAD + inner_h * (1.0 - p):.1f}"

    series = []
    for code, colour in zip(codes, COLOURS, strict=False):
        points = []
        for s in history:
            rows = {row["node"]: row["posterior"] for row in s.result.get("nodes", [])}
            points.append(point(s, rows.get(code, 0.0)))
        series.append(Series(code, colour, " ".join(points)))
    noise = " ".join(point(s, s.noise_only) for s in history)
    series.append(Series("noise", "#718096", noise, dashed=True))
    return series


@security_required
def campaign_attribution(request, slug: str):
    campaign = get_object_or_404(Campaign, slug=slug)
    snapshots = AttributionSnapshot.objects.filter(campaign=campaign).select_related("top_node")
    latest = snapshots.order_by("-computed_at", "-id").first()
    history = list(reversed(snapshots.order_by("-computed_at", "-id")[:HISTORY]))
    lang = language(get_language() or "")
    nodes = []
    if latest is not None:
        for row in latest.result.get("nodes", []):
            text = row.get("explanations", {}).get(lang, {})
            if isinstance(text, str):  # a snapshot stored before explanations had details
                text = {"summary": text}
            nodes.append(
                {
                    **row,
                    "percent": round(100 * row["posterior"], 1),
                    "guilt": latest.result.get("baseline", {}).get(row["node"], 0.0),
                    "text": text.get("summary", row.get("explanation", "")),
                    "details": text.get("details", []),
                }
            )
    record_request(request, "attribution.view", campaign, snapshot=latest.pk if latest else None)
    return render(
        request,
        "attribution/campaign.html",
        {
            "campaign": campaign,
            "latest": latest,
            "verdict": latest.result.get("verdicts", {}).get(lang, "") if latest else "",
            "nodes": nodes,
            "series": _evolution(history, [row["node"] for row in nodes[:CHART_NODES]]),
            "history": list(reversed(history))[:HISTORY_ROWS],
            "chart": {
                "width": CHART_WIDTH,
                "height": CHART_HEIGHT,
                "pad": CHART_PAD,
                "right": CHART_WIDTH - CHART_PAD,
                "bottom": CHART_HEIGHT - CHART_PAD,
            },
        },
    )


@security_required
@require_POST
def recompute_now(request, slug: str):
    campaign = get_object_or_404(Campaign, slug=slug)
    services.run_attribution(campaign)
    record_request(request, "attribution.recompute", campaign)
    return redirect("attribution:campaign", slug=campaign.slug)
