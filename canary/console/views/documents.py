"""Document pages: upload a dump, follow documents being scanned. Security roles only."""

from __future__ import annotations

from django.contrib import messages
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from canary.audit.decorators import security_required
from canary.audit.services import record_request
from canary.sightings.forms import UploadForm
from canary.sightings.models import Document, DocumentStatus, Source, SourceKind
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
        return redirect("sightings:documents")
    return render(request, "console/upload.html", {"form": form})


@security_required
def document_list(request):
    status = request.GET.get("status", "")
    documents = Document.objects.select_related("source")
    if status:
        documents = documents.filter(status=status)
    page = Paginator(documents, PAGE_SIZE).get_page(request.GET.get("page"))
    record_request(request, "sightings.documents.view", status=status)
    context = {
        "page": page,
        "status": status,
        "statuses": DocumentStatus.choices,
        "sources": Source.objects.exclude(kind=SourceKind.UPLOAD),
    }
    return render(request, "console/document_list.html", context)
