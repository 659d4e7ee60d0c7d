"""Evidence is read-only in the admin for everyone, superusers included."""

from __future__ import annotations

import pytest
from django.apps import apps
from django.contrib import admin
from django.contrib.auth.models import User
from django.test import RequestFactory
from django.urls import reverse

pytestmark = pytest.mark.django_db

EVIDENCE_MODELS = (
    "phones.contact",
    "phones.trackinglookup",
    "phones.callerinfo",
    "phones.securityevent",
    "phones.numberassignment",
    "sightings.document",
    "sightings.sighting",
    "attribution.signal",
    "attribution.attributionsnapshot",
    "campaigns.decoy",
    "campaigns.exposure",
    "alerts.casefile",
    "audit.auditevent",
)
# Shown only inside another model's page.
EVIDENCE_INLINES = (
    "campaigns.campaigntarget",
    "campaigns.exposure",
    "alerts.timelineentry",
    "alerts.evidence",
)


@pytest.fixture
def superuser_request():
    request = RequestFactory().get("/admin/")
    request.user = User.objects.create_superuser("root", password=None)
    return request


@pytest.mark.parametrize("label", EVIDENCE_MODELS)
def test_evidence_model_cannot_be_added_changed_or_deleted_by_a_superuser(label, superuser_request):
    model_admin = admin.site._registry[apps.get_model(label)]

    assert model_admin.has_view_permission(superuser_request)
    assert not model_admin.has_add_permission(superuser_request)
    assert not model_admin.has_change_permission(superuser_request)
    assert not model_admin.has_delete_permission(superuser_request)
    assert "delete_selected" not in model_admin.get_actions(superuser_request)


def test_evidence_shown_inline_is_read_only_too(superuser_request):
    inlines = [
        inline
        for model_admin in admin.site._registry.values()
        for inline in model_admin.get_inline_instances(superuser_request)
        if inline.model._meta.label_lower in EVIDENCE_INLINES
    ]

    assert {inline.model._meta.label_lower for inline in inlines} == set(EVIDENCE_INLINES)
    for inline in inlines:
        assert not inline.has_add_permission(superuser_request, None)
        assert not inline.has_change_permission(superuser_request)
        assert not inline.has_delete_permission(superuser_request)


def test_a_superuser_posting_a_decoy_change_is_refused_and_nothing_changes(client, campaign):
    client.force_login(User.objects.create_superuser("root", password=None))
    decoy = campaign.decoys.order_by("id").first()
    url = reverse("admin:campaigns_decoy_change", args=[decoy.pk])

    assert client.post(url, {"recipient_name": "改过的名字"}).status_code == 403
    assert client.get(reverse("admin:campaigns_decoy_add")).status_code == 403
    assert (
        client.post(reverse("admin:campaigns_decoy_delete", args=[decoy.pk]), {"post": "yes"}).status_code
        == 403
    )
    decoy.refresh_from_db()
    assert decoy.recipient_name != "改过的名字"


def test_the_campaign_status_is_not_editable_in_the_admin(superuser_request, campaign):
    model_admin = admin.site._registry[apps.get_model("campaigns.campaign")]

    assert "status" in model_admin.get_readonly_fields(superuser_request, campaign)
