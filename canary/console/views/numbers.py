"""The canary number pool: by status, assignments, quarantine ends; add and release numbers."""

from __future__ import annotations

from django.contrib import messages
from django.core.paginator import Paginator
from django.db.models import Count, Prefetch
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import formats
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from canary.audit.decorators import security_required
from canary.audit.services import record_request
from canary.console.forms.numbers import AddNumbersForm
from canary.phones.models import CanaryNumber, NumberAssignment, NumberStatus
from canary.phones.numbers import releasable, release
from canary.phones.pool import add_numbers, free_numbers
from canary.phones.providers import ProviderError

PAGE_SIZE = 100


def why_not_releasable(number: CanaryNumber, free: bool) -> str:
    """In the reader's language: why the number cannot be given back yet ("" when it can).
    ``free``: the number is in the free pool (``free_numbers``), as ``releasable`` asks."""
    if free and number.status != NumberStatus.RETIRED:
        return ""
    if number.status == NumberStatus.RETIRED:
        return _("Released")
    if number.status == NumberStatus.QUARANTINED:
        until = formats.date_format(number.quarantined_until, "Y-m-d")
        return _("Quarantined until %(date)s") % {"date": until}
    return _("Printed on decoys of campaign %(campaign)s") % {"campaign": number.campaign}


def _free_ids(numbers: list[CanaryNumber]) -> set[int]:
    free = CanaryNumber.objects.filter(free_numbers(), pk__in=[n.pk for n in numbers])
    return set(free.values_list("pk", flat=True))


@security_required
def number_list(request):
    form = AddNumbersForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        added, known = add_numbers(form.cleaned_data["numbers"], form.cleaned_data["provider"])
        record_request(request, "numbers.add", added=[n.e164 for n in added], known=known)
        messages.success(
            request,
            _("%(added)d numbers added, %(known)d already in the pool.")
            % {"added": len(added), "known": len(known)},
        )
        return redirect("console:numbers")
    status = request.GET.get("status", "")
    numbers = CanaryNumber.objects.select_related("campaign").prefetch_related(
        Prefetch("assignments", NumberAssignment.objects.select_related("campaign").order_by("-assigned_at"))
    )
    if status in NumberStatus.values:
        numbers = numbers.filter(status=status)
    page = Paginator(numbers.order_by("status", "e164"), PAGE_SIZE).get_page(request.GET.get("page"))
    # One query for the page rather than one per number.
    free = _free_ids(list(page))
    for number in page:
        number.blocked_because = why_not_releasable(number, number.pk in free)
    counts = dict(CanaryNumber.objects.values_list("status").annotate(n=Count("id")))
    by_status = [(value, label, counts.get(value, 0)) for value, label in NumberStatus.choices]
    record_request(request, "numbers.view", status=status, page=page.number)
    context = {"form": form, "page": page, "status": status, "by_status": by_status}
    return render(request, "console/number_list.html", context)


@security_required
@require_POST
def number_release(request, pk: int):
    number = get_object_or_404(CanaryNumber, pk=pk)
    reason = why_not_releasable(number, releasable(number) is None)
    if reason:
        messages.error(
            request,
            _("%(number)s cannot be released: %(reason)s") % {"number": number.e164, "reason": reason},
        )
        return redirect("console:numbers")
    try:
        release(number)
    except ProviderError as error:
        messages.error(
            request,
            _("The provider refused to release %(number)s: %(error)s")
            % {"number": number.e164, "error": error},
        )
    else:
        record_request(request, "number.release", number, provider=number.provider)
        messages.success(request, _("%(number)s released.") % {"number": number.e164})
    return redirect("console:numbers")
