"""Self-test canaries: a heartbeat signal sent through ``record_signal`` on a schedule.

Covered: the path from ``record_signal`` through the commit hook, the broker, a worker and the
rule evaluation. A heartbeat not seen within ``expected_within_seconds`` raises a critical
``watcher.unhealthy`` event, so a dead worker or broker becomes an alert (sent by whichever
worker still runs beat's check; route it to a channel that does not depend on the queue, e.g.
keep beat and one worker on a separate host).

Not covered yet: planting a test decoy into an online test source (the sightings fetchers do
not exist yet) and texting a canary number through Twilio (needs the inbound SMS webhook).
"""

from __future__ import annotations

from datetime import datetime

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from canary.attribution.models import Signal, SignalKind
from canary.attribution.signals import record_signal

from .models import SelfTest, Severity

ORIGIN_PREFIX = "alerts.selftest:"


def is_selftest(signal: Signal) -> bool:
    return signal.origin.startswith(ORIGIN_PREFIX)


def send_heartbeat(selftest: SelfTest, now: datetime | None = None) -> str:
    """Record one heartbeat signal for the self-test decoy; returns its dedupe key."""
    now = now or timezone.now()
    key = f"selftest:{selftest.pk}:{now.timestamp():.3f}"
    SelfTest.objects.filter(pk=selftest.pk).update(last_sent_at=now, last_key=key)
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
    return key


def mark_seen(signal: Signal) -> None:
    """The pipeline delivered a heartbeat: remember when, and how long it took."""
    selftest_id = int(signal.origin.removeprefix(ORIGIN_PREFIX))
    now = timezone.now()
    with transaction.atomic():
        selftest = SelfTest.objects.select_for_update().filter(pk=selftest_id).first()
        if selftest is None or selftest.last_key != signal.dedupe_key:
            return
        selftest.last_seen_at = now
        selftest.last_latency_ms = max(0, int((now - signal.first_seen_at).total_seconds() * 1000))
        selftest.missed = False
        selftest.save(update_fields=["last_seen_at", "last_latency_ms", "missed"])


def check(now: datetime | None = None) -> list[SelfTest]:
    """Raise a critical watcher event for every heartbeat overdue; returns the ones missed."""
    from .services import raise_watcher_unhealthy

    now = now or timezone.now()
    missed = []
    for selftest in SelfTest.objects.filter(enabled=True, last_sent_at__isnull=False, missed=False):
        seen = selftest.last_seen_at is not None and selftest.last_seen_at >= selftest.last_sent_at
        overdue = (now - selftest.last_sent_at).total_seconds() > selftest.expected_within_seconds
        if seen or not overdue:
            continue
        SelfTest.objects.filter(pk=selftest.pk).update(missed=True)
        raise_watcher_unhealthy(
            f"selftest:{selftest.pk}",
            _("Self-test %(name)s: heartbeat sent at %(at)s was not seen within %(s)d s")
            % {
                "name": selftest.name,
                "at": timezone.localtime(selftest.last_sent_at).strftime("%Y-%m-%d %H:%M:%S"),
                "s": selftest.expected_within_seconds,
            },
            severity=Severity.CRITICAL,
            quiet_minutes=0,
        )
        missed.append(selftest)
    return missed
