"""SMS through Twilio's official client (``messages.create``) with a delivery status callback.

The callback URL carries the alert id (the alert row exists before sending), so Twilio's
delivery reports update the right alert; the view validates Twilio's signature.
"""

from __future__ import annotations

import requests
from django.conf import settings
from django.urls import reverse
from twilio.base.exceptions import TwilioException, TwilioRestException
from twilio.rest import Client

from canary.alerts.render import render

from .base import TransportError


def client() -> Client:
    """A REST client from settings; ``TWILIO_API_BASE_URL`` points it elsewhere (tests, proxies)."""
    if not settings.TWILIO_ACCOUNT_SID or not settings.TWILIO_AUTH_TOKEN:
        raise TransportError("Twilio credentials are not configured", permanent=True)
    rest = Client(settings.TWILIO_ACCOUNT_SID, settings.TWILIO_AUTH_TOKEN)
    base_url = getattr(settings, "TWILIO_API_BASE_URL", "")
    if base_url:
        rest.api.base_url = base_url.rstrip("/")
    return rest


def status_callback_url(alert_id: int) -> str:
    return settings.PUBLIC_BASE_URL + reverse("alert_hooks:twilio-status", args=[alert_id])


def notify(alert) -> str:
    sender = getattr(settings, "ALERTS_SMS_FROM", "")
    if not sender:
        raise TransportError("ALERTS_SMS_FROM is not configured", permanent=True)
    try:
        message = client().messages.create(
            to=alert.channel.target.strip(),
            from_=sender,
            body=render(alert.payload).short,
            status_callback=status_callback_url(alert.pk),
        )
    except TwilioRestException as exc:
        # 4xx is Twilio refusing this request as made (bad number, opted out, auth); 429/5xx pass.
        transient = exc.status == 429 or exc.status >= 500
        raise TransportError(
            f"Twilio {exc.status} code {exc.code}: {exc.msg}", permanent=not transient
        ) from exc
    except (TwilioException, requests.RequestException) as exc:
        raise TransportError(f"{type(exc).__name__}: {exc}", permanent=False) from exc
    return message.sid
