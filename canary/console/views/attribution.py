"""The console's attribution page: who is suspected, why in plain words, and how the suspicion
evolved. Viewers see the same ranking without any decoy identity (no waybill numbers)."""

from __future__ import annotations

from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from canary.attribution import services
from canary.attribution.models import AttributionSnapshot
from canary.attribution.overview import suspicion_over_time
from canary.audit.decorators import security_required
from canary.audit.roles import VIEWER, is_security
from canary.audit.services import record_request
from canary.campaigns.models import Campaign

from ..ranking import ranked_nodes, reading

HISTORY_ROWS = 15  # snapshots listed under the chart


@security_required(VIEWER)
def campaign_attribution(request, slug: str):
    campaign = get_object_or_404(Campaign, slug=slug)
    security = is_security(request.user)
    snapshots = AttributionSnapshot.objects.filter(campaign=campaign).select_related("top_node")
    latest = snapshots.order_by("-computed_at", "-id").first()
    nodes = ranked_nodes(latest, security=security)
    chart = suspicion_over_time(campaign)
    chart["noise_label"] = _("noise only")
    record_request(request, "attribution.view", campaign, snapshot=latest.pk if latest else None)
    return render(
        request,
        "console/attribution.html",
        {
            "campaign": campaign,
            "latest": latest,
            "nodes": nodes,
            "reading": reading(latest),
            "suspicion_chart": chart,
            "history": snapshots.order_by("-computed_at", "-id")[:HISTORY_ROWS],
            "security": security,
        },
    )


@security_required
@require_POST
def recompute_now(request, slug: str):
    campaign = get_object_or_404(Campaign, slug=slug)
    services.run_attribution(campaign)
    record_request(request, "attribution.recompute", campaign)
    return redirect("attribution:campaign", slug=campaign.slug)
