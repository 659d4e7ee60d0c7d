"""purge_evidence: the one, audited way evidence is deleted."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from canary.alerts.models import Incident, IncidentState
from canary.attribution.models import Signal
from canary.audit.models import AuditEvent
from canary.phones.models import Contact

pytestmark = pytest.mark.django_db
OLD = dt.datetime(2025, 1, 10, tzinfo=dt.UTC)


def old_contact(sid: str) -> Contact:
    return Contact.objects.create(
        kind="sms", provider="twilio", provider_sid=sid, from_number="+8613800000000", received_at=OLD
    )


def old_signal(campaign) -> Signal:
    return Signal.objects.create(
        campaign=campaign, kind="sms", strength=0.9, first_seen_at=OLD, last_seen_at=OLD, dedupe_key=str(OLD)
    )


def purge(*args: str) -> str:
    out = io.StringIO()
    call_command("purge_evidence", "--before", "2025-06-01", *args, stdout=out)
    return out.getvalue()


def test_without_yes_it_only_counts():
    old_contact("SM1")

    assert "contacts: 1" in purge() and Contact.objects.count() == 1
    assert not AuditEvent.objects.filter(action="evidence.purge").exists()


def test_with_yes_it_deletes_old_evidence_keeps_newer_and_audits_the_counts(campaign):
    old_contact("SM1")
    Contact.objects.create(kind="sms", provider="twilio", provider_sid="SM2", received_at=timezone.now())
    old_signal(campaign)

    purge("--yes")

    assert list(Contact.objects.values_list("provider_sid", flat=True)) == ["SM2"]
    assert not Signal.objects.exists()
    event = AuditEvent.objects.get(action="evidence.purge")
    assert event.detail["counts"]["contacts"] == 1 and event.detail["counts"]["signals"] == 1


def test_a_campaign_with_an_open_incident_keeps_its_signals(campaign):
    old_signal(campaign)
    Incident.objects.create(campaign=campaign, title="t", state=IncidentState.NEW, last_activity_at=OLD)

    purge("--yes")

    assert Signal.objects.count() == 1


def test_a_bad_or_future_date_is_refused():
    with pytest.raises(CommandError, match="date"):
        call_command("purge_evidence", "--before", "yesterday")
    with pytest.raises(CommandError, match="future"):
        call_command("purge_evidence", "--before", "2999-01-01")
