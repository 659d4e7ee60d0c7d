"""The matcher's first stage: GBK read as it is, folding characters only where a character starts."""

from canary.sightings.matcher import DecoyTokens, Matcher
from canary.sightings.prefilter import GB18030, SHAPE_FOLD, UTF8, native_encoding


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
