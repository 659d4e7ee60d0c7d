"""Alibaba Cloud Phone Number Protection (号码隐私保护, AXN) through its official SDK.

A virtual number X is bought from the team's pool and bound to the team's own phone A: whoever
calls or texts X reaches A, and Alibaba pushes a receipt (call record / intercepted SMS) to our
``/hooks/aliyun/pls/<secret>/`` endpoint. Receipts are push-only: Alibaba offers no API that lists
past call records, so reconciliation has nothing to ask for (Alibaba retries a failed push after
1, 5 and 10 minutes instead). Where receipts go is configured per pool in Alibaba's console.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from alibabacloud_dyplsapi20170525 import models as pls
from alibabacloud_dyplsapi20170525.client import Client
from alibabacloud_tea_openapi import models as openapi

from .base import CallerDetails, ContactRecord, OwnedNumber, ProviderError

# BuySecretNo's number kinds: 1 = virtual-operator numbers (170/171), 2 = carrier numbers.
CARRIER_NUMBERS = 2


def make_client(access_key_id: str, access_key_secret: str, api_url: str) -> Client:
    protocol, _, host = api_url.partition("://")
    return Client(
        openapi.Config(
            access_key_id=access_key_id,
            access_key_secret=access_key_secret,
            endpoint=host.rstrip("/"),
            protocol=protocol,
            read_timeout=15000,
            connect_timeout=5000,
        )
    )


def _checked(response: Any) -> Any:
    body = response.body
    if body.code != "OK":
        raise ProviderError(f"Alibaba PLS: {body.code} {body.message}")
    return body


class AliyunPlsProvider:
    name = "aliyun_pls"

    def __init__(self, client: Client, pool_key: str, team_phone: str, binding_days: int = 365):
        self.client = client
        self.pool_key = pool_key
        self.team_phone = team_phone
        self.binding_days = binding_days

    def buy_numbers(self, country: str, count: int, area_code: str | None = None) -> list[OwnedNumber]:
        """Buy X numbers (``area_code`` is the city name Alibaba expects, e.g. 杭州) and bind each to A."""
        if country.upper() != "CN":
            raise ProviderError("Alibaba number protection sells mainland (+86) numbers only")
        if not self.pool_key or not self.team_phone:
            raise ProviderError("ALIYUN_PLS_POOL_KEY and ALIYUN_PLS_TEAM_PHONE must be set")
        expiration = (datetime.now() + timedelta(days=self.binding_days)).strftime("%Y-%m-%d %H:%M:%S")
        bought = []
        for _ in range(count):
            buy = _checked(
                self.client.buy_secret_no(
                    pls.BuySecretNoRequest(
                        pool_key=self.pool_key, city=area_code or "", spec_id=CARRIER_NUMBERS
                    )
                )
            )
            secret_no = buy.secret_buy_info_dto.secret_no
            bind = _checked(
                self.client.bind_axn(
                    pls.BindAxnRequest(
                        pool_key=self.pool_key,
                        phone_no_a=self.team_phone,
                        phone_no_x=secret_no,
                        expiration=expiration,
                        is_recording_enabled=True,
                    )
                )
            )
            bought.append(OwnedNumber(e164=f"+86{secret_no}", provider_sid=bind.secret_bind_dto.subs_id))
        return bought

    def owned_numbers(self) -> list[OwnedNumber]:
        raise ProviderError("Alibaba has no API that lists a pool's numbers; register them with add_numbers")

    def point_webhooks(self, number: OwnedNumber) -> None:
        # Receipt URLs are set per pool in Alibaba's console, not per number.
        return None

    def release(self, number: OwnedNumber) -> None:
        secret_no = number.e164.removeprefix("+86")
        _checked(
            self.client.unbind_subscription(
                pls.UnbindSubscriptionRequest(
                    pool_key=self.pool_key, secret_no=secret_no, subs_id=number.provider_sid
                )
            )
        )
        _checked(
            self.client.release_secret_no(
                pls.ReleaseSecretNoRequest(pool_key=self.pool_key, secret_no=secret_no)
            )
        )

    def recent_contacts(self, e164: str, since: datetime) -> list[ContactRecord]:
        return []

    def recording_url(self, call_id: str, called_at: datetime) -> str:
        """Where the recording of a call can be downloaded (``called_at`` in Beijing time)."""
        body = _checked(
            self.client.query_record_file_download_url(
                pls.QueryRecordFileDownloadUrlRequest(
                    pool_key=self.pool_key, call_id=call_id, call_time=called_at.strftime("%Y-%m-%d %H:%M:%S")
                )
            )
        )
        if not body.download_url:
            raise ProviderError(f"Alibaba PLS gave no recording address for call {call_id}")
        return body.download_url

    def lookup_caller(self, e164: str) -> CallerDetails:
        return CallerDetails(e164=e164)
