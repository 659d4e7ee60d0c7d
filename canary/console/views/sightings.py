"""Sightings: where a decoy turned up in a stored document. Security roles only."""

from __future__ import annotations

from django.core.paginator import Paginator
from django.shortcuts import render

from canary.audit.decorators import security_required
from canary.audit.services import record_request
from canary.sightings.models import Sighting

PAGE_SIZE = 50


@security_required
def sighting_list(request):
    sightings = Sighting.objects.select_related("decoy", "decoy__target", "campaign", "document")
    document = request.GET.get("document", "")
    if document.isdigit():
        sightings = sightings.filter(document_id=int(document))
    page = Paginator(sightings, PAGE_SIZE).get_page(request.GET.get("page"))
    record_request(request, "sightings.sightings.view", document=document)
    return render(request, "console/sighting_list.html", {"page": page, "document": document})
