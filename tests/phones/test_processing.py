"""Turning stored contacts into signals: candidates by number and time, narrowed by text."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from canary.attribution.models import Signal
from canary.campaigns.models import Decoy
from canary.phones import processing
from canary.phones.models import Contact, NumberAssignment
from canary.phones.strength import STRONG, number_strength, text_strength

from .conftest import CALLER

pytestmark = pytest.mark.django_db


def make_contact(to: str, kind: str = "call", body: str = "", when=None, sid: str = "CA1") -> Contact:
    return Contact.objects.create(
        provider="twilio",
        provider_sid=sid,
        kind=kind,
        from_number=CALLER,
        to_number=to,
        body=body,
        received_at=when or timezone.now(),
    )


def shared_number_decoys(campaign) -> list[Decoy]:
    decoy = Decoy.objects.filter(campaign=campaign).order_by("id").first()
    return list(Decoy.objects.filter(number=decoy.number))


def test_bare_call_to_a_shared_number_is_a_weak_signal_for_every_decoy_carrying_it(campaign):
    decoys = shared_number_decoys(campaign)
    assert len(decoys) > 1
    contact = make_contact(decoys[0].number.e164)

    outcome = processing.process_contact(contact.pk)

    signal = Signal.objects.get()
    assert set(signal.decoys.all()) == set(decoys)
    assert signal.kind == "call" and not signal.is_strong
    assert set(outcome.candidates) == {d.id for d in decoys}
    contact.refresh_from_db()
    assert contact.number == decoys[0].number
    assert contact.signal_strength == signal.strength


def test_a_call_to_the_number_of_decoys_printed_on_privacy_labels_only_hints_at_a_system_leak(campaign):
    decoys = shared_number_decoys(campaign)
    Decoy.objects.filter(pk__in=[d.pk for d in decoys]).update(label_printed="privacy")

    processing.process_contact(make_contact(decoys[0].number.e164).pk)

    assert Signal.objects.get().full_phone_of_privacy_label


def test_a_call_to_the_number_of_decoys_on_full_labels_gives_no_system_hint(campaign):
    decoys = shared_number_decoys(campaign)
    Decoy.objects.filter(pk__in=[d.pk for d in decoys]).update(label_printed="full")

    processing.process_contact(make_contact(decoys[0].number.e164).pk)

    assert not Signal.objects.get().full_phone_of_privacy_label


def test_contact_to_a_number_that_is_no_canary_is_kept_as_unmatched(campaign):
    contact = make_contact("+8613900139299")
    processing.process_contact(contact.pk)
    contact.refresh_from_db()
    assert contact.is_unmatched
    assert not Signal.objects.exists()


def test_contact_before_the_number_was_assigned_is_unmatched(campaign):
    decoy = Decoy.objects.filter(campaign=campaign).first()
    contact = make_contact(decoy.number.e164, when=timezone.now() - timedelta(days=30))
    processing.process_contact(contact.pk)
    contact.refresh_from_db()
    assert contact.is_unmatched


def test_late_call_in_the_quarantine_tail_still_points_at_the_old_campaign(campaign, settings):
    from canary.campaigns.planner import end

    decoy = Decoy.objects.filter(campaign=campaign).first()
    end(campaign, actor="test")
    contact = make_contact(decoy.number.e164, when=timezone.now() + timedelta(days=10))
    processing.process_contact(contact.pk)
    contact.refresh_from_db()
    assert decoy in contact.matched_decoys.all()

    NumberAssignment.objects.filter(campaign=campaign).update(
        released_at=timezone.now() - timedelta(days=200)
    )
    after = make_contact(decoy.number.e164, sid="CA2")
    processing.process_contact(after.pk)
    after.refresh_from_db()
    assert after.is_unmatched


def test_processing_twice_changes_nothing(campaign):
    decoy = Decoy.objects.filter(campaign=campaign).first()
    contact = make_contact(decoy.number.e164, kind="sms", body=f"{decoy.recipient_name} 快递理赔")
    assert processing.process_contact(contact.pk) is not None
    assert processing.process_contact(contact.pk) is None
    contact.refresh_from_db()
    assert contact.processing_attempts == 1
    assert sorted(Signal.objects.values_list("occurrences", flat=True)) == [1, 1]


def test_a_live_claim_is_not_taken_over_but_a_dead_one_is(campaign):
    decoy = Decoy.objects.filter(campaign=campaign).first()
    contact = make_contact(decoy.number.e164)
    Contact.objects.filter(pk=contact.pk).update(claimed_at=timezone.now())
    assert processing.process_contact(contact.pk) is None
    Contact.objects.filter(pk=contact.pk).update(claimed_at=timezone.now() - timedelta(hours=1))
    assert processing.process_contact(contact.pk) is not None


def test_the_retry_of_the_run_holding_a_live_claim_takes_it_back_at_once(campaign):
    """The database failed under a task after it claimed the contact: its retry (same task id)
    goes on at once, while any other run still waits for the lease."""
    decoy = Decoy.objects.filter(campaign=campaign).first()
    contact = make_contact(decoy.number.e164)
    assert processing.claim(contact.pk, owner="task-1") is not None

    assert processing.process_contact(contact.pk, owner="task-2") is None
    assert processing.process_contact(contact.pk, owner="task-1") is not None
    assert Contact.objects.get(pk=contact.pk).processed_at is not None


def test_sweeper_finds_contacts_the_queue_lost_but_not_fresh_done_or_busy_ones(campaign):
    old = timezone.now() - timedelta(minutes=5)
    lost = make_contact("+8613900139200", sid="CA1")
    make_contact("+8613900139200", sid="CA2")  # fresh: its queued task may still come
    done = make_contact("+8613900139200", sid="CA3")
    busy = make_contact("+8613900139200", sid="CA4")
    died = make_contact("+8613900139200", sid="CA5")
    Contact.objects.filter(pk__in=[lost.pk, done.pk, busy.pk, died.pk]).update(stored_at=old)
    Contact.objects.filter(pk=done.pk).update(processed_at=timezone.now())
    Contact.objects.filter(pk=busy.pk).update(claimed_at=timezone.now())
    Contact.objects.filter(pk=died.pk).update(claimed_at=old - timedelta(hours=1))

    assert sorted(processing.unprocessed_contacts(timedelta(seconds=60))) == [lost.pk, died.pk]


def test_a_bare_call_is_never_strong_and_a_named_decoy_always_is():
    assert number_strength("call", 1) < STRONG
    assert number_strength("sms", 1) < STRONG
    assert number_strength("call", 5) < number_strength("call", 1)
    assert number_strength("call", 0) == 0
    assert text_strength([0.4]) >= STRONG
    assert text_strength([0.97]) == 0.97
