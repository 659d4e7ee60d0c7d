"""The attribution explanation on an incident: in full for analysts, redacted for viewers."""

from __future__ import annotations

import pytest
from django.urls import reverse

from canary.alerts.models import Incident
from canary.audit.roles import VIEWER
from tests.conftest import security_user
from tests.console.test_flow_pages import identities, leak

pytestmark = pytest.mark.django_db


@pytest.fixture
def incident(campaign):
    leak(campaign)
    incident = Incident.objects.get(campaign=campaign)
    assert incident.snapshot["explanation"] != incident.snapshot["explanation_redacted"]
    return incident


def explanation_on_page(client, incident) -> str:
    page = client.get(reverse("alerts:incident", args=[incident.pk])).content.decode()
    return page.split('id="explanation"', 1)[1].split("</div>", 1)[0]


def test_a_viewer_reads_the_redacted_explanation_without_decoy_identities(client, incident, campaign):
    client.force_login(security_user("viewer", VIEWER))

    shown = explanation_on_page(client, incident)

    assert incident.snapshot["explanation_redacted"] in shown
    page = client.get(reverse("alerts:incident", args=[incident.pk])).content.decode()
    assert incident.snapshot["explanation"] not in page
    assert not [value for value in identities(campaign) if value in page]


def test_an_analyst_reads_the_full_explanation(client, incident):
    client.force_login(security_user("analyst"))

    assert incident.snapshot["explanation"] in explanation_on_page(client, incident)
