"""Feishu custom bot (飞书自定义机器人): text message, signed in the body when a secret is set.

Signing differs from DingTalk: ``timestamp`` in seconds; ``sign = base64(HMAC-SHA256(
key=f"{timestamp}\\n{secret}", msg=b""))``, sent as body fields ``timestamp`` and ``sign``.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import time

from canary.alerts.render import render

from .base import encode_json, post, robot_result

# 9499 / 11232: rate limited. Other codes (19021 bad signature, 19024 keyword...) are config errors.
TRANSIENT_CODES = {9499, 11232}


def sign(secret: str, timestamp: str) -> str:
    digest = hmac.new(f"{timestamp}\n{secret}".encode(), b"", hashlib.sha256).digest()
    return base64.b64encode(digest).decode("ascii")


def notify(alert) -> str:
    message = render(alert.payload)
    body: dict = {"msg_type": "text", "content": {"text": message.text}}
    if alert.channel.secret:
        timestamp = str(int(time.time()))
        body = {"timestamp": timestamp, "sign": sign(alert.channel.secret, timestamp), **body}
    robot_result(post(alert.channel.target, encode_json(body)), "code", TRANSIENT_CODES)
    return ""
