"""The matcher finds every supported spelling of a decoy token and nothing else."""

import pickle

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from canary.campaigns.masking import mask_name
from canary.sightings.matcher import Matcher
from canary.sightings.readers import TextChunk
from tests.sightings.conftest import DECOYS


def kinds_found(matcher, text):
    return {(hit.kind, tuple(sorted(hit.decoy_ids))) for hit in matcher.scan(text) if not hit.embedded}


def records(matcher, text):
    return {(r.decoy_id, tuple(sorted(r.kinds)), r.strength) for r in matcher.match_records(text)}


@pytest.mark.parametrize(
    "spelling",
    [
        "13800138000",
        "１３８００１３８０００",
        "138 0013 8000",
        "138-0013-8000",
        "138.0013.8000",
        "+86 138 0013 8000",
        "+86-13800138000",
        "+8613800138000",
        "008613800138000",
        "8613800138000",
        "(+86)13800138000",
        "138\u200b0013\u200b8000",
        "Tel13800138000",
    ],
)
def test_a_canary_phone_is_found_in_every_spelling(matcher, spelling):
    assert ("phone", (1, 2)) in kinds_found(matcher, f"联系电话：{spelling}，谢谢")


@pytest.mark.parametrize("text", ["913800138000", "138001380009", "订单1380013800012", "98613800138000"])
def test_a_phone_inside_a_longer_digit_run_is_not_found(matcher, text):
    assert matcher.scan(text) == []


def test_a_separated_short_number_before_a_phone_does_not_hide_it(matcher):
    assert ("phone", (1, 2)) in kinds_found(matcher, "数量 2 13800138000")


@pytest.mark.parametrize(
    "spelling", ["SF1234567890123", "sf1234567890123", "ＳＦ１２３４５６７８９０１２３", "SF 1234 5678 90123"]
)
def test_a_waybill_number_is_found_in_every_spelling(matcher, spelling):
    assert ("waybill", (1,)) in kinds_found(matcher, f"单号{spelling}已揽收")


def test_a_waybill_inside_a_longer_code_is_not_found(matcher):
    assert matcher.scan("XSF1234567890123") == []
    assert matcher.scan("SF12345678901234") == []


def test_an_address_marker_is_found_with_full_width_digits(matcher):
    assert ("address", (1,)) in kinds_found(matcher, "广东省深圳市翠竹苑７栋１２０３室")


def test_a_name_is_found_between_punctuation(matcher):
    assert records(matcher, "收件人：张三丰，南山区") == {(1, ("name",), "strong")}


def test_a_name_that_is_only_part_of_a_longer_name_does_not_match(matcher):
    assert records(matcher, "客户张三丰收到了") == set()
    assert records(matcher, "王五六") == set()


def test_an_embedded_name_supports_another_token_of_the_same_decoy(matcher):
    assert records(matcher, "张三丰收 SF1234567890123") == {(1, ("name", "waybill"), "strong")}


@pytest.mark.parametrize("mask", ["*", "＊", "∗", "✱", "×", "x", "X", "●"])
def test_a_masked_phone_is_recognised_in_every_mask_character(matcher, mask):
    assert kinds_found(matcher, f"电话 139{mask * 4}5678") == {("masked_phone", (3,))}


def test_a_masked_name_and_masked_phone_of_one_decoy_are_a_weak_match(matcher):
    assert records(matcher, "王*，139****5678") == {(3, ("masked_name", "masked_phone"), "weak")}


def test_a_single_masked_form_alone_is_too_common_to_report(matcher):
    assert records(matcher, "电话 139****5678") == set()
    assert records(matcher, "收件人 张*丰") == set()


def test_a_masked_phone_that_fits_no_decoy_matches_nothing(matcher):
    assert matcher.scan("电话 138****9999") == []


def test_a_masked_form_becomes_strong_next_to_another_token_of_the_same_decoy(matcher):
    assert records(matcher, "张*丰 138****8000 SF1234567890123") == {
        (1, ("masked_name", "masked_phone", "waybill"), "strong")
    }


def test_a_masked_name_fitting_many_decoys_alone_matches_nothing(matcher):
    assert records(matcher, "张**") == set()
    assert {hit.kind for hit in matcher.scan("张**")} == {"masked_name"}


def test_masked_evidence_on_another_line_does_not_add_up(matcher):
    found = {
        (m.line, tuple(sorted(m.kinds))) for m in matcher.match_records("张*丰\n138****8000 SF1234567890123")
    }
    assert found == {(1, ("masked_phone", "waybill"))}


def test_a_shared_canary_phone_points_at_every_decoy_using_it(matcher):
    found = matcher.match_records("13800138000")
    assert {match.decoy_id for match in found} == {1, 2}
    assert all(match.candidates == {1, 2} for match in found)


def test_a_shared_phone_next_to_a_waybill_belongs_to_that_waybills_decoy(matcher):
    found = matcher.match_records("YT7000000000001 13800138000")
    assert [(m.decoy_id, sorted(m.kinds), m.candidates) for m in found] == [(2, ["phone", "waybill"], {2})]


def test_hit_offsets_quote_the_original_text(matcher):
    text = "备注：电话＋８６ １３８ ００１３ ８０００"
    (hit,) = matcher.scan(text)
    assert text[hit.start : hit.end] == "１３８ ００１３ ８０００"
    assert "１３８ ００１３ ８０００" in hit.excerpt


def test_record_matches_name_their_line(matcher):
    found = matcher.match_records("无关\n无关\n收件人 张三丰")
    assert [(m.line, m.start, m.end) for m in found] == [(2, 4, 7)]


def test_a_compiled_matcher_survives_pickling(matcher):
    copy = pickle.loads(pickle.dumps(matcher))
    assert records(copy, "张三丰 13800138000") == records(matcher, "张三丰 13800138000")


def test_matching_chunks_reports_each_chunks_own_location(matcher):
    chunks = [TextChunk("a\nb", "x.txt", first_line=10), TextChunk("电话 13912345678", "y.csv line 4")]
    found = [
        (chunk.locate(match.line, match.start), match.decoy_id)
        for chunk, match in matcher.match_chunks(chunks)
    ]
    assert found == [("y.csv line 4", 3)]


def test_a_matcher_without_decoys_matches_nothing():
    assert Matcher.build([]).match_records("13800138000 张三丰") == []


# -- properties -----------------------------------------------------------------------------------

FULL_WIDTH = str.maketrans(
    "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ",
    "０１２３４５６７８９ＡＢＣＤＥＦＧＨＩＪＫＬＭＮＯＰＱＲＳＴＵＶＷＸＹＺ",
)
NOISE = list("0123456789 -.,:|abcXYZ张三丰李四王五收件人电话地址８＊*×\u200b\t+")
DELIMITERS = ["，", ",", "：", "|", "；", "(", ")", "。"]  # not separators: those may glue digits


def phone_spellings(nsn):
    grouped = f"{nsn[:3]} {nsn[3:7]} {nsn[7:]}"
    return [
        nsn,
        grouped,
        grouped.replace(" ", "-"),
        "+86 " + nsn,
        "0086" + nsn,
        "86" + nsn,
        nsn.translate(FULL_WIDTH),
        "\u200b".join(nsn),
        "+86-" + grouped.replace(" ", "-"),
    ]


def waybill_spellings(waybill):
    letters = waybill.rstrip("0123456789")
    digits = waybill[len(letters) :]
    return [
        waybill,
        waybill.lower(),
        waybill.translate(FULL_WIDTH),
        f"{letters} {digits}" if letters else digits,
    ]


@st.composite
def planted(draw):
    decoy = draw(st.sampled_from(DECOYS))
    nsn = decoy.phone[3:]
    options = [("phone", s) for s in phone_spellings(nsn)]
    options += [("waybill", s) for s in waybill_spellings(decoy.waybill_no)]
    options += [("name", decoy.name), ("name", "\u200b".join(decoy.name))]
    if decoy.address_token:
        options += [("address", decoy.address_token), ("address", decoy.address_token.translate(FULL_WIDTH))]
    mask = draw(st.sampled_from(list("*＊∗✱×xX●")))
    options += [
        ("masked_phone", nsn[:3] + mask * 4 + nsn[-4:]),
        ("masked_name", mask_name(decoy.name).replace("*", mask)),
    ]
    kind, spelling = draw(st.sampled_from(options))
    before = draw(st.text(alphabet=NOISE, max_size=12)) + draw(st.sampled_from(DELIMITERS))
    after = draw(st.sampled_from(DELIMITERS)) + draw(st.text(alphabet=NOISE, max_size=12))
    return decoy, kind, before + spelling + after


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(case=planted())
def test_any_decoy_in_any_supported_spelling_inside_random_text_is_found(matcher, case):
    decoy, kind, text = case
    assert any(
        hit.kind == kind and decoy.decoy_id in hit.decoy_ids and not hit.embedded
        for hit in matcher.scan(text)
    ), text


@pytest.mark.parametrize("encoding", ["utf-8", "gb18030"])  # GBK dumps are read as they are
@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    lines=st.lists(
        st.one_of(planted().map(lambda case: case[2]), st.text(alphabet=[*NOISE, "\n"], max_size=40)),
        max_size=6,
    )
)
def test_the_fast_path_agrees_with_the_exact_path_line_by_line(matcher, encoding, lines):
    text = "\n".join(lines)
    exact = [
        match for number, line in enumerate(text.split("\n")) for match in matcher.match_line(line, number)
    ]
    assert matcher.match_records_bytes(text.encode(encoding), encoding) == exact
