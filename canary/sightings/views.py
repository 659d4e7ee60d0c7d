"""Console pages: upload a dump, follow documents being scanned, list sightings. Security roles only."""

from __future__ import annotations

from django.contrib import messages
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from canary.audit.services import record_request
from canary.console.views import security_required

from .forms import UploadForm
from .models import Document, DocumentStatus, Sighting, Source, SourceKind
from .services import store_upload

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
    return render(request, "sightings/upload.html", {"form": form})


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
    return render(request, "sightings/document_list.html", context)


@security_required
def sighting_list(request):
    sightings = Sighting.objects.select_related("decoy", "decoy__target", "campaign", "document")
    document = request.GET.get("document", "")
    if document.isdigit():
        sightings = sightings.filter(document_id=int(document))
    page = Paginator(sightings, PAGE_SIZE).get_page(request.GET.get("page"))
    record_request(request, "sightings.sightings.view", document=document)
    return render(request, "sightings/sighting_list.html", {"page": page, "document": document})
