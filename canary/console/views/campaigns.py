"""Campaign pages: list, the wizard (plan → preview → issue), the campaign page with its actions,
the decoy registry, labels and order files. Security roles only: they show decoy identities."""

from __future__ import annotations

import itertools

from django.contrib import messages
from django.db.models import Q
from django.http import FileResponse, StreamingHttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from canary.attribution.models import AttributionSnapshot, Signal
from canary.attribution.overview import suspicion_over_time
from canary.attribution.plan_preview import preview_plan
from canary.audit.decorators import security_required
from canary.audit.services import record_request
from canary.campaigns import planner
from canary.campaigns.exports import count_orders, labels_pdf_file, order_text
from canary.campaigns.issuing import start_issuing
from canary.campaigns.messages import translated, translated_all
from canary.campaigns.models import Campaign, CampaignStatus
from canary.campaigns.planner import SpecError
from canary.campaigns.readiness import activation_problems
from canary.campaigns.sizes import campaign_sizes, decoy_counts
from canary.keyset import AFTER, BEFORE, keyset_page
from canary.network.models import Node
from canary.phones.models import CanaryNumber
from canary.phones.pool import free_numbers

from ..ranking import ranked_nodes, reading
from ..wizard import CampaignPlanForm, sign_spec, spec_from, unsign_spec
from .network import build_tree

DECOYS_PER_PAGE = 50
TIMELINE = 100
# A national campaign seeds thousands of nodes: its pages list this many and count the rest, and
# ask for a node's code in a text field instead of a menu of every target.
TARGETS_LISTED = 200


@security_required
def campaign_list(request):
    campaigns = list(Campaign.objects.order_by("-created_at", "-id"))
    counts = decoy_counts(campaigns)
    for campaign in campaigns:
        campaign.decoy_count = counts[campaign.pk]
    return render(request, "console/campaign_list.html", {"campaigns": campaigns})


# --------------------------------------------------------------------------- the wizard


@security_required
def campaign_new(request):
    """Step 1: choose nodes and settings; step 2: the plan preview with its fixes; step 3: issue."""
    form = CampaignPlanForm(request.POST or None)
    preview = token = None
    problems: list[str] = []
    if request.method == "POST" and request.POST.get("action") == "issue":
        return _issue(request)
    if request.method == "POST" and form.is_valid():
        data = form.spec_data()
        fix = request.POST.get("fix", "")
        if fix == "isolated":
            data["strategy"] = "isolated"
        elif fix.startswith("drop:"):
            data["nodes"] = [code for code in data["nodes"] if code != fix.removeprefix("drop:")]
        try:
            preview = preview_plan(spec_from(data))
            token = sign_spec(data)
            problems = preview.problems
        except SpecError as exc:
            problems = translated_all(exc.problems)
        record_request(request, "campaign.preview", slug=data["slug"], targets=len(data["nodes"]))
    nodes = list(Node.objects.order_by("code"))
    return render(
        request,
        "console/campaign_new.html",
        {
            "form": form,
            "tree": build_tree(nodes, {}, {}),
            "checked": set(form.data.getlist("nodes")) if form.is_bound else set(),
            "numbers_free": CanaryNumber.objects.filter(free_numbers()).count(),
            "preview": preview,
            "token": token,
            "problems": problems,
            "step": 2 if preview else 1,
        },
    )


def _issue(request):
    """Step 3: the previewed spec is issued by a worker (all decoys or none); the campaign page
    shows the progress."""
    try:
        spec = spec_from(unsign_spec(request.POST.get("token", "")))
        started = start_issuing(spec, actor=request.user.get_username(), background=True)
    except SpecError as exc:
        for problem in exc.problems:
            messages.error(request, translated(problem))
        return redirect("console:campaign-new")
    return redirect("console:campaign", slug=started.campaign.slug)


@security_required
def campaign_progress(request, slug):
    """How far issuing got (htmx polls it); once issuing is over the page reloads itself."""
    campaign = get_object_or_404(Campaign, slug=slug)
    response = render(request, "console/_campaign_progress.html", {"campaign": campaign})
    if campaign.status != CampaignStatus.ISSUING:
        response["HX-Refresh"] = "true"
    return response


# --------------------------------------------------------------------------- the campaign page


def _live_context(campaign: Campaign) -> dict:
    """Signals, ranking and suspicion chart: the parts of the campaign page that refresh by themselves."""
    snapshot = AttributionSnapshot.objects.filter(campaign=campaign).order_by("-computed_at", "-id").first()
    nodes = ranked_nodes(snapshot, security=True)
    chart = suspicion_over_time(campaign)
    chart["noise_label"] = _("noise only")
    return {
        "campaign": campaign,
        "snapshot": snapshot,
        "nodes": nodes,
        "reading": reading(snapshot),
        "suspicion_chart": chart,
        "signals": Signal.objects.filter(campaign=campaign).order_by("-first_seen_at")[:TIMELINE],
        "incidents": campaign.incidents.select_related("node").order_by("-last_activity_at")[:10],
    }


@security_required
def campaign_detail(request, slug):
    campaign = get_object_or_404(Campaign, slug=slug)
    record_request(request, "campaign.view", campaign)
    history = list(campaign.status_changes.all())
    sizes = campaign_sizes(campaign)
    return render(
        request,
        "console/campaign_detail.html",
        {
            **_live_context(campaign),
            **_targets(campaign),
            "decoy_count": sizes.decoys,
            "exposure_count": sizes.exposures,
            "exposures_approximate": sizes.exposures_approximate,
            "problems": activation_problems(campaign) if campaign.status == CampaignStatus.DRAFT else [],
            "history": history,
            "issue_error": _issue_error(campaign, history),
        },
    )


def _targets(campaign: Campaign) -> dict:
    targets = campaign.campaign_targets.select_related("node").order_by("node__code")
    return {
        "targets": targets[:TARGETS_LISTED],
        "targets_total": targets.count(),
        "targets_listed": TARGETS_LISTED,
    }


def _issue_error(campaign: Campaign, history: list) -> str:
    """Why issuing failed, in the reader's language (the failure's status change keeps it)."""
    failures = [h for h in history if h.to_status == CampaignStatus.FAILED]
    return failures[-1].translated_reason() if failures else campaign.issue_error


@security_required
def campaign_live(request, slug):
    campaign = get_object_or_404(Campaign, slug=slug)
    return render(request, "console/_campaign_live.html", _live_context(campaign))


@security_required
@require_POST
def campaign_activate(request, slug):
    campaign = get_object_or_404(Campaign, slug=slug)
    problems = activation_problems(campaign)
    if problems:
        record_request(request, "campaign.activate_refused", campaign, reasons=problems)
        for problem in problems:
            messages.error(request, translated(problem))
        return redirect("console:campaign", slug=slug)
    try:
        planner.activate(campaign, actor=request.user.get_username())
    except SpecError as exc:
        record_request(request, "campaign.activate_refused", campaign, reasons=exc.problems)
        for problem in exc.problems:
            messages.error(request, translated(problem))
        return redirect("console:campaign", slug=slug)
    messages.success(request, _("The campaign is active: its decoys are being watched."))
    return redirect("console:campaign", slug=slug)


@security_required
@require_POST
def campaign_end(request, slug):
    campaign = get_object_or_404(Campaign, slug=slug)
    try:
        planner.end(campaign, actor=request.user.get_username())
    except SpecError as exc:
        for problem in exc.problems:
            messages.error(request, translated(problem))
    else:
        messages.success(request, _("The campaign has ended; its numbers are in quarantine."))
    return redirect("console:campaign", slug=slug)


# --------------------------------------------------------------------------- decoys and files


@security_required
def decoy_list(request, slug):
    campaign = get_object_or_404(Campaign, slug=slug)
    decoys = campaign.decoys.select_related("target")
    query, node = request.GET.get("q", "").strip(), request.GET.get("node", "")
    if query:
        decoys = decoys.filter(
            Q(waybill_no__icontains=query)
            | Q(recipient_name__contains=query)
            | Q(recipient_phone__contains=query)
        )
    if node:
        decoys = decoys.filter(target__code=node)
    page = keyset_page(decoys, ("id",), request.GET, DECOYS_PER_PAGE)
    record_request(
        request,
        "decoys.view",
        campaign,
        after=request.GET.get(AFTER, ""),
        before=request.GET.get(BEFORE, ""),
        q=query,
        node=node,
    )
    return render(
        request,
        "console/decoy_list.html",
        {
            "campaign": campaign,
            "page": page,
            "query": query,
            "node": node,
            **_targets(campaign),
        },
    )


@security_required
def campaign_labels(request, slug):
    campaign = get_object_or_404(Campaign, slug=slug)
    privacy = request.GET.get("privacy") == "1"
    node = request.GET.get("node") or None
    printable = campaign.decoys.filter(is_control=False)
    if node:
        printable = printable.filter(target__code=node)
    if not printable.exists():
        messages.error(request, _("There are no decoys to print labels for."))
        return redirect("console:campaign", slug=slug)
    pdf, pages = labels_pdf_file(campaign, privacy=privacy, node_code=node)
    record_request(request, "labels.export", campaign, privacy=privacy, pages=pages, node=node or "")
    # A neutral file name: the download may end up on a depot printer's queue.
    return FileResponse(pdf, content_type="application/pdf", as_attachment=True, filename="waybills.pdf")


@security_required
def campaign_orders(request, slug, fmt="csv"):
    campaign = get_object_or_404(Campaign, slug=slug)
    pieces = order_text(campaign, fmt)
    record_request(request, "orders.export", campaign, format=fmt, count=count_orders(campaign))
    if fmt == "csv":
        # UTF-8 with BOM: Excel on Chinese Windows reads it without garbling.
        pieces = itertools.chain(["\ufeff"], pieces)
        content_type = "text/csv; charset=utf-8"
    else:
        content_type = "application/json; charset=utf-8"
    # Streamed as the decoys are read: a million orders never sit in the web process's memory.
    response = StreamingHttpResponse((piece.encode("utf-8") for piece in pieces), content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="orders.{fmt}"'
    return response
