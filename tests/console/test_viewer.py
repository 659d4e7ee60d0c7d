"""A viewer reads the overview and the rankings, never a decoy identity."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from canary.attribution.models import AttributionSnapshot
from canary.attribution.services import run_attribution
from canary.audit.roles import VIEWER
from tests.conftest import security_user

pytestmark = pytest.mark.django_db


def test_the_viewer_reaches_the_ranking_from_the_overview_and_sees_no_decoy(
    client, analyst, campaign, django_capture_on_commit_callbacks
):
    decoy = campaign.decoys.order_by("id").first()
    with django_capture_on_commit_callbacks(execute=True):
        body = f"{decoy.waybill_no} {decoy.recipient_name}".encode()
        analyst.post(reverse("sightings:upload"), {"file": SimpleUploadedFile("dump.txt", body)})
    run_attribution(campaign)
    assert AttributionSnapshot.objects.filter(campaign=campaign).exists()
    client.force_login(security_user("watcher", VIEWER))

    overview = client.get(reverse("console:dashboard")).content.decode()
    ranking = client.get(reverse("attribution:campaign", args=[campaign.slug])).content.decode()

    assert reverse("attribution:campaign", args=[campaign.slug]) in overview
    assert decoy.target.code in ranking  # the suspected node is named
    for page in (overview, ranking):
        for shown in campaign.decoys.all():
            assert shown.waybill_no not in page and shown.recipient_name not in page
            assert shown.recipient_phone.removeprefix("+86") not in page
    assert "/recompute/" not in ranking
