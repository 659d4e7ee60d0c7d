"""Storing inbound contacts as delivered: Twilio webhooks, Alibaba receipts, reconciled records.

Every function stores first (unique on the provider's id, so a retried delivery is absorbed) and
queues processing after commit; none of them interprets the contact, that is ``processing``'s job.
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from django.db import IntegrityError, transaction
from django.utils import timezone

from canary.queue import publish_after_commit

from . import aliyun_receipts
from .evidence import MAX_MEDIA, Shaper, body_sid
from .models import Contact, ContactKind, ContactSource, Provider, UnreadDelivery
from .pool import NumberError, to_e164
from .providers import ContactRecord

log = logging.getLogger(__name__)

BEIJING = ZoneInfo("Asia/Shanghai")
_GEO_FIELDS = (
    "FromCity",
    "FromState",
    "FromZip",
    "FromCountry",
    "CallerCity",
    "CallerState",
    "CallerCountry",
)


def flat_params(params: Any) -> dict[str, Any]:
    """A QueryDict (or dict) as plain JSON: single values as strings, repeated ones as lists."""
    if hasattr(params, "lists"):
        return {key: values[0] if len(values) == 1 else values for key, values in params.lists()}
    return dict(params)


def _field_length(name: str) -> int:
    return Contact._meta.get_field(name).max_length


def _geo(params: Mapping[str, Any], shaper: Shaper) -> dict[str, str]:
    return shaper.raw({name: str(params[name]) for name in _GEO_FIELDS if params.get(name)})


def _twilio_sid(raw: Mapping[str, Any], body: bytes, shaper: Shaper, *names: str) -> str:
    """The delivery's Twilio id; one derived from the body when it carried none, so a later
    delivery without an id is not merged into this one."""
    sid = next((str(raw[name]) for name in names if raw.get(name)), "")
    if not sid:
        shaper.flag("provider_sid:missing")
        return body_sid(f"twilio:{names[0]}", body)
    return shaper.unique_id("provider_sid", sid, _field_length("provider_sid"))


def _number(shaper: Shaper, field: str, value: Any) -> str:
    return shaper.text(field, value, _field_length(field))


def _media(raw: Mapping[str, Any], shaper: Shaper) -> list[dict[str, str]]:
    """Media links of an SMS: at most ``MAX_MEDIA``, http(s) only (the raw request keeps all)."""
    count = shaper.count("NumMedia", raw.get("NumMedia")) or 0
    if count > MAX_MEDIA:
        shaper.flag("NumMedia:bounded")
    media = []
    for index in range(min(count, MAX_MEDIA)):
        url = shaper.web_url("media_url", raw.get(f"MediaUrl{index}"), max_length=2000)
        if url:
            content_type = shaper.text("media_content_type", raw.get(f"MediaContentType{index}"), 100)
            media.append({"url": url, "content_type": content_type})
    return media


def insert_once(contact: Contact) -> tuple[Contact, bool]:
    """Insert a new contact and queue it; a retried delivery finds the stored one instead.

    Insert first, not get-then-insert: nearly every delivery is new, so this saves a query on the
    hot path, and the unique provider id settles races between concurrent retries.
    """
    try:
        with transaction.atomic():
            contact.save(force_insert=True)
            publish_after_commit("phones.process_contact", contact.pk)
    except IntegrityError:
        return Contact.objects.get(provider_sid=contact.provider_sid), False
    return contact, True


def store_twilio_sms(params: Mapping[str, Any], body: bytes = b"") -> tuple[Contact, bool]:
    """Store an inbound SMS whatever its shape (``body``: the request as sent, for evidence)."""
    raw = flat_params(params)
    shaper = Shaper()
    contact = Contact(
        provider=Provider.TWILIO,
        provider_sid=_twilio_sid(raw, body, shaper, "MessageSid", "SmsSid"),
        kind=ContactKind.SMS,
        from_number=_number(shaper, "from_number", raw.get("From")),
        to_number=_number(shaper, "to_number", raw.get("To")),
        received_at=timezone.now(),
        body=shaper.text("body", raw.get("Body")),
        media_urls=_media(raw, shaper),
        caller_geo=_geo(raw, shaper),
        raw={"sms": shaper.raw(raw, body)},
    )
    contact.anomalies = shaper.anomalies
    return insert_once(contact)


def _call_for_update(call_sid: str, raw: dict[str, Any], shaper: Shaper) -> tuple[Contact, bool]:
    """The stored call, locked; created from this request when the voice webhook never arrived."""
    contact, created = Contact.objects.select_for_update().get_or_create(
        provider_sid=call_sid,
        defaults={
            "provider": Provider.TWILIO,
            "kind": ContactKind.CALL,
            "from_number": _number(shaper, "from_number", raw.get("From")),
            "to_number": _number(shaper, "to_number", raw.get("To")),
            "received_at": timezone.now(),
            "caller_geo": _geo(raw, shaper),
        },
    )
    if not contact.from_number and raw.get("From"):
        contact.from_number = _number(shaper, "from_number", raw.get("From"))
        contact.to_number = _number(shaper, "to_number", raw.get("To"))
    return contact, created


def _keep_anomalies(contact: Contact, shaper: Shaper) -> None:
    contact.anomalies = [*contact.anomalies, *(a for a in shaper.anomalies if a not in contact.anomalies)]


def store_twilio_call(params: Mapping[str, Any], body: bytes = b"") -> tuple[Contact, bool]:
    raw = flat_params(params)
    shaper = Shaper()
    with transaction.atomic():
        contact, created = _call_for_update(_twilio_sid(raw, body, shaper, "CallSid"), raw, shaper)
        if "voice" in contact.raw:
            return contact, False
        contact.raw = {**contact.raw, "voice": shaper.raw(raw, body)}
        _keep_anomalies(contact, shaper)
        contact.call_status = contact.call_status or shaper.text(
            "call_status", raw.get("CallStatus"), _field_length("call_status")
        )
        if not created:
            # A late callback stored the call first, without the called number: process again.
            contact.processed_at = None
            contact.claimed_at = None
        contact.save()
        publish_after_commit("phones.process_contact", contact.pk)
    return contact, created


def attach_to_call(params: Mapping[str, Any], event: str, body: bytes = b"") -> Contact:
    """Attach a later callback (recording, transcription, status, record action) to its call.

    A transcript can name a decoy, so new text sends the contact back for processing.
    """
    raw = flat_params(params)
    shaper = Shaper()
    with transaction.atomic():
        contact, created = _call_for_update(_twilio_sid(raw, body, shaper, "CallSid"), raw, shaper)
        contact.raw = {**contact.raw, event: shaper.raw(raw, body)}
        text_changed = False
        if raw.get("RecordingUrl"):
            contact.recording_url = shaper.web_url(
                "recording_url", raw["RecordingUrl"], _field_length("recording_url")
            )
            contact.recording_sid = shaper.text(
                "recording_sid",
                raw.get("RecordingSid", contact.recording_sid),
                _field_length("recording_sid"),
            )
            contact.recording_duration = (
                shaper.count("RecordingDuration", raw.get("RecordingDuration")) or contact.recording_duration
            )
        if raw.get("CallStatus"):
            contact.call_status = shaper.text("call_status", raw["CallStatus"], _field_length("call_status"))
            contact.call_duration = (
                shaper.count("CallDuration", raw.get("CallDuration")) or contact.call_duration
            )
        if "TranscriptionText" in raw or "TranscriptionStatus" in raw:
            contact.transcript_status = shaper.text(
                "transcript_status", raw.get("TranscriptionStatus"), _field_length("transcript_status")
            )
            new_text = shaper.text("transcript", raw.get("TranscriptionText"))
            text_changed = bool(new_text) and new_text != contact.transcript
            contact.transcript = new_text or contact.transcript
        if text_changed and not created:
            # Steals any running claim: that run's result would miss the transcript.
            contact.processed_at = None
            contact.claimed_at = None
        _keep_anomalies(contact, shaper)
        contact.save()
        if created or text_changed:
            publish_after_commit("phones.process_contact", contact.pk)
    return contact


def _beijing_time(value: Any) -> datetime | None:
    if not value:
        return None
    try:
        return datetime.strptime(str(value), "%Y-%m-%d %H:%M:%S").replace(tzinfo=BEIJING)
    except ValueError:
        return None


def _e164_cn(raw_number: Any) -> str:
    try:
        return to_e164(str(raw_number), "CN")
    except NumberError:
        return str(raw_number or "")


def aliyun_contact(record: Mapping[str, Any]) -> Contact:
    """One Alibaba receipt record as an unsaved Contact, whatever its shape.

    A record without ``call_id`` gets an id derived from its content, so it is kept and a
    re-pushed copy of it is still absorbed.
    """
    shaper = Shaper()
    is_sms = "sms_content" in record
    kind = ContactKind.SMS if is_sms else ContactKind.CALL
    raw = shaper.raw(dict(record))
    call_id = str(record.get("call_id") or "")
    if call_id:
        sid = shaper.unique_id("provider_sid", f"aliyun:{call_id}:{kind}", _field_length("provider_sid"))
    else:
        shaper.flag("provider_sid:missing")
        canonical = json.dumps(raw, sort_keys=True, ensure_ascii=False, default=str).encode()
        sid = body_sid(f"aliyun:{kind}", canonical)
    caller = record.get("send_no") if is_sms else record.get("peer_no")
    when = (
        _beijing_time(record.get("start_time"))
        or _beijing_time(record.get("call_time"))
        or _beijing_time(record.get("ring_time"))
        or timezone.now()
    )
    contact = Contact(
        provider=Provider.ALIYUN_PLS,
        provider_sid=sid,
        kind=kind,
        from_number=_number(shaper, "from_number", _e164_cn(caller)),
        to_number=_number(shaper, "to_number", _e164_cn(record.get("secret_no"))),
        received_at=when,
        body=shaper.text("body", record.get("sms_content") or ""),
        recording_url=shaper.web_url(
            "recording_url", record.get("record_url"), _field_length("recording_url")
        ),
        call_status=shaper.text(
            "call_status",
            record.get("release_cause") or record.get("unconnected_cause") or "",
            _field_length("call_status"),
        ),
        caller_geo={"city": shaper.text("city", record["city"], 100)} if record.get("city") else {},
        raw={"aliyun": raw, "receipts": {aliyun_receipts.stage_of(raw): raw}},
    )
    contact.anomalies = shaper.anomalies
    return contact


def aliyun_call_contact(provider_sid: str, receipts: dict[str, dict[str, Any]]) -> Contact:
    """The unsaved contact that several receipts about one call make together."""
    contact = aliyun_contact(aliyun_receipts.layered(receipts))
    contact.provider_sid = provider_sid
    contact.raw = {"aliyun": receipts[aliyun_receipts.fullest(receipts)], "receipts": receipts}
    return contact


def store_aliyun_records(records: Iterable[Mapping[str, Any]]) -> int:
    """Store a receipt push; duplicates (in the push or from earlier pushes) are absorbed.

    Returns how many records were usable. Every usable record is stored when this returns.
    """
    # ASR and recording receipts attach to a call; call records and SMS are contacts of their own.
    attach = {"asr": aliyun_receipts.attach_asr, "recording": aliyun_receipts.attach_recording}
    attached, contact_records = 0, []
    for record in records:
        kind = aliyun_receipts.kind_of(record)
        if kind in attach:
            attached += attach[kind](record) is not None
        else:
            contact_records.append(record)
    contacts: dict[str, Contact] = {}
    for contact in map(aliyun_contact, contact_records):
        earlier = contacts.setdefault(contact.provider_sid, contact)
        receipts = {**earlier.raw["receipts"], **contact.raw["receipts"]}
        if receipts != earlier.raw["receipts"]:  # another receipt about the same call in this push
            contacts[contact.provider_sid] = aliyun_call_contact(contact.provider_sid, receipts)
    if not contacts:
        return attached
    with transaction.atomic():
        # A contact stored by an earlier push takes in what this one adds: nothing is dropped.
        Contact.objects.bulk_create(contacts.values(), ignore_conflicts=True)
        aliyun_receipts.merge_stored(contacts, aliyun_call_contact)
        # New contacts and those merge_stored sent back for processing alike.
        fresh = Contact.objects.filter(
            provider_sid__in=contacts, processed_at__isnull=True, claimed_at__isnull=True
        ).values_list("id", flat=True)
        for contact_id in fresh:
            publish_after_commit("phones.process_contact", contact_id)
    return len(contacts) + attached


def store_unread(hook: str, body: bytes, error: str) -> UnreadDelivery:
    """Keep an authenticated delivery that could not be read, with why; retries are stored once."""
    delivery, _ = UnreadDelivery.objects.get_or_create(
        body_sha256=hashlib.sha256(body).hexdigest(),
        defaults={"hook": hook, "body": body, "error": error},
    )
    log.warning("unreadable %s delivery kept as %s: %s", hook, delivery.pk, error)
    return delivery


def store_record(
    record: ContactRecord, provider: str, source: str = ContactSource.RECONCILED
) -> tuple[Contact, bool]:
    """Store a contact found in the provider's own records (reconciliation)."""
    with transaction.atomic():
        contact, created = Contact.objects.get_or_create(
            provider_sid=record.provider_sid,
            defaults={
                "provider": provider,
                "kind": record.kind,
                "source": source,
                "from_number": record.from_number,
                "to_number": record.to_number,
                "received_at": record.received_at,
                "body": record.body,
                "call_status": record.call_status,
                "call_duration": record.call_duration,
                "raw": {"reconciled": record.raw},
            },
        )
        if created:
            publish_after_commit("phones.process_contact", contact.pk)
        elif not contact.from_number and record.from_number:
            # The call was first seen through a late callback that carried no caller.
            Contact.objects.filter(pk=contact.pk).update(
                from_number=record.from_number, to_number=record.to_number
            )
    return contact, created
