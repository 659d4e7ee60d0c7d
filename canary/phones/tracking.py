"""Tracking-lookup canary: a lookup of a decoy's waybill number is a signal.

The hook sees every tracking lookup of the carrier, so a non-decoy number must be dismissed
without touching the database: each process keeps the set of decoy waybill numbers in memory,
reloaded every ``TRACKING_DECOY_SET_SECONDS`` and dropped at once when this process saves a
campaign or decoy. Decoys are issued long before they are shipped, so the reload delay is harmless.
"""

from __future__ import annotations

import ipaddress
import json
import threading
import time
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from canary.attribution.models import SignalKind
from canary.attribution.signals import record_signal
from canary.campaigns.models import Decoy
from canary.queue import publish_after_commit

from .evidence import Shaper
from .models import TrackingLookup

# Nobody honest was ever given a decoy's waybill number; only the carrier's own staff could
# look one up by mistake, so this is strong but short of a text naming the fake recipient.
LOOKUP_STRENGTH = 0.9


class DecoyWaybills:
    """Waybill number → decoy id, in memory, reloaded when older than ``max_age`` seconds."""

    def __init__(self) -> None:
        self._by_waybill: dict[str, int] = {}
        self._loaded_at = float("-inf")
        self._lock = threading.Lock()

    def invalidate(self) -> None:
        self._loaded_at = float("-inf")

    def _reload_if_old(self) -> None:
        max_age = getattr(settings, "TRACKING_DECOY_SET_SECONDS", 60)
        if time.monotonic() - self._loaded_at < max_age:
            return
        with self._lock:
            if time.monotonic() - self._loaded_at < max_age:
                return
            self._by_waybill = dict(Decoy.objects.values_list("waybill_no", "id"))
            self._loaded_at = time.monotonic()

    def decoy_id(self, waybill_no: str) -> int | None:
        self._reload_if_old()
        return self._by_waybill.get(waybill_no)


decoy_waybills = DecoyWaybills()


def normalise_waybill(value: Any) -> str:
    return "".join(str(value or "").split()).upper()


class BadReport(ValueError):
    pass


@dataclass(frozen=True)
class Report:
    waybill_no: str
    looked_up_at: datetime
    requester_ip: str | None
    user_agent: str
    client_id: str
    raw: dict[str, Any]
    anomalies: tuple[str, ...] = ()


def parse_report(body: bytes) -> Report:
    """The report in ``body``; a bad ``ip`` or time is kept in ``raw`` and named in ``anomalies``."""
    try:
        data = json.loads(body)
    except (ValueError, UnicodeDecodeError, RecursionError) as exc:
        raise BadReport(f"body is not JSON ({type(exc).__name__})") from exc
    if not isinstance(data, dict) or not data.get("waybill_no"):
        raise BadReport("waybill_no is required")
    shaper = Shaper()
    client = " / ".join(str(data[k]) for k in ("client_id", "platform") if data.get(k))
    return Report(
        waybill_no=normalise_waybill(shaper.text("waybill_no", data["waybill_no"])),
        looked_up_at=_lookup_time(data.get("looked_up_at"), shaper),
        requester_ip=_ip_or_none(data.get("ip"), shaper),
        user_agent=shaper.text("user_agent", data.get("user_agent"), 500),
        client_id=shaper.text("client_id", client, 100),
        raw=shaper.raw(data, body),
        anomalies=tuple(shaper.anomalies),
    )


def _lookup_time(value: Any, shaper: Shaper) -> datetime:
    if not value:
        return timezone.now()
    try:
        looked_up_at = parse_datetime(str(value))
    except ValueError:  # well formed but impossible, e.g. month 13
        looked_up_at = None
    if looked_up_at is None:
        shaper.flag("looked_up_at:invalid")
        return timezone.now()
    return timezone.make_aware(looked_up_at) if timezone.is_naive(looked_up_at) else looked_up_at


def _ip_or_none(value: Any, shaper: Shaper) -> str | None:
    if not value:
        return None
    try:
        return str(ipaddress.ip_address(str(value).strip()))
    except ValueError:
        shaper.flag("ip:invalid")
        return None


def store_lookup(decoy_id: int, report: Report, nonce: str) -> TrackingLookup | None:
    """Store a decoy lookup; None when this exact delivery was stored before (a replay)."""
    try:
        with transaction.atomic():
            lookup = TrackingLookup.objects.create(
                decoy_id=decoy_id,
                waybill_no=report.waybill_no,
                looked_up_at=report.looked_up_at,
                requester_ip=report.requester_ip,
                user_agent=report.user_agent,
                client_id=report.client_id,
                nonce=nonce[:128],
                raw=report.raw,
                anomalies=list(report.anomalies),
            )
            publish_after_commit("phones.process_tracking_lookup", lookup.pk)
    except IntegrityError:
        return None
    return lookup


def process_lookup(lookup_id: int) -> bool:
    """Emit the lookup's signal (repeated lookups by one requester count as occurrences)."""
    lookup = TrackingLookup.objects.filter(pk=lookup_id).first()
    if lookup is None:
        return False
    requester = lookup.client_id or lookup.requester_ip or "unknown"
    with transaction.atomic():
        # Claimed inside the transaction: a failure below un-claims it for the sweeper.
        if not TrackingLookup.objects.filter(pk=lookup.pk, processed_at__isnull=True).update(
            processed_at=timezone.now()
        ):
            return False
        record_signal(
            kind=SignalKind.TRACKING,
            decoy_ids=[lookup.decoy_id],
            seen_at=lookup.looked_up_at,
            strength=LOOKUP_STRENGTH,
            dedupe_key=f"phones.tracking:{lookup.waybill_no}:{requester}",
            origin=f"phones.tracking:{lookup.pk}",
            summary=f"{lookup.waybill_no} looked up from {lookup.requester_ip or '?'} ({requester}) "
            f"{lookup.user_agent[:120]}",
        )
    return True


def unprocessed_lookups(older_than_seconds: float) -> list[int]:
    cutoff = timezone.now() - timedelta(seconds=older_than_seconds)
    return list(
        TrackingLookup.objects.filter(processed_at__isnull=True, stored_at__lt=cutoff).values_list(
            "id", flat=True
        )[:5000]
    )
