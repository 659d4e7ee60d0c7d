"""Self-test canaries: a known self-test decoy sent through a watcher on a schedule.

Each self-test has a mode, the path its heartbeat travels:

- ``signal``: a heartbeat signal recorded through ``record_signal``. Covers the commit hook, the
  broker, a worker and the rule evaluation.
- ``source``: a small CSV naming the decoy (waybill number, recipient, phone) and a fresh nonce is
  written into a watched folder source and the source's fetch is queued. Covers the folder
  fetcher, document storage, the scan queue, the readers, the matcher and the sightings signal.
- ``sms``: an SMS naming the waybill number and a nonce is sent through Twilio's REST API from
  ``ALERTS_SMS_FROM`` to the decoy's canary number. Covers Twilio delivery, the inbound SMS
  webhook (and its signature check), contact processing and the phones signal.

A heartbeat counts as seen when the pipeline delivers the signal for that very send: the
heartbeat signal with the last key; a sighting of the decoy in the planted file (found by its
source and its name, which carries the nonce); a contact to the decoy's number whose text carries
the nonce. A heartbeat not seen within ``expected_within_seconds`` raises a critical
``watcher.unhealthy`` event, so a dead worker, broker, fetcher or webhook becomes an alert (sent
by whichever worker still runs beat's check; route it to a channel that does not depend on the
queue, e.g. keep beat and one worker on a separate host). A heartbeat that cannot even be sent
(folder missing, Twilio refusing) is recorded in ``last_error`` and raises a watcher event at
once; the check still reports it missed when its time is up.

Signals that name a self-test decoy are never leak evidence: they raise no signal event, open no
incident and are left out of attribution (see :func:`is_selftest`, :func:`exclude_selftest`).
"""

from __future__ import annotations

import logging
import os
import secrets
import string
import time
from datetime import datetime
from pathlib import Path

from django.conf import settings
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from canary.attribution.models import Signal, SignalKind
from canary.attribution.signals import record_signal
from canary.queue import publish_after_commit

from .models import SelfTest, SelfTestMode, Severity

log = logging.getLogger(__name__)

ORIGIN_PREFIX = "alerts.selftest:"
# Origins of the watchers' signals (see canary.sightings.scanning and canary.phones.processing).
SIGHTINGS_ORIGIN = "sightings.document:"
PHONES_ORIGIN = "phones.contact:"
_NONCE_LETTERS = string.ascii_uppercase  # letters only: never read as a number or a phone
_NONCE_LENGTH = 10


class HeartbeatError(Exception):
    """The heartbeat could not be sent; the (technical, untranslated) message is kept on the self-test."""


# --------------------------------------------------------------------------- which signals


def selftest_decoys() -> QuerySet:
    return SelfTest.objects.values("decoy_id")


def is_selftest(signal: Signal) -> bool:
    """A heartbeat, or any signal naming a self-test decoy: never evidence of a leak."""
    if signal.origin.startswith(ORIGIN_PREFIX):
        return True
    return signal.decoys.filter(pk__in=selftest_decoys()).exists()


def exclude_selftest(signals: QuerySet) -> QuerySet:
    """``signals`` without heartbeats and without signals that name a self-test decoy."""
    return signals.exclude(origin__startswith=ORIGIN_PREFIX).exclude(decoys__in=selftest_decoys())


# --------------------------------------------------------------------------- sending


def send_heartbeat(selftest: SelfTest, now: datetime | None = None) -> str:
    """Send one heartbeat the self-test's way; returns its key.

    A failure to send is recorded in ``last_error`` and raises a watcher event; it never raises.
    """
    now = now or timezone.now()
    key = f"selftest:{selftest.pk}:{now.timestamp():.3f}"
    if selftest.mode != SelfTestMode.SIGNAL:
        key += ":" + "".join(secrets.choice(_NONCE_LETTERS) for _n in range(_NONCE_LENGTH))
    SelfTest.objects.filter(pk=selftest.pk).update(last_sent_at=now, last_key=key, last_error="")
    selftest.last_sent_at, selftest.last_key, selftest.last_error = now, key, ""
    try:
        if selftest.mode == SelfTestMode.SOURCE:
            plant(selftest, key)
        elif selftest.mode == SelfTestMode.SMS:
            text(selftest, key)
        else:
            _record_heartbeat(selftest, key, now)
    except HeartbeatError as error:
        _send_failed(selftest, str(error))
    except Exception as error:  # a heartbeat must report, not crash the loop over self-tests
        log.exception("self-test %s: heartbeat failed", selftest.pk)
        _send_failed(selftest, f"{type(error).__name__}: {error}")
    return key


def _record_heartbeat(selftest: SelfTest, key: str, now: datetime) -> None:
    record_signal(
        kind=SignalKind.TRACKING,
        decoy_ids=[selftest.decoy_id],
        seen_at=now,
        # Zero strength: a heartbeat is no evidence against any node.
        strength=0.0,
        dedupe_key=key,
        origin=f"{ORIGIN_PREFIX}{selftest.pk}",
        summary="self-test heartbeat",
    )


def nonce(key: str) -> str:
    return key.rsplit(":", 1)[-1]


def plant_name(selftest: SelfTest, key: str) -> str:
    """The planted file's name; the fetcher stores it as the document's name."""
    return f"selftest-{selftest.pk}-{nonce(key)}.csv"


def plant_bytes(selftest: SelfTest, key: str, now: datetime) -> bytes:
    """A one-order dump like the ones sold online; the nonce makes every heartbeat's hash new."""
    decoy = selftest.decoy
    when = timezone.localtime(now).strftime("%Y-%m-%d %H:%M:%S")
    rows = [
        "运单号,收件人,收件电话,收件地址,下单时间,备注",
        ",".join(
            [
                decoy.waybill_no,
                decoy.recipient_name,
                decoy.recipient_phone,
                decoy.recipient_address.replace(",", " "),
                when,
                f"自检 {nonce(key)}",
            ]
        ),
    ]
    return ("\n".join(rows) + "\n").encode("utf-8")


def plant(selftest: SelfTest, key: str) -> Path:
    """Write the heartbeat file into the self-test's watched folder and queue the source's fetch."""
    from canary.sightings.fetchers import FOLDER_SETTLE_SECONDS, FetchError, watched_folder
    from canary.sightings.models import SourceKind

    source = selftest.source
    if source is None or source.kind != SourceKind.FOLDER:
        raise HeartbeatError("no watched folder source is set for this self-test")
    try:
        folder = watched_folder(source)
    except FetchError as error:
        raise HeartbeatError(str(error)) from error
    path = folder / plant_name(selftest, key)
    try:
        path.write_bytes(plant_bytes(selftest, key, selftest.last_sent_at or timezone.now()))
        # Complete now: date it back past the fetcher's settle window so the next look takes it
        # (the change time stays now, so the folder cursor sees it as new).
        settled = time.time() - FOLDER_SETTLE_SECONDS - 1
        os.utime(path, (settled, settled))
        for old in folder.glob(f"selftest-{selftest.pk}-*.csv"):
            if old != path:
                old.unlink(missing_ok=True)
    except OSError as error:
        raise HeartbeatError(f"{path}: {error}") from error
    publish_after_commit("sightings.fetch_source", source.pk)
    return path


def sms_body(selftest: SelfTest, key: str) -> str:
    return f"您好，快递{selftest.decoy.waybill_no}已到站，请核对。自检码{nonce(key)}"


def text(selftest: SelfTest, key: str) -> str:
    """Text the decoy's canary number through Twilio; returns the message SID."""
    import requests
    from twilio.base.exceptions import TwilioException, TwilioRestException

    from .channels.base import TransportError
    from .channels.twilio_sms import client

    sender = getattr(settings, "ALERTS_SMS_FROM", "")
    if not sender:
        raise HeartbeatError("ALERTS_SMS_FROM is not configured")
    number = selftest.decoy.number
    if number is None:
        raise HeartbeatError(f"decoy {selftest.decoy.waybill_no} has no canary number")
    try:
        message = client().messages.create(to=number.e164, from_=sender, body=sms_body(selftest, key))
    except TransportError as error:
        raise HeartbeatError(str(error)) from error
    except TwilioRestException as error:
        raise HeartbeatError(f"Twilio {error.status} code {error.code}: {error.msg}") from error
    except (TwilioException, requests.RequestException) as error:
        raise HeartbeatError(f"{type(error).__name__}: {error}") from error
    return message.sid


def _send_failed(selftest: SelfTest, error: str) -> None:
    from .services import raise_watcher_unhealthy

    error = error[:500]
    SelfTest.objects.filter(pk=selftest.pk).update(last_error=error)
    selftest.last_error = error
    raise_watcher_unhealthy(
        f"selftest:{selftest.pk}:send",
        _("Self-test %(name)s: the heartbeat could not be sent: %(error)s")
        % {"name": selftest.name, "error": error},
        severity=Severity.HIGH,
    )


# --------------------------------------------------------------------------- seeing


def mark_seen(signal: Signal) -> None:
    """The pipeline delivered a heartbeat: remember when, and how long it took."""
    now = timezone.now()
    if signal.origin.startswith(ORIGIN_PREFIX):
        selftest_id = int(signal.origin.removeprefix(ORIGIN_PREFIX))
        with transaction.atomic():
            selftest = SelfTest.objects.select_for_update().filter(pk=selftest_id).first()
            if selftest is None or selftest.last_key != signal.dedupe_key:
                return
            _seen(selftest, now, signal.first_seen_at)
        return
    decoy_ids = list(signal.decoys.values_list("id", flat=True))
    waiting = SelfTest.objects.filter(
        decoy_id__in=decoy_ids,
        mode__in=[SelfTestMode.SOURCE, SelfTestMode.SMS],
        last_sent_at__isnull=False,
    ).values_list("pk", flat=True)
    for selftest_id in waiting:
        with transaction.atomic():
            selftest = (
                SelfTest.objects.select_for_update(of=("self",))
                .select_related("decoy__number")
                .filter(pk=selftest_id)
                .first()
            )
            if selftest is None:
                continue
            already = selftest.last_seen_at is not None and selftest.last_seen_at >= selftest.last_sent_at
            if not already and delivered(selftest, signal):
                _seen(selftest, now, selftest.last_sent_at)


def delivered(selftest: SelfTest, signal: Signal) -> bool:
    """Did this watcher signal come from the self-test's last heartbeat?"""
    key = selftest.last_key
    if not key:
        return False
    if selftest.mode == SelfTestMode.SOURCE:
        from canary.sightings.models import Sighting

        # A repeated sighting updates one signal (origin: the first document), so look for the
        # sighting of the decoy in the file planted last, in the self-test's source.
        return signal.origin.startswith(SIGHTINGS_ORIGIN) and (
            Sighting.objects.filter(
                decoy_id=selftest.decoy_id,
                document__source_id=selftest.source_id,
                document__name=plant_name(selftest, key),
            ).exists()
        )
    if selftest.mode == SelfTestMode.SMS:
        from canary.phones.models import Contact, ContactKind

        contact_id = signal.origin.removeprefix(PHONES_ORIGIN)
        number = selftest.decoy.number
        if not signal.origin.startswith(PHONES_ORIGIN) or not contact_id.isdigit() or number is None:
            return False
        return Contact.objects.filter(
            pk=int(contact_id), kind=ContactKind.SMS, to_number=number.e164, body__contains=nonce(key)
        ).exists()
    return False


def _seen(selftest: SelfTest, now: datetime, sent_at: datetime) -> None:
    selftest.last_seen_at = now
    selftest.last_latency_ms = max(0, int((now - sent_at).total_seconds() * 1000))
    selftest.missed = False
    selftest.save(update_fields=["last_seen_at", "last_latency_ms", "missed"])


# --------------------------------------------------------------------------- checking


def check(now: datetime | None = None) -> list[SelfTest]:
    """Raise a critical watcher event for every heartbeat overdue; returns the ones missed."""
    from .services import raise_watcher_unhealthy

    now = now or timezone.now()
    missed = []
    tests = SelfTest.objects.filter(enabled=True, last_sent_at__isnull=False, missed=False).select_related(
        "source"
    )
    for selftest in tests:
        seen = selftest.last_seen_at is not None and selftest.last_seen_at >= selftest.last_sent_at
        overdue = (now - selftest.last_sent_at).total_seconds() > selftest.expected_within_seconds
        if seen or not overdue:
            continue
        SelfTest.objects.filter(pk=selftest.pk).update(missed=True)
        detail = _("Self-test %(name)s: heartbeat sent at %(at)s was not seen within %(s)d s") % {
            "name": selftest.name,
            "at": timezone.localtime(selftest.last_sent_at).strftime("%Y-%m-%d %H:%M:%S"),
            "s": selftest.expected_within_seconds,
        }
        raise_watcher_unhealthy(
            f"selftest:{selftest.pk}",
            " ".join([detail, *_hints(selftest)]),
            severity=Severity.CRITICAL,
            quiet_minutes=0,
        )
        missed.append(selftest)
    return missed


def _hints(selftest: SelfTest) -> list[str]:
    """What the operator should look at first."""
    hints = [_("Mode: %(mode)s.") % {"mode": selftest.get_mode_display()}]
    if selftest.last_error:
        hints.append(_("Sending failed: %(error)s") % {"error": selftest.last_error})
    source = selftest.source
    if selftest.mode == SelfTestMode.SOURCE and source is not None:
        if not source.enabled:
            hints.append(_("Source %(source)s is disabled.") % {"source": source.name})
        elif source.last_error:
            hints.append(
                _("Source %(source)s: %(error)s") % {"source": source.name, "error": source.last_error[:200]}
            )
    return hints
