"""Incident pages: list, detail with its actions, case files.

Viewers see incidents (state, suspected node, posterior) without decoy identities: no evidence,
no notes, no case files, no actions.
"""

from __future__ import annotations

from django.contrib import messages
from django.http import FileResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _

from canary.alerts import incidents
from canary.alerts.case_documents import attach_original_documents
from canary.alerts.models import CaseFile, CaseFileStatus, Incident, IncidentState
from canary.audit.decorators import refuse, security_required
from canary.audit.roles import SECURITY_ANALYST, VIEWER, is_security
from canary.audit.services import record_request
from canary.keyset import keyset_page
from canary.queue import publish_after_commit

PAGE_SIZE = 50


@security_required(VIEWER)
def incident_list(request):
    state = request.GET.get("state", "")
    rows = Incident.objects.select_related("campaign", "node", "assignee")
    if state:
        rows = rows.filter(state=state)
    page = keyset_page(rows, ("-last_activity_at", "-id"), request.GET, PAGE_SIZE)
    return render(
        request,
        "console/incident_list.html",
        {"incidents": page, "page": page, "states": IncidentState.choices, "state": state},
    )


@security_required(VIEWER)
def incident_detail(request, pk: int):
    incident = get_object_or_404(Incident.objects.select_related("campaign", "node", "assignee"), pk=pk)
    security = is_security(request.user)
    if request.method == "POST":
        if not security:
            raise refuse(request, SECURITY_ANALYST)
        return _incident_action(request, incident)
    record_request(request, "incident.view", incident)
    if not security:
        return render(
            request,
            "console/incident_detail.html",
            {"incident": incident, "timeline": incident.timeline.all()},
        )
    return render(
        request,
        "console/incident_detail.html",
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
    elif action == "acknowledge" and incident.state == IncidentState.NEW:
        incidents.change_state(incident, IncidentState.INVESTIGATING, actor=actor, note=_("Acknowledged"))
        incidents.assign(incident, request.user, actor=actor)
    elif action == "close":
        _close(incident, request.POST.get("verdict", ""), actor=actor, note=request.POST.get("note", ""))
    elif action == "note" and request.POST.get("note", "").strip():
        incidents.add_note(incident, request.POST["note"].strip(), actor=actor)
    elif action == "assign_me":
        incidents.assign(incident, request.user, actor=actor)
    elif action == "case_file":
        attach_original_documents(incident, actor=actor)
        case = CaseFile.objects.create(incident=incident, requested_by=actor)
        record_request(request, "incident.case_file", incident, case_file=case.pk)
        publish_after_commit("alerts.build_case_file", case.pk)
    return redirect("alerts:incident", pk=incident.pk)


def _close(incident: Incident, verdict: str, *, actor: str, note: str) -> None:
    """One click to closed, through the verdict the state machine requires on the way."""
    if verdict not in (IncidentState.CONFIRMED, IncidentState.FALSE_POSITIVE):
        return
    if incident.state in (IncidentState.NEW, IncidentState.INVESTIGATING):
        incidents.change_state(incident, verdict, actor=actor, note=note)
    if incident.state in (IncidentState.CONFIRMED, IncidentState.FALSE_POSITIVE):
        incidents.change_state(incident, IncidentState.CLOSED, actor=actor, note=note)


@security_required
def case_file_progress(request, pk: int):
    case = get_object_or_404(CaseFile, pk=pk)
    if request.headers.get("HX-Request"):
        # The incident page polls the row until the file is ready.
        return render(request, "console/_casefile.html", {"case": case})
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
