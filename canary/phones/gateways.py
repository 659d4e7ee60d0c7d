"""SIM gateways: their numbers (device + SIM slot), their signed events, their heartbeats.

``store_event`` stores an ``sms:received`` event as a contact (unique on the event id, so the
app's retries are absorbed) and queues it for the same processing as any other SMS; a carrier's
missed-call notice becomes call contacts instead. ``system:ping`` only marks the device alive.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Prefetch
from django.utils import timezone

from .contacts import insert_once
from .models import CanaryNumber, Contact, ContactKind, Provider, SmsGateway
from .pool import NumberError, add_numbers, to_e164
from .providers import smsgate

log = logging.getLogger(__name__)


def register_number(raw_number: str, device_id: str, sim_slot: int) -> tuple[CanaryNumber, bool]:
    """Register (or re-map) the number of the SIM in ``sim_slot`` of gateway ``device_id``."""
    if not device_id.strip():
        raise NumberError("a SIM-gateway number needs --device (the gateway's device id)")
    if sim_slot < 1:
        raise NumberError("--sim is the SIM slot, counted from 1")
    with transaction.atomic():
        gateway, _ = SmsGateway.objects.get_or_create(device_id=device_id.strip())
        added, _known = add_numbers([raw_number], Provider.SMSGATE)
        number = added[0] if added else CanaryNumber.objects.get(e164=to_e164(raw_number))
        holder = CanaryNumber.objects.filter(gateway=gateway, sim_slot=sim_slot).exclude(pk=number.pk).first()
        if holder is not None:
            raise NumberError(f"SIM slot {sim_slot} of {gateway.device_id} already holds {holder.e164}")
        number.provider, number.gateway, number.sim_slot = Provider.SMSGATE, gateway, sim_slot
        number.provider_sid = f"{gateway.device_id}/{sim_slot}"
        number.save(update_fields=["provider", "gateway", "sim_slot", "provider_sid"])
    return number, bool(added)


def number_of(gateway: SmsGateway, sim_slot: int | None) -> CanaryNumber | None:
    """The canary number in that SIM slot; with no slot given, the gateway's only number."""
    if sim_slot is not None:
        return gateway.numbers.filter(sim_slot=sim_slot).first()
    numbers = list(gateway.numbers.all()[:2])
    return numbers[0] if len(numbers) == 1 else None


def _e164_or_raw(raw: str) -> str:
    try:
        return to_e164(raw, "CN")
    except NumberError:
        return raw[:32]


def _national(e164: str) -> str:
    return e164.removeprefix("+86")


@dataclass(frozen=True)
class Stored:
    status: str  # "stored", "duplicate", "heartbeat" or "ignored"
    contacts: tuple[Contact, ...] = ()


def _seen(device_id: str, now: datetime, ping: dict | None = None) -> SmsGateway:
    gateway, _ = SmsGateway.objects.get_or_create(device_id=device_id)
    fields = {"last_seen_at": now}
    if ping is not None:
        fields.update(last_ping_at=now, health=ping)
    SmsGateway.objects.filter(pk=gateway.pk).update(**fields)
    for name, value in fields.items():
        setattr(gateway, name, value)
    return gateway


def store_event(event: smsgate.Event, now: datetime | None = None) -> Stored:
    now = now or timezone.now()
    if event.kind == smsgate.PING:
        health = event.payload.get("health")
        _seen(event.device_id, now, ping=health if isinstance(health, dict) else {"health": health})
        return Stored("heartbeat")
    gateway = _seen(event.device_id, now)
    if event.kind != smsgate.SMS_RECEIVED:
        return Stored("ignored")  # sms:sent / delivered / failed: our own outbound traffic
    number = number_of(gateway, event.sim)
    if number is None:
        log.warning("SIM gateway %s slot %s has no canary number registered", gateway.device_id, event.sim)
    sender = str(event.payload.get("phoneNumber") or "")
    when = smsgate.received_at(event.payload) or now
    raw = {"smsgate": event.raw}
    to_number = number.e164 if number else ""
    common = {"provider": Provider.SMSGATE, "to_number": to_number, "number": number, "raw": raw}
    own = frozenset({_national(to_number)}) if to_number else frozenset()
    calls = smsgate.missed_calls(sender, event.payload["message"], timezone.localtime(when), own)
    if calls:
        contacts = [
            Contact(
                provider_sid=event.event_id if i == 0 else f"{event.event_id}:{i + 1}",
                kind=ContactKind.CALL,
                from_number=_e164_or_raw(call.caller),
                received_at=call.called_at or when,
                call_status="missed-call notice",
                **common,
            )
            for i, call in enumerate(calls)
        ]
    else:
        contacts = [
            Contact(
                provider_sid=event.event_id,
                kind=ContactKind.SMS,
                from_number=_e164_or_raw(sender),
                received_at=when,
                body=event.payload["message"],
                **common,
            )
        ]
    results = [_insert_for_device(contact, event.device_id) for contact in contacts]
    created = any(new for _, new in results)
    return Stored("stored" if created else "duplicate", tuple(c for c, _ in results))


def _insert_for_device(contact: Contact, device_id: str) -> tuple[Contact, bool]:
    """Insert once per (device, event id): event ids are random, but should another device ever
    send one already stored, its event is kept under ``id@device`` rather than dropped."""
    stored, created = insert_once(contact)
    if created or stored.raw.get("smsgate", {}).get("deviceId") == device_id:
        return stored, created
    contact.pk = None
    contact.provider_sid = f"{contact.provider_sid}@{device_id}"[:100]
    return insert_once(contact)


@dataclass(frozen=True)
class GatewayStatus:
    gateway: SmsGateway
    numbers: tuple[CanaryNumber, ...]
    silent: bool


def silence_cutoff(now: datetime | None = None) -> datetime:
    return (now or timezone.now()) - timedelta(minutes=settings.SMSGATE_SILENT_MINUTES)


def gateway_statuses(now: datetime | None = None) -> list[GatewayStatus]:
    """Every gateway with its numbers, last ping and whether it is silent: for the console."""
    silent = set(SmsGateway.objects.silent_since(silence_cutoff(now)).values_list("pk", flat=True))
    gateways = SmsGateway.objects.prefetch_related(
        Prefetch("numbers", queryset=CanaryNumber.objects.order_by("sim_slot"))
    )
    return [GatewayStatus(g, tuple(g.numbers.all()), g.pk in silent) for g in gateways]
