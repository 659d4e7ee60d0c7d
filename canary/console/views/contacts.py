"""Console page: contacts to canary numbers, newest first. Security roles only, every view audited."""

from __future__ import annotations

from django.core.paginator import Paginator
from django.db.models import Prefetch
from django.shortcuts import render

from canary.audit.decorators import security_required
from canary.audit.services import record_request
from canary.campaigns.models import Decoy
from canary.phones.models import Contact, ContactKind

PAGE_SIZE = 50


@security_required
def contact_list(request):
    kind = request.GET.get("kind", "")
    state = request.GET.get("state", "")
    decoys = Decoy.objects.select_related("target").order_by("id")
    contacts = Contact.objects.select_related("number").prefetch_related(Prefetch("matched_decoys", decoys))
    if kind in ContactKind.values:
        contacts = contacts.filter(kind=kind)
    contacts = contacts.in_state(state)
    page = Paginator(contacts, PAGE_SIZE).get_page(request.GET.get("page"))
    record_request(request, "phones.contacts.view", kind=kind, state=state, page=page.number)
    context = {"page": page, "kind": kind, "state": state, "kinds": ContactKind.choices}
    return render(request, "console/contact_list.html", context)
