"""Phone-number providers behind one interface (see ``base``); ``get_provider`` builds one from settings."""

from __future__ import annotations

from django.conf import settings
from django.urls import reverse

from .base import CallerDetails, ContactRecord, NumberProvider, OwnedNumber, ProviderError, WebhookUrls

__all__ = [
    "CallerDetails",
    "ContactRecord",
    "NumberProvider",
    "OwnedNumber",
    "ProviderError",
    "WebhookUrls",
    "get_provider",
    "webhook_urls",
]


def webhook_urls() -> WebhookUrls:
    """Our Twilio webhook URLs, absolute under ``PUBLIC_BASE_URL`` (what Twilio signs)."""
    base = settings.PUBLIC_BASE_URL
    return WebhookUrls(
        sms=base + reverse("phones:twilio-sms"),
        voice=base + reverse("phones:twilio-voice"),
        status=base + reverse("phones:twilio-status"),
    )


def get_provider(name: str) -> NumberProvider:
    if name == "twilio":
        from .twilio import TwilioProvider, make_client

        if not settings.TWILIO_ACCOUNT_SID or not settings.TWILIO_AUTH_TOKEN:
            raise ProviderError("TWILIO_ACCOUNT_SID and TWILIO_AUTH_TOKEN must be set")
        client = make_client(
            settings.TWILIO_ACCOUNT_SID,
            settings.TWILIO_AUTH_TOKEN,
            getattr(settings, "TWILIO_API_BASE_URL", ""),
        )
        return TwilioProvider(client, webhook_urls())
    if name == "aliyun_pls":
        from .aliyun_pls import AliyunPlsProvider, make_client

        key_id = getattr(settings, "ALIYUN_ACCESS_KEY_ID", "")
        key_secret = getattr(settings, "ALIYUN_ACCESS_KEY_SECRET", "")
        if not key_id or not key_secret:
            raise ProviderError("ALIYUN_ACCESS_KEY_ID and ALIYUN_ACCESS_KEY_SECRET must be set")
        api_url = getattr(settings, "ALIYUN_PLS_API_URL", "") or "https://dyplsapi.aliyuncs.com"
        return AliyunPlsProvider(
            make_client(key_id, key_secret, api_url),
            pool_key=getattr(settings, "ALIYUN_PLS_POOL_KEY", ""),
            team_phone=getattr(settings, "ALIYUN_PLS_TEAM_PHONE", ""),
        )
    if name == "smsgate":
        from .smsgate import SmsGateProvider

        return SmsGateProvider()
    if name == "manual":
        from .manual import ManualProvider

        return ManualProvider()
    raise ProviderError(f"unknown provider {name!r}")
