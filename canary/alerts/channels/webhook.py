"""Generic webhook: the alert payload as JSON, signed with the channel's secret.

Headers: ``X-Canary-Alert-Id``, ``Idempotency-Key``, ``X-Canary-Timestamp`` (Unix seconds) and
``X-Canary-Signature: sha256=<hex HMAC-SHA256 of "<timestamp>.<body>">``. The receiver
recomputes the HMAC over the raw body bytes and refuses stale timestamps (replays). The body's
``idempotency_key`` (also the ``Idempotency-Key`` header) is the same on every attempt of one
alert: a receiver that has seen it drops the message (a send whose result we could not record
is repeated).
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
    key = str(alert.idempotency_key)
    body = encode_json(
        {
            "alert_id": alert.pk,
            "idempotency_key": key,
            "title": message.title,
            "text": message.text,
            **alert.payload,
        }
    )
    timestamp = str(int(time.time()))
    post(
        channel.target,
        body,
        {
            "X-Canary-Alert-Id": str(alert.pk),
            "Idempotency-Key": key,
            "X-Canary-Timestamp": timestamp,
            "X-Canary-Signature": signature(channel.secret, timestamp, body),
        },
    )
    return ""
