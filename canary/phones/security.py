"""Checking who may post to the hooks, and a rate-limited record of refused requests."""

from __future__ import annotations

import ipaddress
import logging
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import F
from django.http import HttpRequest
from django.utils import timezone
from twilio.request_validator import RequestValidator

from .models import SecurityEvent

log = logging.getLogger("canary.security")


def twilio_signature_valid(request: HttpRequest) -> bool:
    """Validate ``X-Twilio-Signature`` against the URL Twilio was given.

    The URL is rebuilt from ``PUBLIC_BASE_URL`` (what we configured at Twilio), never from the
    request's host and scheme, which a TLS-terminating proxy rewrites.
    """
    token = settings.TWILIO_AUTH_TOKEN
    signature = request.headers.get("X-Twilio-Signature", "")
    if not token or not signature:
        return False
    url = settings.PUBLIC_BASE_URL + request.get_full_path()
    return RequestValidator(token).validate(url, request.POST, signature)


def client_ip(request: HttpRequest) -> str | None:
    return request.META.get("REMOTE_ADDR") or None


def ip_allowed(ip: str | None, allowed: list[str]) -> bool:
    """True when no allow-list is set, or ``ip`` is in one of its addresses / CIDR networks."""
    if not allowed:
        return True
    if not ip:
        return False
    try:
        address = ipaddress.ip_address(ip)
        return any(
            address in ipaddress.ip_network(entry.strip(), strict=False) for entry in allowed if entry.strip()
        )
    except ValueError:
        return False


def record_refusal(request: HttpRequest, kind: str, **detail: Any) -> None:
    """Count a refused request: one row per (kind, source IP, minute), one log line per row."""
    ip = client_ip(request)
    minute = timezone.now().replace(second=0, microsecond=0)
    counted = SecurityEvent.objects.filter(kind=kind, source_ip=ip, minute=minute).update(
        count=F("count") + 1
    )
    if counted:
        return
    try:
        with transaction.atomic():
            SecurityEvent.objects.create(
                kind=kind, source_ip=ip, minute=minute, path=request.path[:200], detail=detail
            )
    except IntegrityError:
        # Another request of the same minute created the row first.
        SecurityEvent.objects.filter(kind=kind, source_ip=ip, minute=minute).update(count=F("count") + 1)
        return
    log.warning("refused %s from %s on %s %s", kind, ip, request.path, detail)
