"""Campaign tasks: thin wrappers around ``canary.campaigns`` services."""

from __future__ import annotations

from celery import shared_task

from canary.campaigns import issuing

# A campaign of hundreds of thousands of decoys takes minutes to issue.
ISSUE_SOFT_LIMIT, ISSUE_HARD_LIMIT = 3600, 3700


@shared_task(name=issuing.ISSUE_TASK, soft_time_limit=ISSUE_SOFT_LIMIT, time_limit=ISSUE_HARD_LIMIT)
def issue_campaign(campaign_id: int) -> str:
    return issuing.issue_campaign(campaign_id)


@shared_task(name="campaigns.sweep_issuing")
def sweep_issuing() -> int:
    return issuing.sweep_issuing()
