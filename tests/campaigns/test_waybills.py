import random

import pytest

from canary.campaigns.waybills import (
    CARRIER_NAMES,
    DEFAULT_RESERVED_BLOCKS,
    Carrier,
    format_waybill,
    is_valid,
    is_valid_s10,
    parse_serial,
    recognise,
    s10_check_digit,
    serial_range,
)

ALL_CARRIERS = list(Carrier)


def to_full_width(text: str) -> str:
    return "".join(chr(ord(c) + 0xFEE0) if "!" <= c <= "~" else c for c in text)


def sample_numbers(carrier: Carrier) -> list[str]:
    """First and last of the default block, both ends of the format and random serials."""
    first, last = DEFAULT_RESERVED_BLOCKS[carrier]
    low, high = serial_range(carrier)
    rng = random.Random(carrier.value)
    serials = [first, last, low, high, *(rng.randint(first, last) for _ in range(50))]
    serials += [rng.randint(low, high) for _ in range(50)]
    return [format_waybill(carrier, serial) for serial in serials]


@pytest.mark.parametrize(
    ("digits8", "check"),
    [
        ("12345678", 5),  # RB123456785GB / EA123456785CN
        ("00000000", 5),  # remainder 0 → 5
        ("11111111", 5),  # remainder 0 → 5
        ("00000008", 0),  # remainder 1 → 0
        ("00000003", 1),  # remainder 10 → 1
        ("47312482", 9),
    ],
)
def test_s10_check_digit_follows_the_upu_rule(digits8, check):
    assert s10_check_digit(digits8) == check


@pytest.mark.parametrize(
    ("number", "valid"),
    [
        ("RB123456785GB", True),
        ("RB123456786US", False),
        ("EA123456785CN", True),
        ("ea123456785cn", True),
        ("ＥＡ１２３４５６７８５ＣＮ", True),
        ("EA12345678CN", False),
        ("EA1234567855CN", False),
        ("E1123456785CN", False),
    ],
)
def test_s10_numbers_of_any_country_are_checked(number, valid):
    assert is_valid_s10(number) is valid


@pytest.mark.parametrize("bad", ["1234567", "123456789", "1234567a", "１２３４５６７８", ""])
def test_s10_check_digit_refuses_anything_but_eight_ascii_digits(bad):
    with pytest.raises(ValueError, match="8 ASCII digits"):
        s10_check_digit(bad)


@pytest.mark.parametrize("carrier", ALL_CARRIERS)
def test_every_issued_number_is_recognised_as_its_own_carrier_and_valid(carrier):
    for number in sample_numbers(carrier):
        assert recognise(number) is carrier, number
        assert is_valid(number)
        assert is_valid(number, carrier)
        assert parse_serial(number) == (carrier, parse_serial(number, carrier)[1])


@pytest.mark.parametrize("carrier", ALL_CARRIERS)
def test_parsing_a_number_gives_back_its_serial(carrier):
    first, last = DEFAULT_RESERVED_BLOCKS[carrier]
    for serial in (first, last, (first + last) // 2):
        assert parse_serial(format_waybill(carrier, serial)) == (carrier, serial)


@pytest.mark.parametrize("carrier", ALL_CARRIERS)
def test_default_reserved_block_holds_ten_million_numbers_inside_the_format(carrier):
    first, last = DEFAULT_RESERVED_BLOCKS[carrier]
    low, high = serial_range(carrier)
    assert low <= first <= last <= high
    assert last - first + 1 >= 10_000_000


@pytest.mark.parametrize("carrier", ALL_CARRIERS)
def test_reserved_block_numbers_look_like_everyday_ones(carrier):
    # The numbers of a block share a prefix that looks like any other (no run of zeros or nines
    # at the bottom or top of the format) and differ only in their trailing digits.
    first, last = DEFAULT_RESERVED_BLOCKS[carrier]
    low_number, high_number = format_waybill(carrier, first), format_waybill(carrier, last)
    shared = low_number[
        : next(i for i, (a, b) in enumerate(zip(low_number, high_number, strict=True)) if a != b)
    ]
    assert len(set(shared)) >= 3
    assert not shared.endswith(("0000", "9999"))


@pytest.mark.parametrize("carrier", ALL_CARRIERS)
def test_serials_outside_the_format_are_refused_with_a_clear_message(carrier):
    low, high = serial_range(carrier)
    for serial in (low - 1, high + 1):
        with pytest.raises(ValueError, match=f"outside the {carrier.value} range"):
            format_waybill(carrier, serial)


def test_non_integer_serials_are_refused():
    for serial in (True, 1.0, "12"):
        with pytest.raises(ValueError):
            format_waybill(Carrier.SF, serial)


@pytest.mark.parametrize(
    ("carrier", "serial", "number"),
    [
        (Carrier.SF, 1_462_580_000_123, "SF1462580000123"),
        (Carrier.YTO, 7_483_920_000_001, "YT7483920000001"),
        (Carrier.ZTO, 5_861_730_000_001, "75861730000001"),
        (Carrier.STO, 3_194_860_000_001, "773194860000001"),
        (Carrier.YUNDA, 62_937_150_000_001, "462937150000001"),
        (Carrier.JD, 86_410_000_001, "JD0086410000001"),
        (Carrier.JT, 3_047_260_000_001, "JT3047260000001"),
        (Carrier.EMS, 0, "AA000000005CN"),
        (Carrier.EMS, 4 * 26 * 10**8 + 12_345_678, "EA123456785CN"),
        (Carrier.EMS, 676 * 10**8 - 1, "ZZ999999995CN"),
    ],
)
def test_numbers_have_the_documented_shape(carrier, serial, number):
    assert format_waybill(carrier, serial) == number


@pytest.mark.parametrize("carrier", ALL_CARRIERS)
def test_full_width_lower_case_and_padded_numbers_are_recognised(carrier):
    number = format_waybill(carrier, DEFAULT_RESERVED_BLOCKS[carrier][0])
    for variant in (to_full_width(number), f"  {number.lower()}\t", to_full_width(number.lower())):
        assert recognise(variant) is carrier
        assert is_valid(variant, carrier)


@pytest.mark.parametrize("carrier", ALL_CARRIERS)
def test_numbers_of_one_carrier_are_never_taken_for_another(carrier):
    for number in sample_numbers(carrier):
        for other in ALL_CARRIERS:
            if other is not carrier:
                assert not is_valid(number, other), (number, other)


@pytest.mark.parametrize(
    ("number", "carrier"),
    [
        ("4312345678901", Carrier.YUNDA),  # older 13-digit Yunda
        ("3101234567890", Carrier.YUNDA),
        ("JDVA01234567890", Carrier.JD),  # JD uses letters after the prefix too
        ("73123456789012", Carrier.ZTO),
        ("EA123456786CN", Carrier.EMS),  # right shape, wrong check digit: recognised, not valid
    ],
)
def test_other_real_world_shapes_are_recognised(number, carrier):
    assert recognise(number) is carrier


@pytest.mark.parametrize(
    "number",
    [
        "1123456789012",  # China Post domestic (EMS) 13 digits
        "9876543210987",  # China Post domestic parcel 13 digits
        "RB123456785GB",  # S10, but not China Post's
        "SF146258000012",  # one digit short
        "SF14625800001234",  # one digit long
        "7586173000000",  # ZTO one digit short
        "5123456789012345",
        "12345678901234",
        "JT30472600000A1",
        "",
        "顺丰SF1462580000123",
    ],
)
def test_unknown_shapes_are_not_claimed_for_any_carrier(number):
    assert recognise(number) is None
    assert not is_valid(number)


def test_a_wrong_ems_check_digit_is_not_valid():
    assert not is_valid("EA123456786CN")
    assert is_valid("EA123456785CN", Carrier.EMS)


@pytest.mark.parametrize("number", ["4312345678901", "JDVA01234567890", "EA123456786CN", "nonsense"])
def test_numbers_outside_the_issuing_format_have_no_serial(number):
    with pytest.raises(ValueError):
        parse_serial(number)


def test_every_carrier_has_a_chinese_and_an_english_name():
    assert set(CARRIER_NAMES) == set(Carrier)
    assert CARRIER_NAMES[Carrier.SF] == ("顺丰速运", "SF Express")
    assert all(zh and en and zh != en for zh, en in CARRIER_NAMES.values())
