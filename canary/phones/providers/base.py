"""What every phone-number provider offers the watcher. Pure: no Django.

Providers differ (Twilio sells numbers worldwide but none on the mainland; Alibaba Cloud's number
protection binds a virtual number X to the team's phone), so the pool talks to this small
interface and each provider module implements it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol


class ProviderError(RuntimeError):
    """The provider refused, or cannot do what was asked (e.g. no API for it)."""


@dataclass(frozen=True)
class OwnedNumber:
    e164: str
    provider_sid: str


@dataclass(frozen=True)
class WebhookUrls:
    """Where the provider must send inbound traffic (absolute, under the public base URL)."""

    sms: str
    voice: str
    status: str


@dataclass(frozen=True)
class ContactRecord:
    """An inbound contact as the provider's records list it (for reconciliation)."""

    provider_sid: str
    kind: str  # "sms" or "call"
    from_number: str
    to_number: str
    received_at: datetime
    body: str = ""
    call_status: str = ""
    call_duration: int | None = None
    raw: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class CallerDetails:
    e164: str
    line_type: str = ""
    carrier_name: str = ""
    caller_name: str = ""
    country_code: str = ""
    raw: dict[str, Any] = field(default_factory=dict)


class NumberProvider(Protocol):
    name: str

    def buy_numbers(self, country: str, count: int, area_code: str | None = None) -> list[OwnedNumber]:
        """Search for and buy ``count`` numbers, already pointed at our webhooks."""

    def owned_numbers(self) -> list[OwnedNumber]:
        """Numbers the account already owns."""

    def point_webhooks(self, number: OwnedNumber) -> None:
        """Point an owned number's inbound traffic at our webhooks."""

    def release(self, number: OwnedNumber) -> None:
        """Give the number back to the provider."""

    def recent_contacts(self, e164: str, since: datetime) -> list[ContactRecord]:
        """Inbound SMS and calls to ``e164`` since ``since`` as the provider recorded them."""

    def lookup_caller(self, e164: str) -> CallerDetails:
        """Line type / caller name of a caller."""
