"""WeCom group robot (企业微信群机器人): markdown message to the robot's webhook URL (key in it)."""

from __future__ import annotations

from canary.alerts.render import render

from .base import encode_json, post, robot_result

# 45009: API frequency limit; -1: system busy.
TRANSIENT_CODES = {45009, -1}
# WeCom refuses markdown content over 4096 bytes.
MAX_BYTES = 4096


def notify(alert) -> str:
    content = render(alert.payload).markdown
    while len(content.encode("utf-8")) > MAX_BYTES:
        content = content[:-100]
    body = {"msgtype": "markdown", "markdown": {"content": content}}
    robot_result(post(alert.channel.target, encode_json(body)), "errcode", TRANSIENT_CODES)
    return ""
