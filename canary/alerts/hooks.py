"""Webhook: Twilio's delivery report for an alert SMS."""

from __future__ import annotations

from django.conf import settings
from django.http import HttpResponse, HttpResponseForbidden
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST
from twilio.request_validator import RequestValidator

from . import services


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
    services.apply_twilio_status(alert_id, request.POST.dict())
    # Twilio only needs a 2xx; an unknown alert id is not worth a retry storm.
    return HttpResponse(status=204)
