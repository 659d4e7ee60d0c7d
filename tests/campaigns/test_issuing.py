"""Issuing campaigns in the background: all decoys or none, progress, status history."""

from __future__ import annotations

import os
import uuid
from datetime import timedelta

import pytest
from django.db import connections, transaction
from django.utils import timezone

from canary.campaigns import issuing
from canary.campaigns.models import Campaign, CampaignStatusChange, Decoy
from canary.campaigns.planner import CampaignSpec, SpecError, activate, end
from canary.phones.models import CanaryNumber
from tests.celery_support import publishing_to, wait_until, worker_on_queue


def history(campaign: Campaign) -> list[tuple[str, str]]:
    return list(
        CampaignStatusChange.objects.filter(campaign=campaign).values_list("from_status", "to_status")
    )


def test_a_small_spec_is_issued_in_the_request(network, numbers, campaign_spec):
    started = issuing.start_issuing(CampaignSpec.from_dict(campaign_spec), actor="alice")
    assert not started.background
    campaign = Campaign.objects.get(slug="test-depots")
    assert campaign.status == "draft"
    assert campaign.decoys.count() == started.summary.decoys > 0
    assert history(campaign) == [("", "draft")]


def test_a_large_spec_goes_to_a_worker_and_ends_as_a_draft(
    network, numbers, campaign_spec, settings, django_capture_on_commit_callbacks
):
    settings.CAMPAIGN_ISSUE_IN_REQUEST_MAX = 1
    with django_capture_on_commit_callbacks(execute=True):
        started = issuing.start_issuing(CampaignSpec.from_dict(campaign_spec), actor="alice")
        assert started.background
        assert started.campaign.status == "issuing"
    campaign = Campaign.objects.get(slug="test-depots")
    assert campaign.status == "draft"
    assert campaign.decoys.count() == campaign.decoys_expected == campaign.decoys_issued > 1
    assert history(campaign) == [("", "issuing"), ("issuing", "draft")]


def test_a_failed_issue_leaves_no_decoy_and_says_why(
    network, campaign_spec, django_capture_on_commit_callbacks
):
    # No canary number is registered: the worker cannot give the nodes codewords.
    with django_capture_on_commit_callbacks(execute=True):
        issuing.start_issuing(CampaignSpec.from_dict(campaign_spec), background=True)
    campaign = Campaign.objects.get(slug="test-depots")
    assert campaign.status == "failed"
    assert "add_numbers" in campaign.issue_error
    assert not Decoy.objects.exists()
    assert history(campaign)[-1] == ("issuing", "failed")


def test_a_second_delivery_of_the_task_issues_nothing_more(
    network, numbers, campaign_spec, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        started = issuing.start_issuing(CampaignSpec.from_dict(campaign_spec), background=True)
    count = Decoy.objects.count()
    assert issuing.issue_campaign(started.campaign.pk) == "draft"
    assert Decoy.objects.count() == count


def test_a_taken_slug_is_refused_before_anything_is_queued(network, numbers, campaign_spec):
    issuing.start_issuing(CampaignSpec.from_dict(campaign_spec))
    with pytest.raises(SpecError, match="already exists"):
        issuing.start_issuing(CampaignSpec.from_dict(campaign_spec), background=True)


def test_the_sweeper_requeues_a_campaign_whose_task_was_lost(network, numbers, campaign_spec, settings):
    started = issuing.start_issuing(CampaignSpec.from_dict(campaign_spec), background=True)
    # The on-commit publish never ran (no commit in this test): the task is lost.
    assert issuing.sweep_issuing() == 0  # not stale yet
    Campaign.objects.filter(pk=started.campaign.pk).update(
        issue_queued_at=timezone.now() - timedelta(hours=1)
    )
    assert issuing.sweep_issuing() == 1
    assert Campaign.objects.get(pk=started.campaign.pk).status == "draft"


def test_activate_and_end_are_recorded_in_the_history(network, numbers, campaign_spec):
    campaign = issuing.start_issuing(CampaignSpec.from_dict(campaign_spec)).campaign
    end(activate(campaign, actor="bob"), actor="carol")
    changes = list(CampaignStatusChange.objects.filter(campaign=campaign))
    assert [(c.from_status, c.to_status, c.actor) for c in changes[1:]] == [
        ("draft", "active", "bob"),
        ("active", "ended", "carol"),
    ]


@pytest.mark.django_db(transaction=True)
def test_progress_is_readable_from_outside_the_issuing_transaction(network, numbers, campaign_spec):
    campaign = issuing.start_issuing(CampaignSpec.from_dict(campaign_spec), background=True).campaign
    if connections["default"].vendor != "postgresql":
        pytest.skip("SQLite has one writer: progress is reported at commit")
    reader = connections.create_connection("default")
    try:
        with transaction.atomic(), issuing._progress_writer(campaign.pk) as progress:
            progress(7)
            with reader.cursor() as cursor:
                cursor.execute("SELECT decoys_issued FROM campaigns_campaign WHERE id = %s", [campaign.pk])
                assert cursor.fetchone() == (7,)
    finally:
        reader.close()


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_a_real_worker_issues_a_large_campaign(network, numbers, campaign_spec, settings):
    settings.CAMPAIGN_ISSUE_IN_REQUEST_MAX = 1
    broker = os.environ.get("CELERY_BROKER_URL", "redis://127.0.0.1:6379/0")
    queue = f"issuing-{uuid.uuid4().hex[:8]}"
    with (
        publishing_to(broker),
        worker_on_queue(queue, broker, tasks="campaigns.*", options=("-c", "1", "-P", "solo")),
    ):
        started = issuing.start_issuing(CampaignSpec.from_dict(campaign_spec), actor="alice")
        assert started.background
        wait_until(
            lambda: Campaign.objects.get(pk=started.campaign.pk).status != "issuing",
            what="the worker to issue",
        )
    campaign = Campaign.objects.get(pk=started.campaign.pk)
    assert campaign.status == "draft", campaign.issue_error
    assert campaign.decoys.count() == campaign.decoys_expected
    assert CanaryNumber.objects.filter(campaign=campaign).exists()
