"""Issuing a campaign in the background: small specs at once, large ones by a Celery worker.

``start_issuing`` validates a spec (the one ``create_campaign`` reads) and either issues it in
the request (``background=False``) or stores the campaign as ``issuing`` with its spec and the
number of decoys to expect, and publishes ``campaigns.issue_campaign`` by name after commit.
The task makes every decoy in one transaction — all of them or none: on failure the campaign is
``failed`` with the reason. While it runs, ``decoys_issued`` of ``decoys_expected`` tells how far
it got (on PostgreSQL, written beside the transaction; SQLite has one writer, so there it jumps
to the total at the end). ``sweep_issuing`` re-publishes campaigns whose task was lost.
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import timedelta

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, IntegrityError, connections, transaction
from django.utils import timezone
from django.utils.translation import gettext_noop

from canary.audit.services import record
from canary.queue import publish, publish_after_commit

from .history import record_transition
from .messages import SEPARATOR, Message
from .models import Campaign, CampaignStatus
from .planner import (
    CampaignSpec,
    IssueSummary,
    SpecError,
    create_campaign,
    decoys_issued,
    issue_decoys,
    resolve_targets,
    slug_taken,
    store_campaign,
)

log = logging.getLogger(__name__)

ISSUE_TASK = "campaigns.issue_campaign"


@dataclasses.dataclass
class IssueStarted:
    campaign: Campaign
    background: bool
    summary: IssueSummary | None = None


def expected_decoys(spec: CampaignSpec, targets: int) -> int:
    return targets * spec.decoys_per_node + spec.controls


def start_issuing(
    spec: CampaignSpec, actor: str | None = None, background: bool | None = None
) -> IssueStarted:
    """Create the campaign and issue its decoys, in the background when it is large.

    ``background`` forces the choice; by default specs of more than
    ``settings.CAMPAIGN_ISSUE_IN_REQUEST_MAX`` decoys go to a worker. Raises ``SpecError`` for a
    spec that cannot be issued (unknown nodes, slug taken).
    """
    targets = resolve_targets(spec)
    expected = expected_decoys(spec, len(targets))
    if background is None:
        background = expected > settings.CAMPAIGN_ISSUE_IN_REQUEST_MAX
    if not background:
        summary = create_campaign(spec, actor=actor)
        return IssueStarted(summary.campaign, False, summary)
    taken = SpecError([slug_taken(spec.slug)])
    if Campaign.objects.filter(slug=spec.slug).exists():
        raise taken
    try:
        with transaction.atomic():
            campaign = _queue_campaign(spec, actor, expected, len(targets))
    except IntegrityError:  # the same slug created a moment ago by another request
        raise taken from None
    return IssueStarted(campaign, True)


def _queue_campaign(spec: CampaignSpec, actor: str | None, expected: int, targets: int) -> Campaign:
    """Store the campaign as ``issuing`` with its spec, and queue the task after commit."""
    campaign = store_campaign(
        spec,
        actor,
        status=CampaignStatus.ISSUING,
        issue_spec=spec_to_dict(spec),
        decoys_expected=expected,
        issue_queued_at=timezone.now(),
    )
    record_transition(
        campaign,
        "",
        CampaignStatus.ISSUING,
        actor,
        Message(gettext_noop("%(count)s decoys to issue"), count=expected),
    )
    record("campaign.create", actor=actor, obj=campaign, decoys=expected, targets=targets, background=True)
    publish_issue(campaign.pk)
    return campaign


def spec_to_dict(spec: CampaignSpec) -> dict:
    """The spec as ``CampaignSpec.from_dict`` reads it back (JSON-safe)."""
    data = dataclasses.asdict(spec)
    data["carrier"] = spec.carrier.value
    data["starts_at"] = spec.starts_at.isoformat()
    data["ends_at"] = spec.ends_at.isoformat()
    return data


def publish_issue(campaign_id: int) -> None:
    """Queue the issuing task by name once the current transaction has committed."""
    publish_after_commit(ISSUE_TASK, campaign_id)


class _IssuedElsewhere(Exception):
    """Another delivery of the task finished this campaign first: roll this one back."""


def issue_campaign(campaign_id: int) -> str:
    """Issue every decoy of an ``issuing`` campaign (the task body); returns the final status.

    Idempotent: a campaign that is no longer ``issuing`` is left alone. Two deliveries running at
    once both build decoys, but only one wins the conditional UPDATE that ends issuing; the other
    rolls back. (No row lock is held while issuing: the progress writer updates that row.)
    """
    try:
        campaign = Campaign.objects.get(pk=campaign_id)
    except Campaign.DoesNotExist:
        return "missing"
    if campaign.status != CampaignStatus.ISSUING:
        return campaign.status
    try:
        with transaction.atomic():
            spec = CampaignSpec.from_dict(campaign.issue_spec)
            with _progress_writer(campaign_id) as progress:
                summary = issue_decoys(campaign, resolve_targets(spec), spec, progress=progress)
            won = Campaign.objects.filter(pk=campaign_id, status=CampaignStatus.ISSUING).update(
                status=CampaignStatus.DRAFT, decoys_issued=summary.decoys, issue_error=""
            )
            if not won:
                raise _IssuedElsewhere
            record_transition(
                campaign, CampaignStatus.ISSUING, CampaignStatus.DRAFT, "", decoys_issued(summary.decoys)
            )
            return CampaignStatus.DRAFT
    except _IssuedElsewhere:
        return Campaign.objects.get(pk=campaign_id).status
    except Exception as exc:
        log.exception("issuing campaign %s failed", campaign_id)
        return _mark_failed(campaign_id, exc)


def _mark_failed(campaign_id: int, exc: Exception) -> str:
    """``failed`` with the reason, unless another delivery already finished the campaign."""
    reasons = exc.problems if isinstance(exc, SpecError) else [f"{type(exc).__name__}: {exc}"]
    reason = SEPARATOR.join(reasons)
    with transaction.atomic():
        won = Campaign.objects.filter(pk=campaign_id, status=CampaignStatus.ISSUING).update(
            status=CampaignStatus.FAILED, decoys_issued=0, issue_error=reason[:2000]
        )
        campaign = Campaign.objects.get(pk=campaign_id)
        if won:
            record_transition(campaign, CampaignStatus.ISSUING, CampaignStatus.FAILED, "", reasons)
    return campaign.status


@contextmanager
def _progress_writer(campaign_id: int) -> Iterator[Callable[[int], None] | None]:
    """Report progress from inside the issuing transaction, where the campaign row's own updates
    stay invisible until commit: PostgreSQL gets a second connection in autocommit; SQLite has a
    single writer, so it reports only the total at commit."""
    if connections[DEFAULT_DB_ALIAS].vendor != "postgresql":
        yield None
        return
    side = connections.create_connection(DEFAULT_DB_ALIAS)
    table = side.ops.quote_name(Campaign._meta.db_table)

    def write(done: int) -> None:
        with side.cursor() as cursor:
            cursor.execute(f"UPDATE {table} SET decoys_issued = %s WHERE id = %s", [done, campaign_id])

    try:
        yield write
    finally:
        side.close()


def sweep_issuing() -> int:
    """Re-publish campaigns still ``issuing`` long after they were queued (broker down, worker
    killed mid-transaction); returns how many were queued again."""
    stale = timezone.now() - timedelta(seconds=settings.CAMPAIGN_ISSUE_REQUEUE_AFTER)
    requeued = 0
    for campaign_id in Campaign.objects.filter(
        status=CampaignStatus.ISSUING, issue_queued_at__lt=stale
    ).values_list("id", flat=True):
        won = Campaign.objects.filter(
            pk=campaign_id, status=CampaignStatus.ISSUING, issue_queued_at__lt=stale
        ).update(issue_queued_at=timezone.now())
        if won:
            publish(ISSUE_TASK, campaign_id)
            requeued += 1
    return requeued
