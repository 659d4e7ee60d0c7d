"""The console's attribution page: security roles only, audited, and it shows the suspicion over time."""

from datetime import UTC, datetime, timedelta

import pytest
from django.contrib.auth.models import User

from canary.attribution.services import run_attribution
from canary.attribution.signals import record_signal
from canary.audit.models import AuditEvent
from canary.campaigns.models import Decoy
from tests.conftest import security_user

pytestmark = pytest.mark.django_db

LEAKER = "D-GZ-TH"


@pytest.fixture
def analyst():
    return security_user("analyst", password="pw")


@pytest.fixture
def depot_clerk():
    return User.objects.create_user("clerk", password="pw")


@pytest.fixture
def two_snapshots(campaign):
    """One snapshot after the first decoy of a depot surfaced, another after all three."""
    decoys = list(Decoy.objects.filter(campaign=campaign, target__code=LEAKER).order_by("id"))
    seen = datetime(2026, 11, 15, tzinfo=UTC)
    for n, decoy in enumerate(decoys):
        record_signal(
            kind="online",
            decoy_ids=[decoy.pk],
            seen_at=seen + timedelta(days=n),
            strength=1.0,
            dedupe_key=f"online:{decoy.pk}",
            origin=f"sightings.document:{decoy.pk}",
        )
        if n in (0, len(decoys) - 1):
            run_attribution(campaign, now=seen + timedelta(days=n + 1))
    return campaign


def test_an_analyst_sees_the_ranking_explanation_and_evolution(client, analyst, two_snapshots):
    client.force_login(analyst)

    response = client.get(f"/attribution/{two_snapshots.slug}/", HTTP_ACCEPT_LANGUAGE="en")

    assert response.status_code == 200
    page = response.content.decode()
    assert LEAKER in page and "广州天河网点" in page
    assert "Most likely reading" in page  # the verdict comes first
    assert "is the most likely source" in page  # the engine's explanation, in the page's language
    assert "<details>" in page  # with its details behind a toggle
    assert 'id="suspicion-data"' in page and 'data-chart="suspicion"' in page  # drawn by ECharts
    assert f'"node": "{LEAKER}"' in page
    assert AuditEvent.objects.filter(action="attribution.view", user=analyst).exists()


def test_the_page_of_a_campaign_never_attributed_offers_to_compute(client, analyst, campaign):
    client.force_login(analyst)

    response = client.get(f"/attribution/{campaign.slug}/")

    assert response.status_code == 200
    assert f"/attribution/{campaign.slug}/recompute/" in response.content.decode()


def test_recompute_now_stores_a_snapshot_and_returns_to_the_page(client, analyst, campaign):
    client.force_login(analyst)

    response = client.post(f"/attribution/{campaign.slug}/recompute/")

    assert response.status_code == 302 and response["Location"] == f"/attribution/{campaign.slug}/"
    assert campaign.attribution_snapshots.count() == 1


def test_a_user_without_a_security_role_is_refused(client, depot_clerk, campaign):
    client.force_login(depot_clerk)

    assert client.get(f"/attribution/{campaign.slug}/").status_code == 403
    assert client.post(f"/attribution/{campaign.slug}/recompute/").status_code == 403
