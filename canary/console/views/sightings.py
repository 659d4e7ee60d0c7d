"""Sightings: where a decoy turned up in a stored document. Security roles only."""

from __future__ import annotations

from django.shortcuts import render

from canary.audit.decorators import security_required
from canary.audit.services import record_request
from canary.campaigns.models import Campaign
from canary.console.templatetags.console import MATCH_KINDS
from canary.keyset import keyset_page
from canary.sightings.models import Sighting, Strength

PAGE_SIZE = 50


@security_required
def sighting_list(request):
    sightings = Sighting.objects.select_related("decoy", "decoy__target", "campaign", "document")
    filters = {key: request.GET.get(key, "") for key in ("document", "campaign", "strength", "kind")}
    if filters["document"].isdigit():
        sightings = sightings.filter(document_id=int(filters["document"]))
    if filters["campaign"]:
        sightings = sightings.filter(campaign__slug=filters["campaign"])
    if filters["strength"] in Strength.values:
        sightings = sightings.filter(strength=filters["strength"])
    if filters["kind"] in MATCH_KINDS:
        # A quoted text match: works on SQLite as on PostgreSQL, and "phone" never hits "masked_phone".
        sightings = sightings.filter(kinds__icontains=f'"{filters["kind"]}"')
    page = keyset_page(sightings, ("-created_at", "-id"), request.GET, PAGE_SIZE)
    record_request(request, "sightings.sightings.view", **filters)
    context = {
        "page": page,
        **filters,
        "campaigns": Campaign.objects.order_by("-created_at").values_list("slug", "name"),
        "strengths": Strength.choices,
        "match_kinds": MATCH_KINDS.items(),
    }
    return render(request, "console/sighting_list.html", context)
