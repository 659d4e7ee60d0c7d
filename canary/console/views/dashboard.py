"""The console's front page: campaigns and their health, the signal trend, suspects, the latest
contacts and sightings, and whether every watcher is working. Every role may open it; nothing on
it names a decoy (no recipient, phone, address or waybill number)."""

from __future__ import annotations

from django.shortcuts import render

from canary.alerts.models import OPEN_STATES, Incident
from canary.attribution.models import SignalKind
from canary.attribution.overview import campaign_health, signals_per_day, top_suspects
from canary.audit.decorators import security_required
from canary.audit.roles import VIEWER, is_security
from canary.campaigns.models import Campaign, CampaignStatus
from canary.network.models import Node
from canary.phones.models import Contact
from canary.sightings.models import Sighting

from ..health import watcher_health

LATEST = 10
LIVE_STATUSES = (CampaignStatus.ACTIVE, CampaignStatus.DRAFT, "issuing")


def _latest() -> dict:
    return {
        "contacts": Contact.objects.select_related("number__campaign").order_by("-received_at")[:LATEST],
        "sightings": Sighting.objects.select_related("campaign", "document").order_by("-created_at")[:LATEST],
    }


@security_required(VIEWER)
def dashboard(request):
    campaigns = Campaign.objects.filter(status__in=LIVE_STATUSES)
    chart = signals_per_day(days=30)
    kinds = dict(SignalKind.choices)
    for series in chart["series"]:
        series["label"] = str(kinds[series["kind"]])
    context = {
        "security": is_security(request.user),
        "nodes": Node.objects.count(),
        "health": campaign_health(campaigns),
        "signals_chart": chart,
        "signals_total": sum(sum(s["counts"]) for s in chart["series"]),
        "suspects": top_suspects(),
        "open_incidents": Incident.objects.filter(state__in=OPEN_STATES).count(),
        "watchers": watcher_health(),
        **_latest(),
    }
    return render(request, "console/dashboard.html", context)


@security_required(VIEWER)
def dashboard_latest(request):
    """The latest contacts and sightings, polled by the dashboard (htmx)."""
    return render(
        request, "console/_dashboard_latest.html", {"security": is_security(request.user), **_latest()}
    )
