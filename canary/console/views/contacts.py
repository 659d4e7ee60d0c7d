"""Console page: contacts to canary numbers, newest first. Security roles only, every view audited."""

from __future__ import annotations

from django.db.models import Count, Prefetch
from django.shortcuts import render

from canary.audit.decorators import security_required
from canary.audit.services import record_request
from canary.campaigns.models import Decoy
from canary.keyset import keyset_page
from canary.phones.models import Contact, ContactKind

PAGE_SIZE = 50
# A call to a canary number matches every decoy carrying it (hundreds at national scale): the
# list names the first few and counts the rest.
DECOYS_SHOWN = 10


@security_required
def contact_list(request):
    kind = request.GET.get("kind", "")
    state = request.GET.get("state", "")
    decoys = Decoy.objects.select_related("target").order_by("id")[:DECOYS_SHOWN]
    contacts = Contact.objects.select_related("number").prefetch_related(
        Prefetch("matched_decoys", decoys, to_attr="decoys_shown")
    )
    if kind in ContactKind.values:
        contacts = contacts.filter(kind=kind)
    contacts = contacts.in_state(state)
    page = keyset_page(contacts, ("-received_at", "-id"), request.GET, PAGE_SIZE)
    matched = dict(
        Contact.matched_decoys.through.objects.filter(contact_id__in=[c.pk for c in page])
        .values("contact_id")
        .annotate(n=Count("id"))
        .values_list("contact_id", "n")
    )
    for contact in page:
        contact.decoys_not_shown = matched.get(contact.pk, 0) - len(contact.decoys_shown)
    record_request(
        request, "phones.contacts.view", kind=kind, state=state, after=request.GET.get("after", "")
    )
    context = {"page": page, "kind": kind, "state": state, "kinds": ContactKind.choices}
    return render(request, "console/contact_list.html", context)
