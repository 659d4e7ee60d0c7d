"""Decoys seen per node in active campaigns, for the network tree, without reading exposures per view.

``decoys_seen`` sums the stored tallies of the active campaigns and asks a worker to count any
active campaign that has none yet (``console.count_decoys_seen``); until it has, the tree says so
instead of showing a partial figure as if it were whole.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from django.core.cache import cache
from django.db import transaction
from django.db.models import Count, Sum

from canary.campaigns.models import Campaign, CampaignStatus, Exposure
from canary.queue import publish

from .models import SeenCount, SeenTally

COUNT_TASK = "console.count_decoys_seen"
ASK_AGAIN_AFTER = 600  # seconds: a lost task is asked for again by the next view after this


@dataclass
class DecoysSeen:
    by_node: dict[int, int]  # node id → decoys seen in the counted active campaigns
    uncounted: list[Campaign]  # active campaigns whose count is still being made


def count_decoys_seen(campaign_id: int) -> int:
    """Count, once, how many of the campaign's decoys each node saw; returns the nodes counted.

    A campaign still issuing (or failed) is not counted: its exposures are not final."""
    campaign = Campaign.objects.filter(pk=campaign_id).first()
    if campaign is None or campaign.status in (CampaignStatus.ISSUING, CampaignStatus.FAILED):
        return 0
    rows = (
        Exposure.objects.filter(decoy__campaign_id=campaign_id)
        .values("node_id")
        .annotate(n=Count("decoy_id", distinct=True))
        .values_list("node_id", "n")
    )
    with transaction.atomic():
        SeenTally.objects.filter(campaign_id=campaign_id).delete()
        tally = SeenTally.objects.create(campaign_id=campaign_id)
        counts = SeenCount.objects.bulk_create(
            (SeenCount(tally=tally, node_id=node_id, decoys=n) for node_id, n in rows.iterator()),
            batch_size=2000,
        )
    return len(counts)


def decoys_seen(node_ids: Iterable[int] | None = None) -> DecoysSeen:
    """Decoys seen in active campaigns per node (all nodes, or those of ``node_ids``)."""
    active = list(Campaign.objects.filter(status=CampaignStatus.ACTIVE))
    counted = set(SeenTally.objects.filter(campaign__in=active).values_list("campaign_id", flat=True))
    uncounted = [campaign for campaign in active if campaign.pk not in counted]
    for campaign in uncounted:
        # One request per campaign and process every few minutes, not one per page view.
        if cache.add(f"{COUNT_TASK}:{campaign.pk}:{campaign.created_at.timestamp()}", 1, ASK_AGAIN_AFTER):
            publish(COUNT_TASK, campaign.pk)
    rows = SeenCount.objects.filter(tally__campaign__in=active)
    if node_ids is not None:
        rows = rows.filter(node_id__in=list(node_ids))
    by_node = dict(rows.values("node_id").annotate(n=Sum("decoys")).values_list("node_id", "n"))
    counted_now = set(SeenTally.objects.filter(campaign__in=uncounted).values_list("campaign_id", flat=True))
    return DecoysSeen(by_node, [c for c in uncounted if c.pk not in counted_now])
