"""Document pages: upload a dump, follow documents being scanned. Security roles only."""

from __future__ import annotations

from pathlib import Path

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import FileResponse, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _

from canary.audit.decorators import security_required
from canary.audit.services import record_request
from canary.sightings.forms import UploadForm
from canary.sightings.models import Document, DocumentStatus
from canary.sightings.services import store_upload

PAGE_SIZE = 50


@security_required
def upload(request):
    form = UploadForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        document, created = store_upload(
            request, form.cleaned_data["file"], form.cleaned_data["seen_at"], "sightings.upload"
        )
        if created:
            messages.success(request, _("Stored “%(name)s”; it is being scanned.") % {"name": document.name})
        else:
            messages.info(request, _("This file was uploaded before; it is not stored twice."))
        if request.headers.get("HX-Request"):
            # The upload went through htmx (with a progress bar): send the browser on.
            return HttpResponse(headers={"HX-Redirect": reverse("sightings:documents")})
        return redirect("sightings:documents")
    return render(request, "console/upload.html", {"form": form})


@security_required
def document_list(request):
    status = request.GET.get("status", "")
    documents = Document.objects.select_related("source")
    if status:
        documents = documents.filter(status=status)
    page = Paginator(documents, PAGE_SIZE).get_page(request.GET.get("page"))
    in_progress = any(d.status in (DocumentStatus.PENDING, DocumentStatus.SCANNING) for d in page)
    context = {"page": page, "status": status, "statuses": DocumentStatus.choices, "in_progress": in_progress}
    if request.GET.get("rows"):
        # htmx polls the rows while documents are scanned; one audit entry per page view is enough.
        return render(request, "console/_document_rows.html", context)
    record_request(request, "sightings.documents.view", status=status)
    return render(request, "console/document_list.html", context)


@security_required
def document_download(request, pk: int):
    """The original file, byte for byte, with its hash in the audit log."""
    document = get_object_or_404(Document, pk=pk)
    record_request(request, "sightings.document.download", document, sha256=document.sha256)
    return FileResponse(
        document.file.open("rb"), as_attachment=True, filename=Path(document.name).name or "document"
    )
