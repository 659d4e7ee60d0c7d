"""Signed deliveries are evidence: they are stored whatever their shape. Pure: no Django.

A provider (or an attacker holding its credentials) can send a field longer than its column, a
NUL byte (PostgreSQL refuses it in text and ``jsonb``), a duration past 2³¹ or a media count of a
hundred million. None of that may cost the evidence: the raw request is kept whole (NUL bytes
escaped, the exact body kept beside it), only the indexed columns are bounded, and every change
is named in the contact's ``anomalies`` so the console can show that a value was cut.
"""

from __future__ import annotations

import base64
import hashlib
from typing import Any
from urllib.parse import urlsplit

INT_MAX = 2**31 - 1  # PostgreSQL ``integer``: PositiveIntegerField columns
# Twilio sends at most 10 media per message; a larger NumMedia is not worth allocating for.
MAX_MEDIA = 10
NUL = "\x00"
NUL_STANDIN = "\ufffd"
WEB_SCHEMES = ("http", "https")


def body_sid(prefix: str, body: bytes) -> str:
    """An id for a delivery that carried none: the same body (a retry) gets the same id."""
    return f"{prefix}:sha256:{hashlib.sha256(body).hexdigest()}"


class Shaper:
    """Fits delivered values into their columns and remembers each change as an anomaly."""

    def __init__(self) -> None:
        self.anomalies: list[str] = []

    def flag(self, anomaly: str) -> None:
        if anomaly not in self.anomalies:
            self.anomalies.append(anomaly)

    def text(self, field: str, value: Any, max_length: int | None = None) -> str:
        text = "" if value is None else str(value)
        if NUL in text:
            text = text.replace(NUL, NUL_STANDIN)
            self.flag(f"{field}:nul")
        if max_length is not None and len(text) > max_length:
            text = text[:max_length]
            self.flag(f"{field}:truncated")
        return text

    def unique_id(self, field: str, value: str, max_length: int) -> str:
        """An id that must stay unique: too long, it keeps a prefix and a hash of the whole."""
        value = self.text(field, value)
        if len(value) <= max_length:
            return value
        self.flag(f"{field}:hashed")
        digest = "~sha256:" + hashlib.sha256(value.encode()).hexdigest()
        return value[: max_length - len(digest)] + digest

    def count(self, field: str, value: Any, maximum: int = INT_MAX) -> int | None:
        """A non-negative integer no larger than ``maximum``; anything else is None (flagged)."""
        if value is None or value == "":
            return None
        try:
            number = int(str(value).strip())
        except ValueError:
            self.flag(f"{field}:not_a_number")
            return None
        if not 0 <= number <= maximum:
            self.flag(f"{field}:out_of_range")
            return None
        return number

    def web_url(self, field: str, value: Any, max_length: int) -> str:
        """An http(s) URL that fits its column, or '' (the raw request keeps what was sent)."""
        url = self.text(field, value)
        if not url:
            return ""
        try:
            parts = urlsplit(url.strip())
        except ValueError:
            parts = None
        if parts is None or parts.scheme.lower() not in WEB_SCHEMES or not parts.netloc:
            self.flag(f"{field}:not_http")
            return ""
        if len(url) > max_length:
            # A cut URL points somewhere else: better none than a wrong one.
            self.flag(f"{field}:too_long")
            return ""
        return url

    def raw(self, value: dict[str, Any], body: bytes = b"") -> dict[str, Any]:
        """The delivery for the ``raw`` column; when NUL had to be replaced, the exact body too."""
        cleaned = without_nul(value)
        if cleaned != value:
            self.flag("raw:nul")
            if body:
                cleaned["body_base64"] = base64.b64encode(body).decode()
        return cleaned


def without_nul(value: Any) -> Any:
    """``value`` with NUL replaced in every string and key (PostgreSQL ``jsonb`` refuses it)."""
    if isinstance(value, str):
        return value.replace(NUL, NUL_STANDIN)
    if isinstance(value, dict):
        return {without_nul(key): without_nul(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [without_nul(item) for item in value]
    return value
