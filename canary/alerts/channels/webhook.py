"""Generic webhook: the alert payload as JSON, signed with the channel's secret.

Headers: ``X-Canary-Alert-Id``, ``X-Canary-Timestamp`` (Unix seconds) and
``X-Canary-Signature: sha256=<hex HMAC-SHA256 of "<timestamp>.<body>">``. The receiver
recomputes the HMAC over the raw body bytes and refuses stale timestamps (replays).
"""

from __future__ import annotations

import hashlib
import hmac
import time

from canary.alerts.render import render

from .base import TransportError, encode_json, post


def signature(secret: str, timestamp: str, body: bytes) -> str:
    digest = hmac.new(secret.encode("utf-8"), timestamp.encode("ascii") + b"." + body, hashlib.sha256)
    return f"sha256={digest.hexdigest()}"


def notify(alert) -> str:
    channel = alert.channel
    if not channel.secret:
        raise TransportError("webhook channel has no signing secret", permanent=True)
    message = render(alert.payload)
    body = encode_json({"alert_id": alert.pk, "title": message.title, "text": message.text, **alert.payload})
    timestamp = str(int(time.time()))
    post(
        channel.target,
        body,
        {
            "X-Canary-Alert-Id": str(alert.pk),
            "X-Canary-Timestamp": timestamp,
            "X-Canary-Signature": signature(channel.secret, timestamp, body),
        },
    )
    return ""
