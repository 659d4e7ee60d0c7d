"""How many decoys and exposures a campaign has, without counting millions of rows per request.

A campaign's decoys and exposures are written while it is issued and never change afterwards
(activating, ending or archiving keeps them), so once issuing is over a count is kept in the cache
for good, keyed by the campaign and its status: the campaign list, the dashboard and the API count
a million decoys once per process, not once per request. While a campaign is issuing the worker's
own progress counter is the answer.

Exposures of a big campaign (about nine per decoy, millions of rows) are not counted at all: the
count is estimated from a sample of its decoys and marked approximate.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from django.core.cache import cache
from django.db.models import Count

from .models import Campaign, CampaignStatus, Decoy, Exposure

EXACT_EXPOSURES_UP_TO = 20_000  # decoys; above this the exposure count is estimated
SAMPLE_DECOYS = 2_000


def _key(campaign: Campaign, what: str) -> str:
    # The creation time too: a test database (SQLite) may give a deleted campaign's id to another.
    return f"campaign-size:{campaign.pk}:{campaign.created_at.timestamp()}:{campaign.status}:{what}"


def _settled(campaign: Campaign) -> bool:
    return campaign.status not in (CampaignStatus.ISSUING, CampaignStatus.FAILED)


def decoy_counts(campaigns: Iterable[Campaign]) -> dict[int, int]:
    """Decoys of each campaign (controls included), by campaign id, in one query for the misses."""
    campaigns = list(campaigns)
    found: dict[int, int] = {}
    missing = []
    for campaign in campaigns:
        if campaign.status == CampaignStatus.ISSUING:
            found[campaign.pk] = campaign.decoys_issued
            continue
        cached = cache.get(_key(campaign, "decoys")) if _settled(campaign) else None
        if cached is None:
            missing.append(campaign)
        else:
            found[campaign.pk] = cached
    if missing:
        counted = dict(
            Decoy.objects.filter(campaign__in=missing)
            .values("campaign_id")
            .annotate(n=Count("id"))
            .values_list("campaign_id", "n")
        )
        for campaign in missing:
            found[campaign.pk] = counted.get(campaign.pk, 0)
            if _settled(campaign):
                cache.set(_key(campaign, "decoys"), found[campaign.pk], timeout=None)
    return found


def decoy_count(campaign: Campaign) -> int:
    return decoy_counts([campaign])[campaign.pk]


@dataclass(frozen=True)
class Sizes:
    decoys: int  # controls left out: the decoys that were shown to someone
    exposures: int
    exposures_approximate: bool


def campaign_sizes(campaign: Campaign, exact_up_to: int = EXACT_EXPOSURES_UP_TO) -> Sizes:
    """What the campaign page shows: exposed decoys and exposure rows (counted exactly for a
    campaign of up to ``exact_up_to`` exposed decoys, estimated beyond)."""
    cached = cache.get(_key(campaign, f"sizes-{exact_up_to}")) if _settled(campaign) else None
    if cached is not None:
        return cached
    decoys = campaign.decoys.filter(is_control=False)
    exposed = decoys.count()
    if exposed <= exact_up_to:
        sizes = Sizes(exposed, Exposure.objects.filter(decoy__campaign=campaign).count(), False)
    else:
        # Exposures per decoy hardly vary within a campaign (one strategy, one route shape).
        sample = list(decoys.order_by("id").values_list("id", flat=True)[:SAMPLE_DECOYS])
        per_decoy = Exposure.objects.filter(decoy_id__in=sample).count() / len(sample)
        sizes = Sizes(exposed, round(per_decoy * exposed), True)
    if _settled(campaign):
        cache.set(_key(campaign, f"sizes-{exact_up_to}"), sizes, timeout=None)
    return sizes
