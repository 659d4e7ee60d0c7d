"""The audit log: who looked at or exported decoy data. Security admins only."""

from __future__ import annotations

import csv

from django.http import StreamingHttpResponse
from django.shortcuts import render
from django.utils import timezone

from canary.audit.decorators import security_required
from canary.audit.models import AuditEvent
from canary.audit.roles import SECURITY_ADMIN
from canary.audit.services import record_request
from canary.console.forms.audit import AuditFilterForm
from canary.keyset import keyset_page

PAGE_SIZE = 100
COLUMNS = ("at", "actor", "action", "object_type", "object_id", "ip", "detail")


@security_required(SECURITY_ADMIN)
def audit_log(request):
    form = AuditFilterForm(request.GET or None)
    events = form.filter(AuditEvent.objects.all())
    page = keyset_page(events, ("-at", "-id"), request.GET, PAGE_SIZE)
    record_request(request, "audit.view", query=request.GET.urlencode())
    return render(request, "console/audit_log.html", {"form": form, "page": page})


class _Echo:
    def write(self, value: str) -> str:
        return value


@security_required(SECURITY_ADMIN)
def audit_export(request):
    form = AuditFilterForm(request.GET or None)
    events = form.filter(AuditEvent.objects.all()).order_by("at", "id")
    record_request(request, "audit.export", query=request.GET.urlencode())
    writer = csv.writer(_Echo())
    zone = timezone.get_current_timezone()

    def rows():
        yield "\ufeff" + writer.writerow(COLUMNS)  # BOM: Excel opens UTF-8 Chinese correctly
        for event in events.iterator(chunk_size=2000):
            at = event.at.astimezone(zone).isoformat(timespec="seconds")
            yield writer.writerow(
                (
                    at,
                    event.actor,
                    event.action,
                    event.object_type,
                    event.object_id,
                    event.ip or "",
                    event.detail,
                )
            )

    response = StreamingHttpResponse(rows(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="audit-log.csv"'
    return response
