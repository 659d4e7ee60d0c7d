"""Slack incoming webhook: ``{"text": ...}`` in Slack's mrkdwn; Slack answers ``ok``.

Slack reports a revoked hook or archived channel with 403/404/410 (permanent) and rate limits
with 429 (transient); the shared HTTP helper maps those.
"""

from __future__ import annotations

from canary.alerts.render import render

from .base import encode_json, post


def notify(alert) -> str:
    message = render(alert.payload)
    text = f"*{message.title}*\n" + "\n".join(message.lines)
    if message.url:
        text += f"\n<{message.url}|{message.url}>"
    post(alert.channel.target, encode_json({"text": text}))
    return ""
