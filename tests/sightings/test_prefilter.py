"""The matcher's first stage: GBK read as it is, folding characters only where a character starts."""

import daachorse
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from canary.sightings.matcher import DecoyTokens, Matcher
from canary.sightings.prefilter import GB18030, SHAPE_FOLD, UTF8, _ChildBuild, native_encoding


def _han_with_gbk_byte(index: int, value: int) -> str:
    """A common Han character whose GBK encoding has ``value`` as byte ``index``."""
    for code in range(0x4E00, 0x9FA6):
        encoded = chr(code).encode("gbk")
        if encoded[index] == value:
            return chr(code)
    raise AssertionError("no such character")


def folding_shape_lines(matcher, data: bytes) -> int:
    """How many lines the GB18030 folding-character shape flags (each costs a decode and a fold)."""
    ends: list[int] = []
    shape = matcher.prefilter.stages[GB18030].shapes[SHAPE_FOLD]
    shape.scan(data, match_event_handler=lambda _id, _from, to, _flags, _ctx: ends.append(to))
    return len(ends)


def test_two_gbk_characters_that_straddle_a_full_width_digit_do_not_flag_a_line(matcher):
    full_width_one = "１".encode("gbk")  # b"\xa3\xb1"
    left = _han_with_gbk_byte(1, full_width_one[0])
    right = _han_with_gbk_byte(0, full_width_one[1])
    data = f"收件人{left}{right}先生\n".encode("gbk") * 3
    assert full_width_one in data  # across the two characters, not as a character
    assert folding_shape_lines(matcher, data) == 0
    assert folding_shape_lines(matcher, f"收件人{left}{right}１号\n".encode("gbk") * 3) == 3
    assert matcher.candidate_lines(f"电话１３８００１３８０００{left}{right}".encode("gbk"), GB18030) != []


def test_literals_are_found_caseless_in_both_native_encodings():
    matcher = Matcher.build([DecoyTokens(1, "SF1462580000001", "+8613800138000", "张三丰", "翠竹苑7栋1203")])
    for encoding in (UTF8, GB18030):
        data = "a\n运单 sf1462580000001 已签收\nb\n翠竹苑7栋1203\n".encode(encoding)
        assert [line for line, _, _ in matcher.candidate_lines(data, encoding)] == [1, 3]


def test_only_masked_phones_with_a_decoys_key_flag_a_line():
    matcher = Matcher.build([DecoyTokens(1, "SF1462580000001", "+8613800138000", "张三丰")])
    for encoding in (UTF8, GB18030):
        data = "收件人 王** 139****8000\n收件人 李** 138 ＊＊＊＊ 8000\n".encode(encoding)
        assert [line for line, _, _ in matcher.candidate_lines(data, encoding)] == [1]


def test_the_encodings_read_without_transcoding_are_utf8_and_gb18030():
    assert native_encoding("utf-8-sig") == UTF8
    assert native_encoding("GBK") == native_encoding("gb2312") == GB18030
    assert native_encoding("utf-16") is None
    assert native_encoding("big5") is None


# -- names inside Han text -------------------------------------------------------------------------

HAN_TEXT_DECOYS = [
    DecoyTokens(11, "SF1000000000011", "+8617000000011", "宁波"),
    DecoyTokens(12, "SF1000000000012", "+8617000000012", "王玉"),
    DecoyTokens(13, "SF1000000000013", "+8617000000013", "王玉兰"),
    DecoyTokens(14, "SF1000000000014", "+8617000000014", "\U0002000b丽"),  # a four-byte surname
    DecoyTokens(15, "SF1000000000015", "+8617000000015", "阿依·古丽"),
    DecoyTokens(16, "SF1000000000016", "+8617000000016", "古丽"),
]
# Names, pieces of names and what may touch them: Han text, masks, a compatibility ideograph
# (兩 folds to 两), invisible and separating characters, a canary phone masked and whole.
HAN_FRAGMENTS = [
    "宁波",
    "王玉",
    "王玉兰",
    "\U0002000b丽",
    "\U0002000b",
    "阿依·古丽",
    "古丽",
    "王",
    "市",
    "花",
    "兩",
    "*",
    "＊",
    "x",
    "×",
    "\u200b",
    " ",
    ",",
    "，",
    "·",
    "170****0012",
    "17000000013",
    "SF1000000000011",
]


@pytest.fixture(scope="module")
def han_text_matcher():
    return Matcher.build(HAN_TEXT_DECOYS)


@pytest.mark.parametrize("encoding", [UTF8, GB18030])
@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(lines=st.lists(st.lists(st.sampled_from(HAN_FRAGMENTS), max_size=8).map("".join), max_size=5))
def test_names_inside_han_text_are_left_out_only_where_the_exact_path_ignores_them(
    han_text_matcher, encoding, lines
):
    text = "\n".join(lines)
    exact = [
        match
        for number, line in enumerate(text.split("\n"))
        for match in han_text_matcher.match_line(line, number)
    ]
    assert han_text_matcher.match_records_bytes(text.encode(encoding), encoding) == exact


@pytest.mark.parametrize("encoding", [UTF8, GB18030])
def test_a_name_inside_an_address_does_not_flag_its_line(han_text_matcher, encoding):
    data = "收件地址 浙江省宁波市海曙区, 王玉兰花园\n收件人 宁波, 电话 1\n".encode(encoding)
    assert [line for line, _, _ in han_text_matcher.candidate_lines(data, encoding)] == [1]


@pytest.mark.parametrize("encoding", [UTF8, GB18030])
def test_a_name_inside_han_text_with_a_masked_name_of_its_surname_flags_its_line(han_text_matcher, encoding):
    data = "王玉兰花 王*\n王玉兰花 李*\n".encode(encoding)
    assert [line for line, _, _ in han_text_matcher.candidate_lines(data, encoding)] == [0]


@pytest.mark.parametrize("encoding", [UTF8, GB18030])
def test_a_name_inside_han_text_on_a_line_with_folding_characters_flags_its_line(han_text_matcher, encoding):
    # The zero-width space vanishes in folding, and then ``王*`` is a masked name after all.
    data = "王玉兰花 王\u200b*\n".encode(encoding)
    assert han_text_matcher.match_records_bytes(data, encoding) != []
    assert [line for line, _, _ in han_text_matcher.candidate_lines(data, encoding)] == [0]


def test_an_automaton_built_in_a_child_process_finds_what_one_built_here_finds():
    patterns = [f"1{n:010d}".encode() for n in range(0, 200_000, 7)] + ["张三丰".encode("gb18030")]
    text = "收件人张三丰 电话 10000000007 单号 100000000140000\n".encode("gb18030") * 3
    built_there = _ChildBuild(patterns).result()
    assert built_there.find_overlapping(text) == daachorse.DoubleArrayAhoCorasick(patterns).find_overlapping(
        text
    )
    assert len(built_there.find_overlapping(text)) == 9
