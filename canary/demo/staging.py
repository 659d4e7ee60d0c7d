"""What the demo needs besides the demo campaign: a Twilio token to sign with, a local alert
channel with a rule, and the watched forum source. Every function is idempotent.
"""

from __future__ import annotations

import secrets
from pathlib import Path

from django.conf import settings

from canary.alerts.models import Channel, ChannelKind, EventKind, Rule, Severity, Team
from canary.sightings.models import Source, SourceKind

TOKEN_FILE = "demo-twilio-auth-token"
TEAM = "演示安全团队"
CHANNEL = "演示邮件（写入 var/outbox）"
# A reserved domain (RFC 2606): with a real SMTP server configured, nothing reaches anyone.
CHANNEL_ADDRESS = "security-team@demo.invalid"
RULE = "演示：事件与嫌疑变化"
SOURCE = "演示论坛"
FORUM_FOLDER = "demo-forum"


def token_path() -> Path:
    return Path(settings.VAR_DIR) / TOKEN_FILE


def ensure_twilio_token() -> str:
    """The token the demo signs its SMS with.

    ``TWILIO_AUTH_TOKEN`` when set; otherwise a random demo-only token kept in ``var/`` (never
    committed), which ``make run`` hands to the console and the worker so they verify with it.
    """
    if settings.TWILIO_AUTH_TOKEN:
        return settings.TWILIO_AUTH_TOKEN
    path = token_path()
    if not path.exists():
        path.write_text(secrets.token_hex(16))
        path.chmod(0o600)
    return path.read_text().strip()


def forum_folder() -> Path:
    return Path(settings.VAR_DIR) / FORUM_FOLDER


def ensure_alerting() -> Channel:
    """An e-mail channel to a reserved address (the demo's e-mail backend writes files) and a rule
    sending it new incidents and changes of the top suspect."""
    team, _ = Team.objects.get_or_create(name=TEAM)
    channel, _ = Channel.objects.get_or_create(
        name=CHANNEL, defaults={"team": team, "kind": ChannelKind.EMAIL, "target": CHANNEL_ADDRESS}
    )
    rule, created = Rule.objects.get_or_create(
        name=RULE,
        defaults={
            "events": [
                EventKind.INCIDENT_OPENED,
                EventKind.TOP_NODE_CHANGED,
                EventKind.POSTERIOR_CROSSED,
            ],
            "min_severity": Severity.INFO,
            # A training demo tells every step (new incident, then the node it is about).
            "throttle_minutes": 0,
        },
    )
    if created:
        rule.channels.add(channel)
    return channel


def ensure_source(url: str) -> Source:
    """The forum as a watched web page, polled every minute (loopback: marked internal)."""
    source, _ = Source.objects.update_or_create(
        name=SOURCE,
        defaults={
            "kind": SourceKind.HTTP_PAGE,
            "url": url,
            "internal": True,
            "enabled": True,
            "every_minutes": 1,
        },
    )
    return source
