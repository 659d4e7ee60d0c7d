"""Signing and checking tracking-lookup reports (HMAC-SHA256 with a shared secret). Pure: no Django.

The carrier's tracking system sends, with the JSON body:

* ``X-Canary-Timestamp``: Unix seconds when the report was signed;
* ``X-Canary-Signature``: ``sha256=`` + hex HMAC-SHA256 of ``"{timestamp}.{body}"`` (body as sent,
  bytes) with the shared secret.

A signature binds the body to its timestamp, so an old report cannot be replayed with a fresh
timestamp; a report outside the window is refused, and one inside it is refused the second time
by the receiver remembering the signature.
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass

PREFIX = "sha256="
DEFAULT_WINDOW_SECONDS = 300


def sign(secret: str, timestamp: int, body: bytes) -> str:
    """The ``X-Canary-Signature`` header value for ``body`` signed at ``timestamp``."""
    message = str(timestamp).encode() + b"." + body
    return PREFIX + hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()


@dataclass(frozen=True)
class Verdict:
    ok: bool
    reason: str = ""


def verify(
    secret: str,
    timestamp_header: str | None,
    signature_header: str | None,
    body: bytes,
    now: float,
    window_seconds: int = DEFAULT_WINDOW_SECONDS,
) -> Verdict:
    """Check a report's signature and freshness (not replay: the receiver remembers signatures)."""
    if not secret:
        return Verdict(False, "no secret configured")
    if not timestamp_header or not signature_header:
        return Verdict(False, "missing signature")
    try:
        timestamp = int(timestamp_header)
    except ValueError:
        return Verdict(False, "bad timestamp")
    if not hmac.compare_digest(sign(secret, timestamp, body), signature_header.strip()):
        return Verdict(False, "bad signature")
    if abs(now - timestamp) > window_seconds:
        return Verdict(False, "stale timestamp")
    return Verdict(True)
