"""Numbers the team registered by hand (a SIM in a drawer): nothing to buy, list or query."""

from __future__ import annotations

from datetime import datetime

from .base import CallerDetails, ContactRecord, OwnedNumber, ProviderError


class ManualProvider:
    name = "manual"

    def buy_numbers(self, country: str, count: int, area_code: str | None = None) -> list[OwnedNumber]:
        raise ProviderError("manual numbers cannot be bought; register them with add_numbers")

    def owned_numbers(self) -> list[OwnedNumber]:
        return []

    def point_webhooks(self, number: OwnedNumber) -> None:
        return None

    def release(self, number: OwnedNumber) -> None:
        return None

    def recent_contacts(self, e164: str, since: datetime) -> list[ContactRecord]:
        return []

    def lookup_caller(self, e164: str) -> CallerDetails:
        return CallerDetails(e164=e164)
