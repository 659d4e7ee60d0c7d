"""A call's progress receipts (start, ring, pick-up) and its full record, in any order."""

from __future__ import annotations

import itertools

import pytest

from canary.phones.models import Contact

from . import test_aliyun_asr as asr

# The signed hook and a decoy whose number the campaign has held for a month, as fixtures.
aliyun_env, post, decoy = asr.aliyun_env, asr.post, asr.decoy

pytestmark = pytest.mark.django_db

PROGRESS = ("pool_key", "sub_id", "call_id", "phone_no", "secret_no", "peer_no", "call_type", "city")


def receipts(decoy, call_id: str) -> dict[str, dict]:
    """The four receipts Alibaba pushes about one answered call, as its documentation shows them."""
    report = asr.call_to(decoy, call_id) | {"record_url": f"https://pls.example.test/rec/{call_id}"}
    progress = {name: report[name] for name in PROGRESS}
    return {
        "start": progress
        | {"call_time": report["call_time"], "unconnected_cause": 0, "control_type": "CONTINUE"},
        "ring": progress | {"call_time": report["call_time"], "ring_time": report["ring_time"]},
        "pickup": progress
        | {
            "call_time": report["call_time"],
            "ring_time": report["ring_time"],
            "start_time": report["start_time"],
        },
        "report": report,
    }


def assert_full_call(contact: Contact, decoy, sent: dict[str, dict]) -> None:
    assert (contact.from_number, contact.to_number) == ("+8613800138000", decoy.number.e164)
    assert contact.received_at.isoformat() == "2026-11-23T02:15:09+00:00"  # the report's answer time
    assert contact.call_status == "16"  # how the call ended: only the full record says
    assert contact.recording_url == sent["report"]["record_url"]
    assert contact.raw["aliyun"] == sent["report"]
    assert contact.raw["receipts"] == sent
    assert contact.processed_at is not None and decoy in contact.matched_decoys.all()


@pytest.mark.parametrize("order", list(itertools.permutations(("start", "ring", "pickup", "report"))))
def test_every_arrival_order_gives_one_contact_with_the_full_record(post, decoy, order):
    sent = receipts(decoy, "C-700")
    for stage in order:
        post(sent[stage])
    assert_full_call(Contact.objects.get(), decoy, sent)


@pytest.mark.parametrize(
    "order", [("report", "pickup", "ring", "start"), ("start", "ring", "pickup", "report")]
)
def test_receipts_of_one_call_in_one_push_merge(post, decoy, order):
    sent = receipts(decoy, "C-710")
    post(*(sent[stage] for stage in order))
    assert_full_call(Contact.objects.get(), decoy, sent)


def test_repeated_receipts_change_nothing(post, decoy):
    sent = receipts(decoy, "C-720")
    post(sent["start"], sent["report"])
    first = Contact.objects.get()
    post(sent["report"])
    post(sent["start"], sent["start"])
    again = Contact.objects.get()
    assert (again.raw, again.processed_at, again.received_at) == (
        first.raw,
        first.processed_at,
        first.received_at,
    )


def test_the_full_record_after_a_start_sends_the_call_back_for_processing(post, decoy):
    sent = receipts(decoy, "C-730")
    post(sent["start"])
    early = Contact.objects.get()
    assert early.received_at.isoformat() == "2026-11-23T02:15:02+00:00"  # only the dialling time known
    post(sent["report"])
    contact = Contact.objects.get()
    assert contact.processed_at > early.processed_at
    assert contact.received_at.isoformat() == "2026-11-23T02:15:09+00:00"


def test_a_progress_receipt_after_the_full_record_only_adds_its_raw_receipt(post, decoy):
    sent = receipts(decoy, "C-740")
    post(sent["report"])
    first = Contact.objects.get()
    post(sent["ring"])
    contact = Contact.objects.get()
    assert contact.raw["receipts"] == {"report": sent["report"], "ring": sent["ring"]}
    assert (contact.processed_at, contact.received_at, contact.call_status) == (
        first.processed_at,
        first.received_at,
        first.call_status,
    )
