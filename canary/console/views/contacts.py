"""Console page: contacts to canary numbers, newest first. Security roles only, every view audited."""

from __future__ import annotations

from collections import defaultdict

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


def _name_matched_decoys(contacts: list[Contact]) -> None:
    """``decoys_shown`` (the first few, by id) and ``decoys_not_shown`` (how many more) on each
    contact, in two queries for the page: the links, then the decoys named."""
    links = Contact.matched_decoys.through.objects.filter(contact_id__in=[c.pk for c in contacts])
    matched: dict[int, list[int]] = defaultdict(list)
    for contact_id, decoy_id in links.order_by("contact_id", "decoy_id").values_list(
        "contact_id", "decoy_id"
    ):
        matched[contact_id].append(decoy_id)
    shown = {pk: ids[:DECOYS_SHOWN] for pk, ids in matched.items()}
    decoys = Decoy.objects.select_related("target").in_bulk([d for ids in shown.values() for d in ids])
    for contact in contacts:
        contact.decoys_shown = [decoys[d] for d in shown.get(contact.pk, []) if d in decoys]
        contact.decoys_not_shown = len(matched.get(contact.pk, [])) - len(contact.decoys_shown)


@security_required
def contact_list(request):
    kind = request.GET.get("kind", "")
    state = request.GET.get("state", "")
    contacts = Contact.objects.select_related("number")
    if kind in ContactKind.values:
        contacts = contacts.filter(kind=kind)
    contacts = contacts.in_state(state)
    page = keyset_page(contacts, ("-received_at", "-id"), request.GET, PAGE_SIZE)
    _name_matched_decoys(list(page))
    record_request(
        request, "phones.contacts.view", kind=kind, state=state, after=request.GET.get("after", "")
    )
    context = {"page": page, "kind": kind, "state": state, "kinds": ContactKind.choices}
    return render(request, "console/contact_list.html", context)
