"""Console pages for incidents and channels, and Twilio's SMS delivery-status callback."""

from __future__ import annotations

from functools import wraps

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import FileResponse, HttpResponse, HttpResponseForbidden, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST
from twilio.request_validator import RequestValidator

from canary.audit.roles import is_security
from canary.audit.services import record_request
from canary.queue import publish_after_commit

from . import delivery, incidents, services
from .models import CaseFile, CaseFileStatus, Channel, Incident, IncidentState


def security_required(view):
    @login_required
    @wraps(view)
    def wrapper(request, *args, **kwargs):
        if not is_security(request.user):
            raise PermissionDenied
        return view(request, *args, **kwargs)

    return wrapper


@security_required
def incident_list(request):
    state = request.GET.get("state", "")
    rows = Incident.objects.select_related("campaign", "node", "assignee")
    if state:
        rows = rows.filter(state=state)
    return render(
        request,
        "alerts/incident_list.html",
        {"incidents": rows[:200], "states": IncidentState.choices, "state": state},
    )


@security_required
def incident_detail(request, pk: int):
    incident = get_object_or_404(Incident.objects.select_related("campaign", "node", "assignee"), pk=pk)
    if request.method == "POST":
        return _incident_action(request, incident)
    record_request(request, "incident.view", incident)
    return render(
        request,
        "alerts/incident_detail.html",
        {
            "incident": incident,
            "transitions": [
                (s, IncidentState(s).label) for s in incidents.TRANSITIONS.get(incident.state, ())
            ],
            "timeline": incident.timeline.all(),
            "evidence": incident.evidence.all(),
            "alerts": incident.alerts.select_related("channel")[:50],
            "case_files": incident.case_files.all()[:5],
        },
    )


def _incident_action(request, incident: Incident):
    action = request.POST.get("action")
    actor = request.user.get_username()
    if action == "state":
        try:
            incidents.change_state(
                incident, request.POST.get("state", ""), actor=actor, note=request.POST.get("note", "")
            )
        except incidents.InvalidTransition:
            messages.error(request, _("That state change is not allowed."))
    elif action == "note" and request.POST.get("note", "").strip():
        incidents.add_note(incident, request.POST["note"].strip(), actor=actor)
    elif action == "assign_me":
        incidents.assign(incident, request.user, actor=actor)
    elif action == "case_file":
        case = CaseFile.objects.create(incident=incident, requested_by=actor)
        record_request(request, "incident.case_file", incident, case_file=case.pk)
        publish_after_commit("alerts.build_case_file", case.pk)
    return redirect("alerts:incident", pk=incident.pk)


@security_required
def case_file_progress(request, pk: int):
    case = get_object_or_404(CaseFile, pk=pk)
    body = {"status": case.status, "progress": case.progress, "error": case.error}
    if case.status == CaseFileStatus.DONE:
        body["download"] = reverse("alerts:casefile-download", args=[case.pk])
        body["sha256"] = case.sha256
    return JsonResponse(body)


@security_required
def case_file_download(request, pk: int):
    case = get_object_or_404(CaseFile, pk=pk, status=CaseFileStatus.DONE)
    record_request(
        request, "incident.case_file.download", case.incident, case_file=case.pk, sha256=case.sha256
    )
    return FileResponse(case.file.open("rb"), as_attachment=True, filename=f"case-{case.incident_id}.zip")


@security_required
def channel_list(request):
    channels = Channel.objects.select_related("team")
    return render(request, "alerts/channel_list.html", {"channels": channels})


@security_required
@require_POST
def channel_test(request, pk: int):
    channel = get_object_or_404(Channel, pk=pk)
    services.send_test(channel, actor=request.user.get_username())
    record_request(request, "channel.test", channel)
    messages.info(request, _("Test message queued for %(name)s.") % {"name": channel.name})
    return redirect("alerts:channels")


@security_required
@require_POST
def channel_enable(request, pk: int):
    channel = get_object_or_404(Channel, pk=pk)
    delivery.reenable_channel(channel)
    record_request(request, "channel.enable", channel)
    return redirect("alerts:channels")


@csrf_exempt
@require_POST
def twilio_status(request, alert_id: int):
    """Twilio's delivery report for an alert SMS; the URL is signed with our auth token."""
    url = settings.PUBLIC_BASE_URL + request.get_full_path()
    validator = RequestValidator(settings.TWILIO_AUTH_TOKEN)
    if not settings.TWILIO_AUTH_TOKEN or not validator.validate(
        url, request.POST, request.headers.get("X-Twilio-Signature", "")
    ):
        return HttpResponseForbidden("invalid signature")
    delivery.apply_twilio_status(alert_id, request.POST.dict())
    # Twilio only needs a 2xx; an unknown alert id is not worth a retry storm.
    return HttpResponse(status=204)
