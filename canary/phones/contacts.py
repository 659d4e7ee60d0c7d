"""Storing inbound contacts as delivered: Twilio webhooks, Alibaba receipts, reconciled records.

Every function stores first (unique on the provider's id, so a retried delivery is absorbed) and
queues processing after commit; none of them interprets the contact, that is ``processing``'s job.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from django.db import IntegrityError, transaction
from django.utils import timezone

from canary.queue import publish_after_commit

from . import aliyun_receipts
from .models import Contact, ContactKind, ContactSource, Provider
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


def _geo(params: Mapping[str, Any]) -> dict[str, str]:
    return {name: params[name] for name in _GEO_FIELDS if params.get(name)}


def _int_or_none(value: Any) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


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


def store_twilio_sms(params: Mapping[str, Any]) -> tuple[Contact, bool]:
    raw = flat_params(params)
    sid = raw.get("MessageSid") or raw.get("SmsSid") or ""
    media_count = _int_or_none(raw.get("NumMedia")) or 0
    media = [
        {"url": raw.get(f"MediaUrl{i}", ""), "content_type": raw.get(f"MediaContentType{i}", "")}
        for i in range(media_count)
    ]
    contact = Contact(
        provider=Provider.TWILIO,
        provider_sid=sid,
        kind=ContactKind.SMS,
        from_number=raw.get("From", ""),
        to_number=raw.get("To", ""),
        received_at=timezone.now(),
        body=raw.get("Body", ""),
        media_urls=media,
        caller_geo=_geo(raw),
        raw={"sms": raw},
    )
    return insert_once(contact)


def _call_for_update(call_sid: str, raw: dict[str, Any]) -> tuple[Contact, bool]:
    """The stored call, locked; created from this request when the voice webhook never arrived."""
    contact, created = Contact.objects.select_for_update().get_or_create(
        provider_sid=call_sid,
        defaults={
            "provider": Provider.TWILIO,
            "kind": ContactKind.CALL,
            "from_number": raw.get("From", ""),
            "to_number": raw.get("To", ""),
            "received_at": timezone.now(),
            "caller_geo": _geo(raw),
        },
    )
    if not contact.from_number and raw.get("From"):
        contact.from_number, contact.to_number = raw.get("From", ""), raw.get("To", "")
    return contact, created


def store_twilio_call(params: Mapping[str, Any]) -> tuple[Contact, bool]:
    raw = flat_params(params)
    with transaction.atomic():
        contact, created = _call_for_update(raw.get("CallSid", ""), raw)
        if "voice" in contact.raw:
            return contact, False
        contact.raw = {**contact.raw, "voice": raw}
        contact.call_status = contact.call_status or raw.get("CallStatus", "")
        if not created:
            # A late callback stored the call first, without the called number: process again.
            contact.processed_at = None
            contact.claimed_at = None
        contact.save()
        publish_after_commit("phones.process_contact", contact.pk)
    return contact, created


def attach_to_call(params: Mapping[str, Any], event: str) -> Contact:
    """Attach a later callback (recording, transcription, status, record action) to its call.

    A transcript can name a decoy, so new text sends the contact back for processing.
    """
    raw = flat_params(params)
    with transaction.atomic():
        contact, created = _call_for_update(raw.get("CallSid", ""), raw)
        contact.raw = {**contact.raw, event: raw}
        text_changed = False
        if raw.get("RecordingUrl"):
            contact.recording_url = raw["RecordingUrl"]
            contact.recording_sid = raw.get("RecordingSid", contact.recording_sid)
            contact.recording_duration = (
                _int_or_none(raw.get("RecordingDuration")) or contact.recording_duration
            )
        if raw.get("CallStatus"):
            contact.call_status = raw["CallStatus"]
            contact.call_duration = _int_or_none(raw.get("CallDuration")) or contact.call_duration
        if "TranscriptionText" in raw or "TranscriptionStatus" in raw:
            contact.transcript_status = raw.get("TranscriptionStatus", "")
            new_text = raw.get("TranscriptionText", "")
            text_changed = bool(new_text) and new_text != contact.transcript
            contact.transcript = new_text or contact.transcript
        if text_changed and not created:
            # Steals any running claim: that run's result would miss the transcript.
            contact.processed_at = None
            contact.claimed_at = None
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


def aliyun_contact(record: Mapping[str, Any]) -> Contact | None:
    """One Alibaba receipt record as an unsaved Contact, or None when it has no call_id."""
    call_id = str(record.get("call_id") or "")
    if not call_id:
        return None
    is_sms = "sms_content" in record
    kind = ContactKind.SMS if is_sms else ContactKind.CALL
    caller = record.get("send_no") if is_sms else record.get("peer_no")
    when = (
        _beijing_time(record.get("start_time"))
        or _beijing_time(record.get("call_time"))
        or _beijing_time(record.get("ring_time"))
        or timezone.now()
    )
    return Contact(
        provider=Provider.ALIYUN_PLS,
        provider_sid=f"aliyun:{call_id}:{kind}",
        kind=kind,
        from_number=_e164_cn(caller),
        to_number=_e164_cn(record.get("secret_no")),
        received_at=when,
        body=str(record.get("sms_content") or ""),
        recording_url=str(record.get("record_url") or "")[:500],
        call_status=str(record.get("release_cause") or record.get("unconnected_cause") or ""),
        caller_geo={"city": record["city"]} if record.get("city") else {},
        raw={"aliyun": dict(record)},
    )


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
    contacts = {c.provider_sid: c for c in map(aliyun_contact, contact_records) if c is not None}
    if not contacts:
        return attached
    with transaction.atomic():
        Contact.objects.bulk_create(contacts.values(), ignore_conflicts=True)
        aliyun_receipts.fill_placeholders(contacts)
        fresh = Contact.objects.filter(
            provider_sid__in=contacts, processed_at__isnull=True, claimed_at__isnull=True
        ).values_list("id", flat=True)
        for contact_id in fresh:
            publish_after_commit("phones.process_contact", contact_id)
    return len(contacts) + attached


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
