"""The contract every transport keeps, and the one HTTP helper the robot/webhook transports share.

A transport is a module with ``notify(alert) -> str``: it sends the alert's message to the
alert's channel and returns the provider's message id (or ''). It raises ``TransportError``;
``permanent=True`` means retrying cannot help (bad address, revoked token, refused target) and
the channel is disabled; ``permanent=False`` means try again later.
"""

from __future__ import annotations

import json
import socket
from typing import Any

import requests
from django.conf import settings

from canary import netguard

TIMEOUT_SECONDS = 10
# HTTP statuses that say "later": the receiver is overloaded or briefly away.
TRANSIENT_STATUSES = {408, 425, 429, 500, 502, 503, 504}


class TransportError(Exception):
    def __init__(self, message: str, *, permanent: bool):
        super().__init__(message)
        self.permanent = permanent


def check_target(url: str) -> None:
    """The SSRF guard every outbound URL passes; a refused target is a permanent error."""
    try:
        netguard.check_url(
            url, allow_private=settings.ALLOW_PRIVATE_TARGETS, allow_loopback=settings.ALLOW_LOOPBACK_TARGETS
        )
    except netguard.UnsafeTarget as exc:
        raise _refused(exc) from exc


def _refused(exc: netguard.UnsafeTarget) -> TransportError:
    # A name that does not resolve now may resolve in a minute (DNS outage): try again later.
    unresolved = isinstance(exc.__cause__, socket.gaierror)
    return TransportError(f"target refused: {exc}", permanent=not unresolved)


def encode_json(body: Any) -> bytes:
    return json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def post(url: str, data: bytes, headers: dict[str, str] | None = None) -> requests.Response:
    """POST ``data`` to the address the SSRF guard checked; map failures to transient or permanent
    errors."""
    check_target(url)
    session = netguard.guarded_session(
        allow_private=settings.ALLOW_PRIVATE_TARGETS, allow_loopback=settings.ALLOW_LOOPBACK_TARGETS
    )
    try:
        response = session.post(
            url,
            data=data,
            headers={"Content-Type": "application/json; charset=utf-8", **(headers or {})},
            timeout=TIMEOUT_SECONDS,
            # A redirect could lead past the SSRF check to an internal address.
            allow_redirects=False,
        )
    except netguard.UnsafeTarget as exc:  # the name now resolves somewhere else (DNS rebinding)
        raise _refused(exc) from exc
    except requests.RequestException as exc:
        raise TransportError(f"{type(exc).__name__}: {exc}", permanent=False) from exc
    finally:
        session.close()
    if response.status_code in TRANSIENT_STATUSES:
        raise TransportError(f"HTTP {response.status_code}", permanent=False)
    if response.status_code >= 300:
        raise TransportError(f"HTTP {response.status_code}: {response.text[:200]}", permanent=True)
    return response


def robot_result(response: requests.Response, code_field: str, transient_codes: set[int]) -> None:
    """Robots answer HTTP 200 with an error code in the JSON body; 0 means accepted."""
    try:
        body = response.json()
    except ValueError as exc:
        raise TransportError(f"unexpected answer: {response.text[:200]}", permanent=False) from exc
    code = body.get(code_field, 0)
    if code in (0, None):
        return
    message = body.get("errmsg") or body.get("msg") or ""
    raise TransportError(f"{code_field}={code} {message}".strip(), permanent=code not in transient_codes)
