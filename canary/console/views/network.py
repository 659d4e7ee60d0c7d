"""Network pages: the node tree with counts and current suspicion, one node's page, CSV import
with a preview and a confirmation, CSV export. Viewers see the tree and nodes (no decoy
identity); importing and exporting need a security role."""

from __future__ import annotations

import base64
import io
from collections import defaultdict

from django.contrib import messages
from django.db.models import Count, Max, Min, Q
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _

from canary.attribution.models import Signal
from canary.attribution.overview import current_suspicion, node_history
from canary.audit.decorators import security_required
from canary.audit.roles import VIEWER, is_security
from canary.audit.services import record_request
from canary.campaigns.models import CampaignTarget, Exposure
from canary.network.models import Node
from canary.network.preview import digest_of, preview_network_bytes
from canary.network.services import NetworkImportError, export_network, import_network_bytes

from ..tallies import decoys_seen

MAX_IMPORT_BYTES = 20 * 1024 * 1024
SESSION_KEY = "network_import"
# A network up to this size is drawn whole; a bigger one (a national network: 10,000 nodes and
# more) is drawn three levels deep and each deeper branch is fetched when it is opened.
WHOLE_TREE_UP_TO = 2_000
LEVELS_DRAWN = 3
MATCHES_LISTED = 100


def descendant_counts(links: list[tuple[int, int | None]]) -> dict[int, int]:
    """How many nodes lie below each node, from (id, parent id) pairs."""
    children: dict[int | None, list[int]] = defaultdict(list)
    for node_id, parent_id in links:
        children[parent_id].append(node_id)
    counts: dict[int, int] = {}
    # Children before parents, without recursion (a deep chain would exhaust the stack).
    order, stack = [], list(children.get(None, []))
    while stack:
        node_id = stack.pop()
        order.append(node_id)
        stack.extend(children.get(node_id, []))
    for node_id in reversed(order):
        counts[node_id] = sum(1 + counts[child] for child in children.get(node_id, []))
    return counts


def build_tree(
    nodes: list[Node],
    seen: dict[int, int],
    suspicion: dict[str, float],
    *,
    under: Node | None = None,
    levels: int | None = None,
    descendants: dict[int, int] | None = None,
) -> list[dict]:
    """Nested rows (node, children, descendant count, decoys seen, suspicion), roots first.

    ``under``: the rows of that node's children instead of the roots. ``levels``: draw only so
    many levels; a row below them with children of its own is marked ``lazy`` (fetched on
    opening). ``descendants``: the counts below each node when ``nodes`` are only those drawn.
    """
    children: dict[int | None, list[Node]] = defaultdict(list)
    for node in nodes:
        children[node.parent_id].append(node)
    if descendants is None:
        descendants = descendant_counts([(node.id, node.parent_id) for node in nodes])

    def build(node: Node, level: int) -> dict:
        drawn = levels is None or level < levels - 1
        return {
            "node": node,
            "children": [build(child, level + 1) for child in children.get(node.id, [])] if drawn else [],
            "lazy": descendants.get(node.id, 0) > 0 and not drawn,
            "descendants": descendants.get(node.id, 0),
            "seen": seen.get(node.id, 0),
            "suspicion": suspicion.get(node.code),
        }

    roots = children.get(under.id, []) if under else [n for n in nodes if n.parent_id is None]
    return [build(root, 0) for root in roots]


def _drawn_ids(links: list[tuple[int, int | None]], levels: int) -> list[int]:
    children: dict[int | None, list[int]] = defaultdict(list)
    for node_id, parent_id in links:
        children[parent_id].append(node_id)
    drawn, level = [], children.get(None, [])
    for _level in range(levels):
        drawn += level
        level = [child for node_id in level for child in children.get(node_id, [])]
    return drawn


@security_required(VIEWER)
def network_tree(request):
    query = request.GET.get("q", "").strip()
    # The shape of the whole network is light (two numbers a node); full rows are read only for
    # the nodes drawn.
    links = list(Node.objects.values_list("id", "parent_id"))
    descendants = descendant_counts(links)
    seen = decoys_seen()
    if "under" in request.GET:
        # One branch, fetched when its row is opened (htmx).
        parent = get_object_or_404(Node, code=request.GET["under"])
        nodes = list(Node.objects.filter(parent=parent).order_by("code"))
        rows = build_tree(
            nodes, seen.by_node, current_suspicion(), under=parent, levels=1, descendants=descendants
        )
        return render(request, "console/_tree_children.html", {"tree": rows, "depth": LEVELS_DRAWN})
    if len(links) <= WHOLE_TREE_UP_TO:
        levels, nodes = None, Node.objects.all()
    else:
        levels, nodes = LEVELS_DRAWN, Node.objects.filter(id__in=_drawn_ids(links, LEVELS_DRAWN))
    matches = []
    if query:
        found = Node.objects.filter(Q(code__icontains=query) | Q(name__contains=query)).order_by("code")
        matches = found[:MATCHES_LISTED]
    tree = build_tree(
        list(nodes.order_by("code")),
        seen.by_node,
        current_suspicion(),
        levels=levels,
        descendants=descendants,
    )
    return render(
        request,
        "console/network_tree.html",
        {
            "tree": tree,
            "uncounted": seen.uncounted,
            "query": query,
            "matches": matches,
            "total": len(links),
            "security": is_security(request.user),
        },
    )


@security_required(VIEWER)
def node_detail(request, code: str):
    node = get_object_or_404(Node.objects.select_related("parent"), code=code)
    exposures = (
        Exposure.objects.filter(node=node)
        .values("decoy__campaign__slug", "decoy__campaign__name", "channel")
        .annotate(
            decoys=Count("decoy_id", distinct=True), first=Min("visible_from"), last=Max("visible_from")
        )
        .order_by("decoy__campaign__name", "channel")
    )
    signals = (
        Signal.objects.filter(decoys__exposures__node=node)
        .select_related("campaign")
        .distinct()
        .order_by("-first_seen_at")[:50]
    )
    ancestors = []
    parent = node.parent
    while parent is not None:
        ancestors.insert(0, parent)
        parent = parent.parent
    record_request(request, "node.view", node)
    return render(
        request,
        "console/node_detail.html",
        {
            "node": node,
            "ancestors": ancestors,
            "children": node.children.order_by("code"),
            "exposures": exposures,
            "targets": CampaignTarget.objects.filter(node=node).select_related("campaign"),
            "signals": signals,
            "history": node_history(node),
            "security": is_security(request.user),
        },
    )


@security_required
def network_import(request):
    """Upload → preview (counts, changes, row errors); confirm imports exactly the previewed file."""
    if request.method == "POST" and "confirm" in request.POST:
        return _confirm_import(request)
    preview = None
    if request.method == "POST":
        upload = request.FILES.get("file")
        if upload is None:
            messages.error(request, _("Choose a CSV file to import."))
        elif upload.size > MAX_IMPORT_BYTES:
            messages.error(request, _("The file is larger than 20 MB."))
        else:
            data = upload.read()
            preview = preview_network_bytes(data)
            if preview.ok:
                request.session[SESSION_KEY] = {
                    "digest": preview.digest,
                    "name": upload.name,
                    "data": base64.b64encode(data).decode(),
                }
            record_request(
                request,
                "network.import_preview",
                file=upload.name,
                new=len(preview.new),
                changed=len(preview.changed),
                errors=len(preview.errors),
            )
    return render(request, "console/network_import.html", {"preview": preview})


def _confirm_import(request):
    pending = request.session.get(SESSION_KEY)
    if not pending or pending["digest"] != request.POST.get("digest"):
        messages.error(request, _("The previewed file is no longer waiting; upload it again."))
        return redirect("console:network-import")
    data = base64.b64decode(pending["data"])
    if digest_of(data) != pending["digest"]:
        messages.error(request, _("The previewed file is no longer waiting; upload it again."))
        return redirect("console:network-import")
    try:
        result = import_network_bytes(data)
    except NetworkImportError as exc:
        # The tree changed between preview and confirmation (someone else imported).
        for error in exc.translated()[:20]:
            messages.error(request, error)
        return redirect("console:network-import")
    finally:
        request.session.pop(SESSION_KEY, None)
    record_request(
        request,
        "network.import",
        file=pending["name"],
        created=result.created,
        updated=result.updated,
        unchanged=result.unchanged,
    )
    messages.success(
        request,
        _("Imported: %(created)d new, %(updated)d changed, %(unchanged)d unchanged.")
        % {"created": result.created, "updated": result.updated, "unchanged": result.unchanged},
    )
    return redirect("console:network")


@security_required
def network_export(request):
    out = io.StringIO()
    count = export_network(out)
    record_request(request, "network.export", count=count)
    # A BOM so that Excel on Chinese Windows opens the UTF-8 file with the right characters.
    response = HttpResponse(
        ("\ufeff" + out.getvalue()).encode("utf-8"), content_type="text/csv; charset=utf-8"
    )
    response["Content-Disposition"] = 'attachment; filename="network.csv"'
    return response
