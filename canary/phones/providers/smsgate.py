"""SIM gateways: the team's own mainland SIM cards in Android phones running the open-source
*SMS Gateway for Android* app, or in modem pools that forward in the same format. Pure: no Django.

The gateway POSTs one JSON event per webhook call::

    {"deviceId": "...", "event": "sms:received", "id": "<unique event id>", "webhookId": "...",
     "payload": {"messageId": "...", "message": "...", "phoneNumber": "<sender>",
                 "simNumber": 1, "receivedAt": "2026-12-07T08:15:03.000+08:00"}}

signed with ``X-Timestamp`` (Unix seconds) and ``X-Signature`` = hex HMAC-SHA256(signing key,
raw body + the ``X-Timestamp`` value). The app retries a failed delivery with exponential backoff
for about two days, and ``messageId`` is derived from the content (two identical texts share it),
so events are deduplicated on the event ``id``. ``system:ping`` carries the device's ``health``.

Mainland carriers turn calls one could not take into SMS notices (来电提醒 / 漏话提醒 from 10086,
10010, 10000) naming the caller and the time: :func:`missed_calls` reads them, so a SIM that
only forwards texts still reports calls to its number.

Numbers are not bought or listed through an API: SIM cards are registered with
``add_numbers --provider smsgate --device DEVICE_ID --sim N``.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import re
from dataclasses import dataclass, field
from datetime import datetime, timedelta, tzinfo
from typing import Any

from .base import OwnedNumber, ProviderError
from .manual import ManualProvider

SMS_RECEIVED = "sms:received"
PING = "system:ping"
DEFAULT_WINDOW_SECONDS = 300


def sign(key: str, timestamp: str, body: bytes) -> str:
    """The ``X-Signature`` the gateway sends for ``body`` at ``timestamp`` (Unix seconds, as sent)."""
    return hmac.new(key.encode(), body + timestamp.encode(), hashlib.sha256).hexdigest()


def check_signature(
    key: str, timestamp: str | None, signature: str | None, body: bytes, now: float, window: int
) -> str | None:
    """Why the request must be refused (``bad signature``, ``stale timestamp`` …), or None.

    Checked on the raw body before anything is parsed; the timestamp is part of what is signed,
    so an old delivery cannot be replayed with a fresh one.
    """
    if not key:
        return "no signing key configured"
    if not timestamp or not signature:
        return "missing signature"
    if not hmac.compare_digest(sign(key, timestamp, body), signature.strip().lower()):
        return "bad signature"
    try:
        sent = int(timestamp)
    except ValueError:
        return "bad timestamp"
    if abs(now - sent) > window:
        return "stale timestamp"
    return None


class MalformedEvent(ValueError):
    """The body is not a gateway event we can store."""


@dataclass(frozen=True)
class Event:
    device_id: str
    kind: str
    event_id: str
    payload: dict[str, Any]
    raw: dict[str, Any] = field(repr=False)

    @property
    def sim(self) -> int | None:
        value = self.payload.get("simNumber")
        return value if isinstance(value, int) and not isinstance(value, bool) else None


def parse_event(body: bytes) -> Event:
    try:
        data = json.loads(body)
    except (ValueError, UnicodeDecodeError) as exc:
        raise MalformedEvent(f"not JSON: {exc}") from exc
    if not isinstance(data, dict):
        raise MalformedEvent("expected a JSON object")
    problems = [
        key for key in ("deviceId", "event", "id") if not isinstance(data.get(key), str) or not data[key]
    ]
    if problems:
        raise MalformedEvent(f"missing or empty: {', '.join(problems)}")
    payload = data.get("payload") or {}
    if not isinstance(payload, dict):
        raise MalformedEvent("payload must be an object")
    if data["event"] == SMS_RECEIVED and not isinstance(payload.get("message"), str):
        raise MalformedEvent("sms:received without payload.message")
    if len(data["id"]) > 90 or len(data["deviceId"]) > 64:
        raise MalformedEvent("id or deviceId too long")
    return Event(data["deviceId"], data["event"], data["id"], payload, data)


def received_at(payload: dict[str, Any]) -> datetime | None:
    """``receivedAt`` (ISO 8601, the device's zone) as an aware time, or None."""
    value = payload.get("receivedAt")
    if not isinstance(value, str):
        return None
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return moment if moment.tzinfo else None


# --------------------------------------------------------------------------- missed-call notices

CARRIER_SERVICE_NUMBERS = frozenset({"10086", "10010", "10000", "10001"})
_NOTICE_WORDS = ("来电提醒", "漏话提醒", "未接来电", "呼叫过您", "给您来电", "来电", "漏话")
# A caller: a mobile (optionally +86) or a landline with its area code (010-12345678).
_CALLER = re.compile(r"(?<!\d)(?:\+?86[- ]?)?(1[3-9]\d{9}|0\d{2,3}-?\d{7,8})(?!\d)")
_FULL_TIME = re.compile(
    r"(\d{4})[年/-](\d{1,2})[月/-](\d{1,2})日?\s*(\d{1,2})[:：时](\d{1,2})(?:[:：分](\d{1,2}))?"
)
_SHORT_TIME = re.compile(
    r"(?<!\d)(\d{1,2})[月/-](\d{1,2})日?\s*(\d{1,2})[:：时](\d{1,2})(?:[:：分](\d{1,2}))?"
)


@dataclass(frozen=True)
class MissedCall:
    caller: str  # digits as the notice prints them, area-code dash removed
    called_at: datetime | None


def is_carrier_notice(sender: str) -> bool:
    digits = re.sub(r"\D", "", sender)
    return digits.removeprefix("86") in CARRIER_SERVICE_NUMBERS or digits in CARRIER_SERVICE_NUMBERS


def _time_after(text: str, start: int, near: datetime, zone: tzinfo) -> datetime | None:
    """The first date-time printed after ``start``; a notice without the year gets the year that
    puts it closest before ``near`` (a notice from January about a call on 12-31)."""
    rest = text[start:]
    full, short = _FULL_TIME.search(rest), _SHORT_TIME.search(rest)
    try:
        if full and (not short or full.start() <= short.start()):
            y, mo, d, h, mi, s = (int(g or 0) for g in full.groups())
            return datetime(y, mo, d, h, mi, s, tzinfo=zone)
        if short:
            mo, d, h, mi, s = (int(g or 0) for g in short.groups())
            moment = datetime(near.year, mo, d, h, mi, s, tzinfo=zone)
            return moment.replace(year=near.year - 1) if moment > near + timedelta(days=1) else moment
    except ValueError:
        return None
    return None


def missed_calls(
    sender: str, text: str, received: datetime, own: frozenset[str] = frozenset()
) -> list[MissedCall]:
    """The calls a carrier's missed-call notice reports, or [] when the SMS is no such notice.

    ``own`` holds national numbers to skip (the SIM's own number, printed in some notices).
    Times are read in ``received``'s zone (the device's, i.e. Beijing time).
    """
    if not is_carrier_notice(sender) or not any(word in text for word in _NOTICE_WORDS):
        return []
    calls, seen = [], set()
    for match in _CALLER.finditer(text):
        caller = match.group(1).replace("-", "")
        if caller in own or caller in seen:
            continue
        seen.add(caller)
        calls.append(MissedCall(caller, _time_after(text, match.end(), received, received.tzinfo)))
    return calls


# --------------------------------------------------------------------------- provider interface


class SmsGateProvider(ManualProvider):
    """SIM cards are bought at a carrier's counter, not through an API: registration is manual,
    and the app keeps no history we could reconcile against (it retries for two days instead)."""

    name = "smsgate"

    def buy_numbers(self, country: str, count: int, area_code: str | None = None) -> list[OwnedNumber]:
        raise ProviderError(
            "SIM-gateway numbers are SIM cards: register each with "
            "add_numbers NUMBER --provider smsgate --device DEVICE_ID --sim N"
        )
