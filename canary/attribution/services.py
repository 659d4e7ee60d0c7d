"""Attribution of a campaign: the ledger and signals from the database, the engine, snapshots, incidents.

The pure engine (``engine.py``, ``explain.py``) knows nothing of Django; this module feeds it from
the database and keeps its results:

- ``build_ledger(campaign)`` and ``collect_signals(campaign)`` read the rows the engine needs;
- ``compute(campaign)`` runs the engine and returns the ``attribute --json`` report;
- ``run_attribution(campaign)`` also stores an ``AttributionSnapshot`` and opens or updates the
  incident when the top node's posterior crosses ``ATTRIBUTION_INCIDENT_THRESHOLD``;
- ``note_new_signal`` (the ``on_signal`` listener), ``claim_recompute``, ``recompute`` and
  ``sweep`` debounce the recompute per campaign (see ``RecomputeState``);
- ``seeding_plan_report(campaign)`` checks a plan before activation (report only).
"""

from __future__ import annotations

import dataclasses
import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import numpy as np
from django.conf import settings
from django.db.models import F, Q
from django.utils import timezone

from canary.alerts.incidents import open_or_update_incident
from canary.alerts.selftest import exclude_selftest, is_selftest
from canary.campaigns.models import Campaign, CampaignTarget, Decoy
from canary.network.models import Node
from canary.queue import publish

from .bulk_read import fast_reads, packed_rows
from .engine import Attribution, Params, attribute
from .evidence import Signal as EngineSignal
from .explain import LANGUAGES, explain_node, language, report, verdict
from .ledger import Ledger
from .ledger_store import campaign_ledger
from .models import AttributionSnapshot, RecomputeState, Signal
from .plan_quality import plan_quality

log = logging.getLogger(__name__)

DAY_SECONDS = 86_400
REPORT_LIMIT = 20  # ranked nodes kept in a report and a snapshot
INCIDENT_RANKING = 10  # nodes shown in an incident's snapshot
# A queued recompute not started after this long is taken as lost (broker restart, dropped message).
QUEUED_STALE_AFTER = timedelta(minutes=10)


# --------------------------------------------------------------------------- settings


def params_from_settings(now: datetime | None = None) -> Params:
    """Engine parameters from settings (each has a default, so none is required)."""
    now = now or timezone.now()
    return Params(
        false_rate=float(getattr(settings, "ATTRIBUTION_FALSE_RATE", 0.005)),
        min_lag_seconds=float(getattr(settings, "ATTRIBUTION_MIN_LAG_SECONDS", 0)),
        settle_seconds=float(getattr(settings, "ATTRIBUTION_SETTLE_DAYS", 7)) * DAY_SECONDS,
        now=now.timestamp(),
    )


def incident_threshold() -> float:
    return float(getattr(settings, "ATTRIBUTION_INCIDENT_THRESHOLD", 0.8))


def recompute_delay() -> int:
    """Seconds a recompute waits after the first signal of a burst, so the burst lands in one run."""
    return int(getattr(settings, "ATTRIBUTION_RECOMPUTE_DELAY_SECONDS", 30))


# --------------------------------------------------------------------------- reading the database


def build_ledger(campaign: Campaign) -> Ledger:
    """The campaign's exposure ledger: every node that saw a decoy or is a target, every decoy.

    Control decoys are included with no exposure: whatever surfaces on them measures the noise.
    Decoys printed only as privacy labels are marked (see ``Decoy.label_printed``). Built once per
    campaign and kept (``ledger_store``): a million decoys' ledger loads in well under a second.
    """
    return campaign_ledger(campaign)


def _signal_decoys(campaign: Campaign) -> dict[int, tuple[int, ...]]:
    """Each signal's decoy ids, sorted: an SMS to a canary number names every decoy carrying it
    (hundreds each at national scale), so on PostgreSQL they are read as arrays."""
    if not fast_reads():
        candidates: dict[int, list[int]] = {}
        links = Signal.decoys.through.objects.filter(signal__campaign=campaign)
        for signal_id, decoy_id in links.values_list("signal_id", "decoy_id"):
            candidates.setdefault(signal_id, []).append(decoy_id)
        return {signal_id: tuple(sorted(ids)) for signal_id, ids in candidates.items()}
    links = packed_rows(
        "attribution_signal_decoys l JOIN attribution_signal s ON s.id = l.signal_id "
        "WHERE s.campaign_id = %s",
        [campaign.pk],
        [("signal", "l.signal_id", "int8"), ("decoy", "l.decoy_id", "int8")],
        order_by="l.signal_id, l.decoy_id",
    )
    if not len(links):
        return {}
    signals, starts = np.unique(links["signal"], return_index=True)
    groups = np.split(links["decoy"].astype(np.int64), starts[1:])
    return {int(s): tuple(group.tolist()) for s, group in zip(signals.tolist(), groups, strict=True)}


def collect_signals(campaign: Campaign) -> dict[int, EngineSignal]:
    """The campaign's signals for the engine, by signal id; self-test signals are left out
    (heartbeats and anything naming a self-test decoy: planted files, texts to its number)."""
    rows = exclude_selftest(Signal.objects.filter(campaign=campaign)).values_list(
        "id", "kind", "first_seen_at", "strength", "full_phone_of_privacy_label"
    )
    candidates = _signal_decoys(campaign)
    return {
        signal_id: EngineSignal(
            decoys=candidates.get(signal_id, ()),
            first_seen=first_seen.timestamp(),
            kind=kind,
            strength=strength,
            full_phone=full_phone,
        )
        for signal_id, kind, first_seen, strength, full_phone in rows
    }


# --------------------------------------------------------------------------- computing


@dataclass
class Computation:
    """One run of the engine on a campaign, with what is needed to store and act on it."""

    campaign: Campaign
    report: dict[str, Any]
    result: Attribution | None
    ledger: Ledger
    signals: dict[int, EngineSignal]
    computed_at: datetime

    @property
    def top(self) -> dict[str, Any] | None:
        return self.report["nodes"][0] if self.report["nodes"] else None

    def signal_ids_about(self, code: str) -> list[int]:
        """Signals naming a decoy the node ``code`` saw: the evidence an incident about it carries."""
        seen, _times, _channels = self.ledger.seen_by(self.ledger.node_index(code))
        seen_ids = set(self.ledger.decoy_ids[seen].tolist())
        return sorted(i for i, s in self.signals.items() if seen_ids.intersection(s.decoys))


def _empty_report() -> dict[str, Any]:
    return {
        "nodes": [],
        "noise_only": 1.0,
        "noise_most_likely": True,
        "pointed_at": [],
        "verdict": "",
        "verdicts": dict.fromkeys(LANGUAGES, ""),
        "leak_set": [],
        "leak_set_posterior": 1.0,
        "baseline": {},
    }


def compute(
    campaign: Campaign, lang: str | None = None, now: datetime | None = None, limit: int = REPORT_LIMIT
) -> Computation:
    """Run the engine on the campaign as it stands; no side effects.

    The report is the ``attribute --json`` document (``verdict`` first: the most likely reading,
    then the ranked ``nodes``). A stored snapshot can be shown in either console language and to
    any role, so each node row also carries its ``name``, the waybill numbers of its supporting
    decoys and ``explanations``: per language a ``summary`` and ``details`` citing waybill numbers
    (security roles) and ``summary_redacted``/``details_redacted`` with counts only (viewers, who
    may not see decoy identities). ``verdicts`` holds the verdict per language (no identities).
    """
    lang = lang or settings.LANGUAGE_CODE
    now = now or timezone.now()
    ledger = build_ledger(campaign)
    signals = collect_signals(campaign)
    result = None
    if ledger.n_nodes:
        result = attribute(ledger, signals.values(), params_from_settings(now))
        waybills = dict(Decoy.objects.filter(id__in=list(result.surfaced)).values_list("id", "waybill_no"))
        data = report(result, ledger, lang, limit=limit, waybills=waybills)
        data["verdicts"] = {other: verdict(result, other) for other in LANGUAGES}
    else:  # a campaign without decoys or targets: nothing can be attributed
        waybills = {}
        data = _empty_report()
    data["signals"] = len(signals)
    names = dict(Node.objects.filter(code__in=[r["node"] for r in data["nodes"]]).values_list("code", "name"))
    for row in data["nodes"]:
        row["name"] = names.get(row["node"], "")
        row["supporting_waybills"] = [waybills[d] for d in row["supporting_decoys"] if d in waybills]
        row["explanations"] = {}
        for other in LANGUAGES:
            full = explain_node(result, ledger, row["node"], other, waybills)
            redacted = explain_node(result, ledger, row["node"], other, None)
            row["explanations"][other] = {
                "summary": full.summary,
                "details": full.details,
                "summary_redacted": redacted.summary,
                "details_redacted": redacted.details,
            }
    data["language"] = language(lang)
    data["campaign"] = campaign.slug
    data["computed_at"] = now.isoformat()
    return Computation(campaign, data, result, ledger, signals, now)


def run_attribution(
    campaign: Campaign, lang: str | None = None, now: datetime | None = None
) -> dict[str, Any]:
    """Compute, store a snapshot, and open or update the incident above the threshold."""
    computation = compute(campaign, lang=lang, now=now)
    previous = AttributionSnapshot.objects.filter(campaign=campaign).order_by("-computed_at", "-id").first()
    snapshot = store_snapshot(computation)
    if _should_notify(computation, previous):
        notify_incident(computation, snapshot)
    return computation.report


def store_snapshot(computation: Computation) -> AttributionSnapshot:
    top = computation.top
    top_node = Node.objects.filter(code=top["node"]).first() if top else None
    return AttributionSnapshot.objects.create(
        campaign=computation.campaign,
        computed_at=computation.computed_at,
        signals_count=computation.report["signals"],
        top_node=top_node,
        top_posterior=top["posterior"] if top else 0.0,
        noise_only=computation.report["noise_only"],
        result=computation.report,
    )


def _should_notify(computation: Computation, previous: AttributionSnapshot | None) -> bool:
    """Above the threshold, and something changed since the last snapshot.

    Every recompute would otherwise raise another alert about the same suspicion; a new top node,
    a crossing, new signals or a clearly moved posterior are worth telling.
    """
    top = computation.top
    threshold = incident_threshold()
    if top is None or top["posterior"] < threshold:
        return False
    if previous is None or previous.top_node is None or previous.top_posterior < threshold:
        return True
    return (
        previous.top_node.code != top["node"]
        or previous.signals_count != computation.report["signals"]
        or abs(previous.top_posterior - top["posterior"]) >= 0.01
    )


def notify_incident(computation: Computation, snapshot: AttributionSnapshot) -> None:
    top = computation.top
    node = snapshot.top_node
    if top is None or node is None:
        return
    incident_snapshot = {
        "snapshot": snapshot.pk,
        "computed_at": computation.report["computed_at"],
        "ranking": [
            {"node": row["node"], "name": row["name"], "posterior": row["posterior"]}
            for row in computation.report["nodes"][:INCIDENT_RANKING]
        ],
        "explanation": top["explanation"],
        "explanation_redacted": top["explanations"][computation.report["language"]]["summary_redacted"],
        "verdict": computation.report["verdict"],
        "noise_only": computation.report["noise_only"],
        "signals": computation.report["signals"],
        "leak_set": computation.report["leak_set"],
    }
    open_or_update_incident(
        computation.campaign,
        node,
        top["posterior"],
        incident_snapshot,
        computation.signal_ids_about(top["node"]),
    )


# --------------------------------------------------------------------------- debounced recompute


def mark_dirty(campaign_id: int) -> None:
    """Count one more signal for the campaign: its attribution is now out of date."""
    bump = {"generation": F("generation") + 1}
    if not RecomputeState.objects.filter(campaign_id=campaign_id).update(**bump):
        RecomputeState.objects.get_or_create(campaign_id=campaign_id)
        RecomputeState.objects.filter(campaign_id=campaign_id).update(**bump)


def claim_recompute(campaign_id: int, now: datetime | None = None) -> bool:
    """True for the one caller that should queue the recompute of an out-of-date campaign.

    A conditional UPDATE: only the first caller of a burst finds no recompute queued; the others
    see ``queued_at`` set and do nothing. A claim older than ``QUEUED_STALE_AFTER`` is taken as
    lost and can be claimed again.
    """
    now = now or timezone.now()
    waiting = Q(queued_at__isnull=True) | Q(queued_at__lt=now - QUEUED_STALE_AFTER)
    claimed = (
        RecomputeState.objects.filter(campaign_id=campaign_id, generation__gt=F("computed_generation"))
        .filter(waiting)
        .update(queued_at=now)
    )
    return claimed == 1


def release_claim(campaign_id: int) -> None:
    RecomputeState.objects.filter(campaign_id=campaign_id).update(queued_at=None)


def enqueue_recompute(campaign_id: int, countdown: int | None = None) -> bool:
    """Queue the recompute task; a broker failure is logged and left to the sweeper."""
    if not publish(
        "attribution.recompute", campaign_id, countdown=recompute_delay() if countdown is None else countdown
    ):
        release_claim(campaign_id)
        return False
    return True


def note_new_signal(signal_id: int, created: bool) -> None:
    """The ``on_signal`` listener: mark the campaign out of date and queue one recompute per burst.

    It runs in the caller's commit hook (a webhook, a watcher), so it must never raise.
    """
    try:
        signal = Signal.objects.filter(pk=signal_id).only("campaign_id", "origin").first()
        if signal is None or is_selftest(signal):
            return
        campaign_id = signal.campaign_id
        mark_dirty(campaign_id)
        if claim_recompute(campaign_id):
            enqueue_recompute(campaign_id)
    except Exception:
        log.exception("could not schedule attribution after signal %s; the sweeper will retry", signal_id)


def recompute(campaign_id: int) -> int | None:
    """Recompute an out-of-date campaign; the new snapshot's id, or None if it was up to date.

    Idempotent: a duplicate task finds the generation already computed and does nothing.
    """
    state = RecomputeState.objects.filter(campaign_id=campaign_id).first()
    if state is None or not state.is_dirty:
        return None
    generation = state.generation
    # From here on, new signals queue the next run: they may have missed this one's reading.
    release_claim(campaign_id)
    campaign = Campaign.objects.get(pk=campaign_id)
    run_attribution(campaign)
    RecomputeState.objects.filter(pk=state.pk, computed_generation__lt=generation).update(
        computed_generation=generation
    )
    return (
        AttributionSnapshot.objects.filter(campaign_id=campaign_id)
        .order_by("-id")
        .values_list("id", flat=True)
        .first()
    )


def sweep(now: datetime | None = None) -> int:
    """Queue the recompute of every out-of-date campaign whose queued task is missing or lost."""
    now = now or timezone.now()
    dirty = RecomputeState.objects.filter(generation__gt=F("computed_generation")).values_list(
        "campaign_id", flat=True
    )
    queued = 0
    for campaign_id in list(dirty):
        if claim_recompute(campaign_id, now) and enqueue_recompute(campaign_id, countdown=0):
            queued += 1
    return queued


# --------------------------------------------------------------------------- seeding plan


def seeding_plan_report(campaign: Campaign) -> dict[str, Any]:
    """Can this campaign's plan tell its target nodes apart? JSON for ``campaign.plan_report``."""
    targets = list(
        CampaignTarget.objects.filter(campaign=campaign)
        .order_by("node__code")
        .values_list("node__code", flat=True)
    )
    return plan_report(build_ledger(campaign), targets)


def plan_report(ledger: Ledger, targets: list[str]) -> dict[str, Any]:
    """The plan-quality report of ``targets`` on ``ledger`` as JSON, with the assumptions it made."""
    leak_rate = float(getattr(settings, "ATTRIBUTION_PLAN_LEAK_RATE", 0.5))
    false_rate = float(getattr(settings, "ATTRIBUTION_PLAN_FALSE_RATE", 0.01))
    quality = plan_quality(
        ledger,
        targets=targets,
        leak_rate=leak_rate,
        false_rate=false_rate,
        worlds=int(getattr(settings, "ATTRIBUTION_PLAN_WORLDS", 100)),
    )
    data = dataclasses.asdict(quality)
    data["confusable"] = [list(group) for group in quality.confusable]
    data["confusions"] = [list(row) for row in quality.confusions]
    data["assumed_leak_rate"] = leak_rate
    data["assumed_false_rate"] = false_rate
    data["computed_at"] = timezone.now().isoformat()
    return data
