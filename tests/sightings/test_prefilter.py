"""The matcher's first stage: GBK read as it is, folding characters only where a character starts."""

import random

from canary.sightings.prefilter import GB18030, SHAPE_FOLD, UTF8, Literal, native_encoding, plan_literals


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


def test_waybills_from_a_reserved_block_are_searched_by_their_prefix():
    block = [(f"SF14625800{serial:05d}", frozenset({"waybill"})) for serial in range(100)]
    rng = random.Random(7)
    spread = [(f"SF{rng.randrange(10**13):013d}", frozenset({"waybill"})) for _ in range(100)]
    phone = [("13800138000", frozenset({"phone"}))]
    assert {plan.prefix for plan in plan_literals(block + phone)} == {8}
    assert {plan.prefix for plan in plan_literals(spread)} == {0}
    assert plan_literals([("翠竹苑7栋1203", frozenset({"address"}))]) == [
        Literal("翠竹苑7栋1203", reverse=True)
    ]


def test_the_encodings_read_without_transcoding_are_utf8_and_gb18030():
    assert native_encoding("utf-8-sig") == UTF8
    assert native_encoding("GBK") == native_encoding("gb2312") == GB18030
    assert native_encoding("utf-16") is None
    assert native_encoding("big5") is None
