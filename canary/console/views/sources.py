"""Sources: add, edit, enable; test a fetch without storing anything; fetch now; last status."""

from __future__ import annotations

import logging

from django.conf import settings
from django.contrib import messages
from django.shortcuts import get_object_or_404, redirect, render
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from canary.alerts.ssrf import UnsafeTarget
from canary.audit.decorators import security_required
from canary.audit.services import record_request
from canary.console.forms.sources import SourceForm
from canary.sightings.fetchers import ACCEPTED_TYPES, FetchError, fetch_url, watched_folder
from canary.sightings.models import Source, SourceKind

from .editing import edit_page, toggle_enabled

log = logging.getLogger(__name__)


@security_required
def source_list(request):
    sources = Source.objects.exclude(kind=SourceKind.UPLOAD).select_related("schedule")
    return render(request, "console/source_list.html", {"sources": sources})


@security_required
def source_edit(request, pk: int | None = None):
    source = get_object_or_404(Source.objects.exclude(kind=SourceKind.UPLOAD), pk=pk) if pk else None
    form = SourceForm(request.POST or None, instance=source, user=request.user)
    # Saving a source re-syncs its periodic fetch.
    return edit_page(
        request,
        form,
        audit="source.save",
        back="console:sources",
        template="console/source_form.html",
        source=source,
    )


@security_required
@require_POST
def source_toggle(request, pk: int):
    # The source's periodic fetch follows (its save hook).
    return toggle_enabled(request, get_object_or_404(Source, pk=pk), "source", "console:sources")


@security_required
@require_POST
def source_fetch_now(request, pk: int):
    from tasks.sightings import fetch_source

    source = get_object_or_404(Source, pk=pk)
    try:
        fetch_source.delay(source.pk)
    except Exception:
        log.exception("could not queue a fetch of source %s", source.pk)
        messages.error(request, _("The task queue is not reachable; try again later."))
    else:
        record_request(request, "source.fetch_now", source)
        messages.success(request, _("Fetch of “%(name)s” queued.") % {"name": source.name})
    return redirect("console:sources")


@security_required
@require_POST
def source_test(request, pk: int):
    """Try the source once and report what came back; nothing is stored or scanned."""
    source = get_object_or_404(Source, pk=pk)
    try:
        if source.kind == SourceKind.FOLDER:
            files = sum(1 for path in watched_folder(source).rglob("*") if path.is_file())
            messages.success(request, _("Folder readable: %(count)d files.") % {"count": files})
        else:
            fetched = fetch_url(
                source.url,
                accept=ACCEPTED_TYPES[source.kind],
                allow_private=source.internal or settings.ALLOW_PRIVATE_TARGETS,
                allow_loopback=source.internal or settings.ALLOW_LOOPBACK_TARGETS,
            )
            result = {
                "status": fetched.status,
                "type": fetched.content_type,
                "size": filesizeformat(len(fetched.body)),
            }
            messages.success(request, _("Fetched: HTTP %(status)s, %(type)s, %(size)s.") % result)
    except (FetchError, UnsafeTarget, OSError) as error:
        messages.error(request, _("Test failed: %(error)s") % {"error": error})
    record_request(request, "source.test", source)
    return redirect("console:sources")
