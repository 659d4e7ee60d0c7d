"""The console's contact list: what a security team sees when a canary number rings."""

from __future__ import annotations

import re

import pytest
from django.contrib.auth.models import User
from django.utils import timezone

from canary.audit.models import AuditEvent
from canary.campaigns.models import Decoy
from canary.phones import processing
from canary.phones.models import Contact
from tests.conftest import security_user

from .conftest import CALLER

pytestmark = pytest.mark.django_db


@pytest.fixture
def analyst(client):
    user = security_user("analyst")
    client.force_login(user)
    return user


def contact(to: str, sid: str, body: str = "") -> Contact:
    stored = Contact.objects.create(
        provider="twilio",
        provider_sid=sid,
        kind="sms",
        from_number=CALLER,
        to_number=to,
        body=body,
        received_at=timezone.now(),
    )
    processing.process_contact(stored.pk)
    return stored


def test_a_text_naming_a_decoy_shows_its_waybill_and_the_node_it_was_seeded_for(client, analyst, campaign):
    decoy = Decoy.objects.filter(campaign=campaign).select_related("target", "number").first()
    contact(decoy.number.e164, "SM1", body=f"{decoy.recipient_name}您好，您的快递丢失，双倍赔付")

    page = client.get("/contacts/", HTTP_ACCEPT_LANGUAGE="en").content.decode()

    assert f"{decoy.waybill_no} → {decoy.target.code}" in page
    assert CALLER in page and "双倍赔付" in page
    assert AuditEvent.objects.filter(action="phones.contacts.view", user=analyst).exists()


def test_unmatched_contacts_can_be_listed_alone(client, analyst, campaign):
    decoy = Decoy.objects.filter(campaign=campaign).select_related("number").first()
    contact(decoy.number.e164, "SM1", body="matched one")
    contact("+8613900139299", "SM2", body="nobody's number")

    page = client.get("/contacts/?state=unmatched", HTTP_ACCEPT_LANGUAGE="en").content.decode()

    assert "nobody&#x27;s number" in page and "matched one" not in page


def test_staff_without_a_security_role_cannot_see_contacts(client, campaign):
    client.force_login(User.objects.create_user("clerk", is_staff=True))

    assert client.get("/contacts/").status_code == 403


def test_the_next_page_keeps_the_filter(client, analyst, campaign):
    for n in range(51):
        Contact.objects.create(
            provider="twilio",
            provider_sid=f"SM{n}",
            kind="sms",
            to_number="+8613900139299",
            received_at=timezone.now(),
        )

    page = client.get("/contacts/?state=pending", HTTP_ACCEPT_LANGUAGE="en").content.decode()

    assert re.search(r'href="\?state=pending&amp;after=[^"]+" rel="next"', page)
