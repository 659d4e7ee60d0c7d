"""Campaign pages: list, detail, decoy registry, labels and order files. Security roles only."""

from __future__ import annotations

import io

from django.core.paginator import Paginator
from django.db.models import Count
from django.http import FileResponse, HttpResponse
from django.shortcuts import get_object_or_404, render

from canary.audit.decorators import security_required
from canary.audit.services import record_request
from canary.campaigns.exports import write_labels, write_orders
from canary.campaigns.models import Campaign


@security_required
def campaign_list(request):
    campaigns = Campaign.objects.annotate(decoy_count=Count("decoys")).order_by("-created_at")
    return render(request, "console/campaign_list.html", {"campaigns": campaigns})


@security_required
def campaign_detail(request, slug):
    campaign = get_object_or_404(Campaign, slug=slug)
    targets = campaign.campaign_targets.select_related("node").order_by("node__code")
    record_request(request, "campaign.view", campaign)
    return render(
        request,
        "console/campaign_detail.html",
        {"campaign": campaign, "targets": targets, "decoy_count": campaign.decoys.count()},
    )


@security_required
def decoy_list(request, slug):
    campaign = get_object_or_404(Campaign, slug=slug)
    decoys = campaign.decoys.select_related("target").order_by("id")
    page = Paginator(decoys, 50).get_page(request.GET.get("page"))
    record_request(request, "decoys.view", campaign, page=page.number)
    return render(request, "console/decoy_list.html", {"campaign": campaign, "page": page})


@security_required
def campaign_labels(request, slug):
    campaign = get_object_or_404(Campaign, slug=slug)
    privacy = request.GET.get("privacy") == "1"
    buffer = io.BytesIO()
    pages = write_labels(campaign, buffer, privacy=privacy, node_code=request.GET.get("node") or None)
    record_request(request, "labels.export", campaign, privacy=privacy, pages=pages)
    buffer.seek(0)
    # A neutral file name: the download may end up on a depot printer's queue.
    return FileResponse(buffer, content_type="application/pdf", filename="waybills.pdf")


@security_required
def campaign_orders(request, slug):
    campaign = get_object_or_404(Campaign, slug=slug)
    out = io.StringIO()
    count = write_orders(campaign, out, "csv")
    record_request(request, "orders.export", campaign, format="csv", count=count)
    response = HttpResponse(
        ("\ufeff" + out.getvalue()).encode("utf-8"), content_type="text/csv; charset=utf-8"
    )
    response["Content-Disposition"] = 'attachment; filename="orders.csv"'
    return response
