"""A change of the watched decoys updates the matcher without a full build; scans see one set."""

import threading
import time

import pytest
from django.db import connection

from canary.campaigns.models import Decoy
from canary.campaigns.planner import CampaignSpec, activate, archive, create_campaign, end
from canary.phones.pool import add_numbers
from canary.sightings import matching
from canary.sightings.matcher import DecoyTokens, Matcher
from tests.conftest import TEST_NUMBERS


def second_campaign(campaign_spec):
    add_numbers(TEST_NUMBERS[30:40])
    spec = CampaignSpec.from_dict({**campaign_spec, "slug": "later", "seed": 11})
    return activate(create_campaign(spec, actor="test").campaign, actor="test")


def dump_of(*campaigns) -> bytes:
    lines = [
        f"{decoy.waybill_no},{decoy.recipient_name},{decoy.address_token}"
        for decoy in Decoy.objects.filter(campaign__in=campaigns).order_by("id")
    ]
    return "\n".join(lines).encode()


def rebuilt() -> Matcher:
    rows = matching.watched_decoys().values_list(*matching._TOKEN_FIELDS)
    return Matcher.build(DecoyTokens(*row) for row in rows)


def found(matcher, data: bytes) -> set[int]:
    return {match.decoy_id for match in matcher.match_records_bytes(data)}


def test_a_new_campaign_is_added_beside_the_build_with_the_answers_of_a_rebuild(campaign, campaign_spec):
    before = matching.get_matcher()
    build_name = matching._process.build_name
    later = second_campaign(campaign_spec)

    after = matching.get_matcher()
    assert matching._process.build_name == build_name  # not built again
    assert after.delta is not None
    data = dump_of(campaign, later)
    assert after.match_records_bytes(data) == rebuilt().match_records_bytes(data)
    assert found(before, data) == set(Decoy.objects.filter(campaign=campaign).values_list("id", flat=True))


def test_an_archived_campaign_is_dropped_without_a_full_build(campaign, campaign_spec):
    later = second_campaign(campaign_spec)
    matching.get_matcher()
    build_name = matching._process.build_name
    archive(end(later, actor="test"), actor="test")

    after = matching.get_matcher()
    assert matching._process.build_name == build_name
    assert after.removed == frozenset(Decoy.objects.filter(campaign=later).values_list("id", flat=True))
    assert found(after, dump_of(campaign, later)) == set(
        Decoy.objects.filter(campaign=campaign).values_list("id", flat=True)
    )


def test_the_background_merge_replaces_build_and_delta_with_one_build(campaign, campaign_spec):
    matching.get_matcher()
    later = second_campaign(campaign_spec)
    updated = matching.get_matcher()
    old_name = matching._process.build_name

    matching.merge_matcher()
    merged = matching.get_matcher()
    assert matching._process.build_name != old_name
    assert merged.delta is None and not merged.removed
    data = dump_of(campaign, later)
    assert merged.match_records_bytes(data) == updated.match_records_bytes(data)


def test_another_process_loads_the_build_and_makes_the_same_delta(campaign, campaign_spec):
    matching.get_matcher()
    later = second_campaign(campaign_spec)
    expected = matching.get_matcher().match_records_bytes(dump_of(campaign, later))
    build_name = matching._process.build_name
    matching.forget_in_memory()

    again = matching.get_matcher()
    assert matching._process.build_name == build_name  # loaded, not built
    assert again.match_records_bytes(dump_of(campaign, later)) == expected


@pytest.mark.django_db(transaction=True)  # the scanning thread has its own connection
def test_a_scan_during_an_update_sees_the_old_or_the_new_decoys_never_a_mix(campaign, campaign_spec):
    old_ids = set(Decoy.objects.filter(campaign=campaign).values_list("id", flat=True))
    matching.get_matcher()
    outcomes: list[frozenset[int]] = []
    stop = threading.Event()
    data: list[bytes] = [dump_of(campaign)]

    def scanner():
        # Each round asks for the matcher once, as a scan task does for its whole document.
        try:
            while not stop.is_set():
                matcher = matching.get_matcher()
                outcomes.append(frozenset(found(matcher, data[0])))
        finally:
            connection.close()

    thread = threading.Thread(target=scanner)
    thread.start()
    try:
        later = second_campaign(campaign_spec)
        data[0] = dump_of(campaign, later)
        new_ids = old_ids | set(Decoy.objects.filter(campaign=later).values_list("id", flat=True))
        deadline = time.monotonic() + 60
        while frozenset(new_ids) not in outcomes and time.monotonic() < deadline:
            thread.join(0.05)
    finally:
        stop.set()
        thread.join()
    # The dump names decoys of both campaigns: a scan finds exactly the old set or the new one.
    assert set(outcomes) <= {frozenset(old_ids), frozenset(new_ids)}
    assert frozenset(new_ids) in outcomes
