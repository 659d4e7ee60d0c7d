"""A matcher updated with added and removed decoys answers as one built over the new set."""

import pickle

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from canary.sightings.matcher import DecoyTokens, Matcher
from tests.sightings.conftest import DECOYS
from tests.sightings.test_matcher import NOISE, planted

STATES = ("kept", "removed", "added", "absent")  # in the build and still watched, ...


def split(states):
    chosen = dict(zip((decoy.decoy_id for decoy in DECOYS), states, strict=True))
    built = [decoy for decoy in DECOYS if chosen[decoy.decoy_id] in ("kept", "removed")]
    added = [decoy for decoy in DECOYS if chosen[decoy.decoy_id] == "added"]
    removed = [ident for ident, state in chosen.items() if state == "removed"]
    watched = [decoy for decoy in DECOYS if chosen[decoy.decoy_id] in ("kept", "added")]
    return Matcher.build(built).updated(added, removed), Matcher.build(watched)


@pytest.mark.parametrize("encoding", ["utf-8", "gb18030"])
@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    states=st.lists(st.sampled_from(STATES), min_size=len(DECOYS), max_size=len(DECOYS)),
    lines=st.lists(
        st.one_of(planted().map(lambda case: case[2]), st.text(alphabet=[*NOISE, "\n"], max_size=40)),
        max_size=6,
    ),
)
def test_an_updated_matcher_finds_what_a_full_rebuild_finds(encoding, states, lines):
    updated, rebuilt = split(states)
    data = "\n".join(lines).encode(encoding)
    assert updated.match_records_bytes(data, encoding) == rebuilt.match_records_bytes(data, encoding)


def test_a_phone_shared_by_built_and_added_decoys_is_one_piece_of_evidence():
    # Decoys 1 and 2 share a canary phone; 2 is added after the build.
    updated, rebuilt = split(["kept", "added", "absent", "absent", "absent", "absent", "absent"])
    text = "联系电话 13800138000"
    assert updated.scan(text) == rebuilt.scan(text)
    assert {match.decoy_id for match in updated.match_records(text)} == {1, 2}
    assert {match.candidates for match in updated.match_records(text)} == {frozenset({1, 2})}


def test_a_removed_decoy_is_no_longer_found():
    updated, _ = split(["removed", "kept", "kept", "kept", "kept", "kept", "kept"])
    assert updated.match_records("单号 SF1234567890123") == []
    assert {match.decoy_id for match in updated.match_records("电话 13800138000")} == {2}


def test_an_updated_matcher_survives_pickling():
    updated, rebuilt = split(["kept", "added", "removed", "added", "kept", "absent", "kept"])
    text = "张伟明 15011112222 SF1234567890123\n王五 13912345678\n张*荣 150****6666"
    assert pickle.loads(pickle.dumps(updated)).match_records(text) == rebuilt.match_records(text)


def test_a_literal_shared_by_decoys_and_kinds_points_at_all_of_them():
    # The same address marker on two decoys, and one decoy's waybill number spelled like another's
    # canary phone: each literal is kept once, with every owner.
    decoys = [
        DecoyTokens(1, "SF1000000000001", "+8617000000001", "张三丰", "翠竹苑7栋1203"),
        DecoyTokens(2, "SF1000000000002", "+8617000000002", "李四光", "翠竹苑7栋1203"),
        DecoyTokens(3, "17000000001", "+8617000000003", "王五"),
    ]
    matcher = Matcher.build(decoys)
    found = {(hit.kind, hit.decoy_ids) for hit in matcher.scan("地址 翠竹苑7栋1203 单号 17000000001")}
    assert ("address", frozenset({1, 2})) in found
    assert ("waybill", frozenset({3})) in found and ("phone", frozenset({1})) in found
