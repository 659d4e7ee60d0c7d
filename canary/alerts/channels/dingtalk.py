"""DingTalk custom robot (钉钉自定义机器人), markdown message, with the "加签" signature.

Signing: ``timestamp`` in milliseconds; ``sign = urlencode(base64(HMAC-SHA256(key=secret,
msg=f"{timestamp}\\n{secret}")))``; both appended to the robot URL's query string.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import time
from urllib.parse import quote_plus

from canary.alerts.render import render

from .base import encode_json, post, robot_result

# 130101: sending too fast; -1: system busy. Anything else is a configuration problem.
TRANSIENT_CODES = {130101, -1}


def sign(secret: str, timestamp_ms: str) -> str:
    digest = hmac.new(secret.encode("utf-8"), f"{timestamp_ms}\n{secret}".encode(), hashlib.sha256).digest()
    return quote_plus(base64.b64encode(digest))


def signed_url(url: str, secret: str, timestamp_ms: str) -> str:
    if not secret:
        return url
    joiner = "&" if "?" in url else "?"
    return f"{url}{joiner}timestamp={timestamp_ms}&sign={sign(secret, timestamp_ms)}"


def notify(alert) -> str:
    message = render(alert.payload)
    timestamp_ms = str(int(time.time() * 1000))
    body = {"msgtype": "markdown", "markdown": {"title": message.title, "text": message.markdown}}
    response = post(signed_url(alert.channel.target, alert.channel.secret, timestamp_ms), encode_json(body))
    robot_result(response, "errcode", TRANSIENT_CODES)
    return ""
