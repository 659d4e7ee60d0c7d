"""What the dashboard says about the watchers: are sources fetching, heartbeats and SIM gateways
pinging, work queued up, alert channels delivering — and what is missing altogether (no channel,
no free number).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.db.models import F, Q
from django.utils import timezone

from canary.alerts.models import Alert, AlertStatus, Channel, SignalCheck
from canary.alerts.selftest import SelfTest
from canary.attribution.models import RecomputeState, Signal
from canary.phones.gateways import GatewayStatus, gateway_statuses
from canary.phones.models import CanaryNumber, Contact
from canary.phones.pool import free_numbers
from canary.sightings.models import Document, DocumentStatus, Source

# Work older than this and still not processed has waited too long: the sweeper should have it.
STALE_AFTER = timedelta(minutes=10)
RECENT = timedelta(days=1)


@dataclass
class Backlog:
    contacts: int
    documents: int
    signals: int
    recomputes: int
    stale: int  # of those, waiting longer than STALE_AFTER

    @property
    def total(self) -> int:
        return self.contacts + self.documents + self.signals + self.recomputes


@dataclass
class WatcherHealth:
    sources: list[Source]
    heartbeats: list[SelfTest]
    gateways: list[GatewayStatus]
    backlog: Backlog
    failing_channels: list[Channel]
    failed_alerts: int  # in the last day
    numbers_free: int
    channels_enabled: int
    warnings: list[str] = field(default_factory=list)  # codes the page words


def backlog(now: datetime) -> Backlog:
    stale = now - STALE_AFTER
    contacts = Contact.objects.filter(processed_at__isnull=True)
    documents = Document.objects.filter(status=DocumentStatus.PENDING)
    # A signal is done once the alert rules have evaluated it (its SignalCheck row).
    signals = Signal.objects.exclude(pk__in=SignalCheck.objects.values("signal_id"))
    dirty = RecomputeState.objects.filter(generation__gt=F("computed_generation"))
    return Backlog(
        contacts=contacts.count(),
        documents=documents.count(),
        signals=signals.count(),
        recomputes=dirty.count(),
        stale=contacts.filter(received_at__lt=stale).count()
        + documents.filter(fetched_at__lt=stale).count()
        + signals.filter(created_at__lt=stale).count(),
    )


def watcher_health(now: datetime | None = None) -> WatcherHealth:
    now = now or timezone.now()
    failing = list(
        Channel.objects.filter(Q(enabled=False, disabled_at__isnull=False) | Q(last_result="error")).order_by(
            "name"
        )
    )
    health = WatcherHealth(
        sources=list(Source.objects.filter(enabled=True).order_by("name")),
        heartbeats=list(SelfTest.objects.filter(enabled=True).order_by("name")),
        gateways=gateway_statuses(now),
        backlog=backlog(now),
        failing_channels=failing,
        failed_alerts=Alert.objects.filter(status=AlertStatus.FAILED, created_at__gte=now - RECENT).count(),
        numbers_free=CanaryNumber.objects.filter(free_numbers()).count(),
        channels_enabled=Channel.objects.filter(enabled=True).count(),
    )
    if not health.channels_enabled:
        health.warnings.append("no_channel")
    if not health.numbers_free:
        health.warnings.append("empty_pool")
    if any(s.last_error for s in health.sources):
        health.warnings.append("source_errors")
    if any(h.missed for h in health.heartbeats):
        health.warnings.append("heartbeat_missed")
    if any(g.silent for g in health.gateways):
        health.warnings.append("gateway_silent")
    if health.backlog.stale:
        health.warnings.append("stale_backlog")
    if failing:
        health.warnings.append("channel_failures")
    return health
