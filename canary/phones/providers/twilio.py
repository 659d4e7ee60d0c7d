"""Twilio through its official client: buy, point, list, release numbers; list recent contacts."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

from twilio.base.exceptions import TwilioException
from twilio.http.http_client import TwilioHttpClient
from twilio.rest import Client

from .base import CallerDetails, ContactRecord, OwnedNumber, ProviderError, WebhookUrls


class BaseUrlHttpClient(TwilioHttpClient):
    """Sends every REST request to ``base_url`` instead of ``https://<area>.twilio.com``.

    The area (``api``, ``lookups``...) becomes the first path segment, so one local server can
    stand in for all of Twilio in tests and air-gapped staging.
    """

    def __init__(self, base_url: str, **kwargs: Any):
        super().__init__(**kwargs)
        self.base_url = base_url.rstrip("/")

    def request(self, method: str, url: str, *args: Any, **kwargs: Any):
        parts = urlsplit(url)
        area = parts.hostname.split(".")[0] if parts.hostname else "api"
        return super().request(method, f"{self.base_url}/{area}{parts.path}", *args, **kwargs)


def make_client(account_sid: str, auth_token: str, api_base_url: str = "") -> Client:
    http_client = (
        BaseUrlHttpClient(api_base_url, timeout=15) if api_base_url else TwilioHttpClient(timeout=15)
    )
    return Client(account_sid, auth_token, http_client=http_client)


def _e164_or_blank(value: Any) -> str:
    return str(value or "")


class TwilioProvider:
    name = "twilio"

    def __init__(self, client: Client, urls: WebhookUrls):
        self.client = client
        self.urls = urls

    def _webhook_fields(self) -> dict[str, str]:
        return {
            "sms_url": self.urls.sms,
            "sms_method": "POST",
            "voice_url": self.urls.voice,
            "voice_method": "POST",
            "status_callback": self.urls.status,
            "status_callback_method": "POST",
        }

    def buy_numbers(self, country: str, count: int, area_code: str | None = None) -> list[OwnedNumber]:
        search: dict[str, Any] = {"sms_enabled": True, "voice_enabled": True, "limit": count}
        if area_code:
            search["area_code"] = area_code
        try:
            offers = self.client.available_phone_numbers(country.upper()).local.list(**search)
            if len(offers) < count:
                raise ProviderError(f"Twilio offers only {len(offers)} numbers in {country}, {count} wanted")
            bought = []
            for offer in offers[:count]:
                number = self.client.incoming_phone_numbers.create(
                    phone_number=offer.phone_number, **self._webhook_fields()
                )
                bought.append(OwnedNumber(e164=number.phone_number, provider_sid=number.sid))
            return bought
        except TwilioException as exc:
            raise ProviderError(str(exc)) from exc

    def owned_numbers(self) -> list[OwnedNumber]:
        try:
            return [
                OwnedNumber(e164=n.phone_number, provider_sid=n.sid)
                for n in self.client.incoming_phone_numbers.list()
            ]
        except TwilioException as exc:
            raise ProviderError(str(exc)) from exc

    def point_webhooks(self, number: OwnedNumber) -> None:
        try:
            self.client.incoming_phone_numbers(number.provider_sid).update(**self._webhook_fields())
        except TwilioException as exc:
            raise ProviderError(str(exc)) from exc

    def release(self, number: OwnedNumber) -> None:
        try:
            self.client.incoming_phone_numbers(number.provider_sid).delete()
        except TwilioException as exc:
            raise ProviderError(str(exc)) from exc

    def recent_contacts(self, e164: str, since: datetime) -> list[ContactRecord]:
        try:
            messages = self.client.messages.list(to=e164, date_sent_after=since)
            calls = self.client.calls.list(to=e164, start_time_after=since)
        except TwilioException as exc:
            raise ProviderError(str(exc)) from exc
        records = [
            ContactRecord(
                provider_sid=m.sid,
                kind="sms",
                from_number=_e164_or_blank(m.from_),
                to_number=_e164_or_blank(m.to),
                received_at=m.date_sent or m.date_created,
                body=m.body or "",
                raw={"sid": m.sid, "direction": m.direction, "status": m.status, "num_media": m.num_media},
            )
            for m in messages
            if (m.direction or "").startswith("inbound")
        ]
        records += [
            ContactRecord(
                provider_sid=c.sid,
                kind="call",
                # The call resource names its caller ``_from`` (``from_`` on messages).
                from_number=_e164_or_blank(c._from),
                to_number=_e164_or_blank(c.to),
                received_at=c.start_time or c.date_created,
                call_status=c.status or "",
                call_duration=int(c.duration) if c.duration else None,
                raw={"sid": c.sid, "direction": c.direction, "status": c.status, "duration": c.duration},
            )
            for c in calls
            if (c.direction or "").startswith("inbound")
        ]
        return records

    def lookup_caller(self, e164: str) -> CallerDetails:
        try:
            answer = self.client.lookups.v2.phone_numbers(e164).fetch(
                fields="line_type_intelligence,caller_name"
            )
        except TwilioException as exc:
            raise ProviderError(str(exc)) from exc
        line = answer.line_type_intelligence or {}
        caller = answer.caller_name or {}
        return CallerDetails(
            e164=answer.phone_number or e164,
            line_type=line.get("type") or "",
            carrier_name=line.get("carrier_name") or "",
            caller_name=caller.get("caller_name") or "",
            country_code=answer.country_code or "",
            raw={"line_type_intelligence": line, "caller_name": caller},
        )
