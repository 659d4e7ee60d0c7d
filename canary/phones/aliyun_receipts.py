"""Alibaba number-protection receipts about a call that come apart from its call record.

``SecretAsrReport`` carries the call's speech recognised as text (Chinese, which Twilio cannot
transcribe); ``SecretRecording`` says the call's recording is ready. Either may reach us before
the call record (``SecretReport``) or after it, each possibly twice: both attach to the call
contact with that call id, creating a placeholder when the call record has not arrived yet, and
the call record later fills the placeholder in. New text sends the contact back for processing,
where it is matched against the decoys like an SMS body (strong when it names a decoy). The
call's progress receipts (start, ring, pick-up) and its full record likewise merge into one
contact in any order, every receipt kept.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Mapping
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from django.db import transaction
from django.utils import timezone

from canary.queue import publish_after_commit

from .models import Contact, ContactKind, Provider
from .pool import NumberError, to_e164

log = logging.getLogger(__name__)

ASR_SUCCESS = "21050000"
BEIJING = ZoneInfo("Asia/Shanghai")
# Fields a SecretReport / SecretSmsIntercept carries and the other receipts do not.
_CONTACT_FIELDS = ("peer_no", "phone_no", "sms_content", "send_no", "release_time", "start_time")
# SecretStartReport, SecretRingReport and SecretPickUpReport come while a call goes on, each
# about the same call id; only the SecretReport after it ends carries how it ended.
_REPORT_FIELDS = ("release_time", "release_cause", "release_dir")
_STAGE_RANK = {"start": 0, "ring": 1, "pickup": 2, "report": 3, "sms": 3}


def kind_of(record: Mapping[str, Any]) -> str:
    """``asr``, ``recording`` or ``contact`` (a call record or an intercepted SMS)."""
    if "callId" in record and "sentences" in record:
        return "asr"
    if record.get("call_id") and not any(name in record for name in _CONTACT_FIELDS):
        return "recording"
    return "contact"


def call_sid(call_id: str) -> str:
    return f"aliyun:{call_id}:{ContactKind.CALL}"


def _call_for_update(call_id: str, secret_no: Any = "") -> tuple[Contact, bool]:
    """The call contact, locked; a placeholder (called number only, if known) when the call
    record has not arrived yet."""
    try:
        called = to_e164(str(secret_no), "CN") if secret_no else ""
    except NumberError:  # masked (170****0000) or missing
        called = ""
    return Contact.objects.select_for_update().get_or_create(
        provider_sid=call_sid(call_id),
        defaults={
            "provider": Provider.ALIYUN_PLS,
            "kind": ContactKind.CALL,
            "to_number": called,
            "received_at": timezone.now(),
        },
    )


def transcript_text(sentences: Iterable[Any]) -> str:
    """The recognised sentences in the order they were spoken, one per line."""
    usable = [s for s in sentences if isinstance(s, Mapping) and str(s.get("text") or "").strip()]
    usable.sort(key=lambda s: (float(s.get("beginTime") or 0), int(s.get("channelId") or 0)))
    return "\n".join(str(s["text"]).strip() for s in usable)


def attach_asr(record: Mapping[str, Any]) -> Contact | None:
    call_id = str(record.get("callId") or "")
    if not call_id:
        return None
    status = str(record.get("statusCode") or "")
    text = transcript_text(record.get("sentences") or []) if status == ASR_SUCCESS else ""
    with transaction.atomic():
        contact, created = _call_for_update(call_id, record.get("secretNo"))
        contact.raw = {**contact.raw, "asr": dict(record)}
        contact.transcript_status = f"asr:{status}"
        changed = bool(text) and text != contact.transcript
        if changed:
            contact.transcript = text
            # Steals any running claim: that run's result would miss the transcript.
            contact.processed_at, contact.claimed_at = None, None
        contact.save()
        if changed or created:
            publish_after_commit("phones.process_contact", contact.pk)
    return contact


def _millis_time(value: Any) -> datetime | None:
    try:
        return datetime.fromtimestamp(int(value) / 1000, tz=BEIJING)
    except (TypeError, ValueError, OverflowError, OSError):
        return None


def attach_recording(record: Mapping[str, Any]) -> Contact | None:
    call_id = str(record.get("call_id") or "")
    if not call_id:
        return None
    with transaction.atomic():
        contact, created = _call_for_update(call_id)
        contact.raw = {**contact.raw, "recording": dict(record)}
        contact.recording_sid = contact.recording_sid or call_id
        contact.save()
        if created:
            publish_after_commit("phones.process_contact", contact.pk)
        if not contact.recording_url:
            publish_after_commit("phones.fetch_aliyun_recording", contact.pk)
    return contact


def stage_of(record: Mapping[str, Any]) -> str:
    """Which receipt about a call ``record`` is: ``start``, ``ring``, ``pickup`` or the full
    ``report`` (an intercepted SMS is ``sms``, complete by itself)."""
    if "sms_content" in record:
        return "sms"
    if any(name in record for name in _REPORT_FIELDS):
        return "report"
    if "start_time" in record:
        return "pickup"
    return "ring" if "ring_time" in record else "start"


def fullest(receipts: Mapping[str, Any]) -> str:
    """The latest stage among a call's receipts."""
    return max(receipts, key=_STAGE_RANK.__getitem__)


def layered(receipts: Mapping[str, Mapping[str, Any]]) -> dict[str, Any]:
    """One record from a call's receipts: each stage's values over the earlier stages', so the
    result is the same whatever order the receipts came in."""
    record: dict[str, Any] = {}
    for stage in sorted(receipts, key=_STAGE_RANK.__getitem__):
        record.update((name, value) for name, value in receipts[stage].items() if value not in (None, ""))
    return record


def _matters(contact: Contact) -> tuple:
    """What processing reads: a change here sends the contact back for processing."""
    return (contact.kind, contact.from_number, contact.to_number, contact.received_at, contact.body)


def merge_stored(records: Mapping[str, Contact], build: Callable[[str, dict], Contact]) -> None:
    """Stored contacts with these provider ids take in the receipts they lack.

    ``records`` maps provider ids to unsaved contacts whose ``raw["receipts"]`` holds the
    receipts pushed now; ``build(provider_id, receipts)`` makes the contact a call's receipts
    make together. A contact a receipt created first (a placeholder) or one that gains a fuller
    record is filled in, its receipts all kept; when what processing reads changed it is marked
    unprocessed, for the caller to queue. A receipt already stored changes nothing.
    """
    for contact in Contact.objects.select_for_update().filter(provider_sid__in=records):
        placeholder = "aliyun" not in contact.raw
        stored = contact.raw.get("receipts")
        if stored is None and not placeholder:  # stored before receipts were kept by stage
            stored = {stage_of(contact.raw["aliyun"]): contact.raw["aliyun"]}
        receipts = {**(stored or {}), **records[contact.provider_sid].raw["receipts"]}
        if receipts == contact.raw.get("receipts"):
            continue
        merged = build(contact.provider_sid, receipts)
        before = _matters(contact)
        for name in ("from_number", "received_at", "call_status", "caller_geo", "body", "anomalies"):
            setattr(contact, name, getattr(merged, name))
        contact.to_number = merged.to_number or contact.to_number  # an ASR receipt may have told it
        contact.recording_url = contact.recording_url or merged.recording_url
        contact.raw = {**contact.raw, **merged.raw}
        if placeholder or _matters(contact) != before:
            # Steals any running claim: that run's result would miss the fuller record.
            contact.processed_at, contact.claimed_at = None, None
        contact.save()


def fetch_recording(contact_id: int) -> str:
    """Ask Alibaba where the recording of a call is and keep the address on the contact."""
    from .providers import get_provider

    contact = Contact.objects.get(pk=contact_id)
    if contact.recording_url:
        return contact.recording_url
    receipt = contact.raw.get("recording") or {}
    called = _millis_time(receipt.get("call_time")) or timezone.localtime(contact.received_at, BEIJING)
    provider = get_provider(Provider.ALIYUN_PLS)
    url = provider.recording_url(str(receipt.get("call_id") or contact.recording_sid), called)
    Contact.objects.filter(pk=contact_id).update(recording_url=url[:500])
    return url
