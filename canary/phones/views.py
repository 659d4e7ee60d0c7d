"""Inbound hooks: thin views that check the sender, store, and answer.

Each view stores the contact (committed) before it answers; processing is queued after commit.
"""

from __future__ import annotations

import hmac
import json
import time
from collections.abc import Callable
from functools import wraps

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse, RawPostDataException
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from . import contacts, gateways, tracking
from .evidence import without_nul
from .providers import smsgate
from .security import client_ip, ip_allowed, record_refusal, twilio_signature_valid
from .tracking_signature import verify
from .voicemail import EMPTY_TWIML, greeting_twiml, hangup_twiml

TWIML = "text/xml; charset=utf-8"


def twilio_signed(view: Callable[[HttpRequest], HttpResponse]) -> Callable[[HttpRequest], HttpResponse]:
    """POST only, CSRF-exempt, and refused with 403 unless Twilio's signature checks out."""

    @csrf_exempt
    @require_POST
    @wraps(view)
    def checked(request: HttpRequest) -> HttpResponse:
        if not twilio_signature_valid(request):
            record_refusal(
                request,
                "twilio.bad_signature",
                signed=bool(request.headers.get("X-Twilio-Signature")),
                sid=without_nul(request.POST.get("MessageSid") or request.POST.get("CallSid") or "")[:100],
            )
            return HttpResponse("invalid signature", status=403, content_type="text/plain")
        return view(request)

    return checked


def _body(request: HttpRequest) -> bytes:
    """The request exactly as sent (kept as evidence when a value had to be changed)."""
    try:
        return request.body
    except RawPostDataException:  # a multipart body was streamed into request.POST
        return b""


@twilio_signed
def twilio_sms(request: HttpRequest) -> HttpResponse:
    contacts.store_twilio_sms(request.POST, _body(request))
    return HttpResponse(EMPTY_TWIML, content_type=TWIML)


@twilio_signed
def twilio_voice(request: HttpRequest) -> HttpResponse:
    contacts.store_twilio_call(request.POST, _body(request))
    return HttpResponse(greeting_twiml(), content_type=TWIML)


@twilio_signed
def twilio_voice_done(request: HttpRequest) -> HttpResponse:
    """``<Record action>``: the caller finished the message; keep what Twilio says and hang up."""
    contacts.attach_to_call(request.POST, "record_action", _body(request))
    return HttpResponse(hangup_twiml(), content_type=TWIML)


@twilio_signed
def twilio_recording(request: HttpRequest) -> HttpResponse:
    contacts.attach_to_call(request.POST, "recording", _body(request))
    return HttpResponse(EMPTY_TWIML, content_type=TWIML)


@twilio_signed
def twilio_transcription(request: HttpRequest) -> HttpResponse:
    contacts.attach_to_call(request.POST, "transcription", _body(request))
    return HttpResponse(EMPTY_TWIML, content_type=TWIML)


@twilio_signed
def twilio_status(request: HttpRequest) -> HttpResponse:
    contacts.attach_to_call(request.POST, "status", _body(request))
    return HttpResponse(EMPTY_TWIML, content_type=TWIML)


ALIYUN_ACK = {"code": 0, "msg": "接收成功"}


@csrf_exempt
@require_POST
def aliyun_pls(request: HttpRequest, secret: str) -> HttpResponse:
    """Alibaba's receipt push: a JSON array of call records / intercepted SMS, acknowledged fast."""
    expected = settings.ALIYUN_PLS_HOOK_SECRET
    if not expected or not hmac.compare_digest(secret.encode(), expected.encode()):
        record_refusal(request, "aliyun.bad_secret")
        return HttpResponse(status=404)
    if not ip_allowed(client_ip(request), settings.ALIYUN_PLS_ALLOWED_IPS):
        record_refusal(request, "aliyun.ip_not_allowed")
        return HttpResponse(status=403)
    try:
        records = json.loads(request.body)
    except (ValueError, UnicodeDecodeError, RecursionError) as exc:
        # Authenticated, so evidence: kept byte for byte with the reason, then refused.
        contacts.store_unread("aliyun_pls", request.body, f"invalid JSON ({type(exc).__name__}: {exc})"[:500])
        return JsonResponse({"code": 1, "msg": "invalid JSON"}, status=400)
    if isinstance(records, dict):
        records = [records]
    if not isinstance(records, list):
        contacts.store_unread("aliyun_pls", request.body, "expected a JSON array")
        return JsonResponse({"code": 1, "msg": "expected a JSON array"}, status=400)
    contacts.store_aliyun_records(r for r in records if isinstance(r, dict))
    return JsonResponse(ALIYUN_ACK, json_dumps_params={"ensure_ascii": False})


@csrf_exempt
@require_POST
def tracking_lookup(request: HttpRequest) -> HttpResponse:
    """A lookup reported by the carrier's tracking system; non-decoy numbers are dismissed at once."""
    signature = request.headers.get("X-Canary-Signature")
    verdict = verify(
        settings.TRACKING_HOOK_SECRET,
        request.headers.get("X-Canary-Timestamp"),
        signature,
        request.body,
        now=time.time(),
        window_seconds=getattr(settings, "TRACKING_HOOK_WINDOW_SECONDS", 300),
    )
    if not verdict.ok:
        record_refusal(request, "tracking.refused", reason=verdict.reason)
        return HttpResponse(verdict.reason, status=403, content_type="text/plain")
    try:
        report = tracking.parse_report(request.body)
    except tracking.BadReport as exc:
        contacts.store_unread("tracking", request.body, str(exc))
        return HttpResponse(str(exc), status=400, content_type="text/plain")
    decoy_id = tracking.decoy_waybills.decoy_id(report.waybill_no)
    if decoy_id is None:
        return HttpResponse(status=204)
    if tracking.store_lookup(decoy_id, report, nonce=signature or "") is None:
        record_refusal(request, "tracking.replayed")
        return HttpResponse("replayed", status=409, content_type="text/plain")
    return HttpResponse(status=202)


@csrf_exempt
@require_POST
def smsgate_event(request: HttpRequest) -> HttpResponse:
    """A SIM gateway's event, signed over the raw body and its timestamp; stored before the answer."""
    refused = smsgate.check_signature(
        settings.SMSGATE_SIGNING_KEY,
        request.headers.get("X-Timestamp"),
        request.headers.get("X-Signature"),
        request.body,
        now=time.time(),
        window=settings.SMSGATE_WINDOW_SECONDS,
    )
    if refused:
        record_refusal(request, "smsgate.refused", reason=refused)
        return HttpResponse(refused, status=403, content_type="text/plain")
    try:
        event = smsgate.parse_event(request.body)
    except smsgate.MalformedEvent as exc:
        record_refusal(request, "smsgate.malformed", reason=str(exc)[:200])
        return HttpResponse(str(exc), status=400, content_type="text/plain")
    stored = gateways.store_event(event)
    return JsonResponse({"status": stored.status})
