"""Waybill number formats of the Chinese carriers we plant decoys for. Pure: no Django.

No carrier publishes its numbering, so the shapes below are the patterns the community observes on
real labels. Every carrier gets one *issuing* format, addressed by an integer serial so that a
reserved block is a plain integer range:

======  ==============================  =========================================
carrier issued number                   serial
======  ==============================  =========================================
SF      ``SF`` + 13 digits              the 13 digits
YTO     ``YT`` + 13 digits              the 13 digits
ZTO     ``7`` + 13 digits (14 digits)   the 13 digits after the ``7``
STO     ``77`` + 13 digits (15 digits)  the 13 digits after the ``77``
Yunda   ``4`` + 14 digits (15 digits)   the 14 digits after the ``4``
JD      ``JD`` + 13 digits              the 13 digits (JD also uses letters there)
J&T     ``JT`` + 13 digits              the 13 digits
EMS     UPU S10 ``EA12345678?CN``       ``(letter1 * 26 + letter2) * 10**8 + digits``
======  ==============================  =========================================

For EMS the two service letters count A=0 … Z=25, so serial 0 is ``AA00000000?CN`` and the
last serial is ``ZZ99999999?CN``; ``?`` is the S10 check digit, always computed, never chosen.

Recognition is unambiguous: each shape below fits exactly one carrier, and the only all-digit
shapes are told apart by length and leading digits.

* ZTO: 14 digits starting ``7``; STO: 15 digits starting ``77``.
* Yunda: 15 digits starting ``4``, or the older 13 digits starting ``3`` or ``4``. Yunda also
  uses other prefixes, but ``7…`` would collide with STO and 13 digits starting ``1``/``9`` are
  China Post domestic (EMS/邮政快递包裹) numbers, which we do not claim for anyone.
* EMS: the S10 shape with the ``CN`` suffix; other countries' S10 numbers are not ours.

:func:`recognise` answers by shape alone; :func:`is_valid` also checks the S10 check digit, so a
mistyped EMS number is recognised as EMS but not valid.
"""

from __future__ import annotations

import enum
import re
import unicodedata
from dataclasses import dataclass


class Carrier(enum.StrEnum):
    SF = "sf"
    YTO = "yto"
    ZTO = "zto"
    STO = "sto"
    YUNDA = "yunda"
    JD = "jd"
    JT = "jt"
    EMS = "ems"


CARRIER_NAMES: dict[Carrier, tuple[str, str]] = {
    Carrier.SF: ("顺丰速运", "SF Express"),
    Carrier.YTO: ("圆通速递", "YTO Express"),
    Carrier.ZTO: ("中通快递", "ZTO Express"),
    Carrier.STO: ("申通快递", "STO Express"),
    Carrier.YUNDA: ("韵达速递", "Yunda Express"),
    Carrier.JD: ("京东物流", "JD Logistics"),
    Carrier.JT: ("极兔速递", "J&T Express"),
    Carrier.EMS: ("中国邮政EMS", "China Post EMS"),
}


@dataclass(frozen=True)
class _PrefixedFormat:
    """A fixed prefix followed by a zero-padded decimal serial."""

    prefix: str
    digits: int

    def format(self, serial: int) -> str:
        return f"{self.prefix}{serial:0{self.digits}d}"


_PREFIXED_FORMATS: dict[Carrier, _PrefixedFormat] = {
    Carrier.SF: _PrefixedFormat("SF", 13),
    Carrier.YTO: _PrefixedFormat("YT", 13),
    Carrier.ZTO: _PrefixedFormat("7", 13),
    Carrier.STO: _PrefixedFormat("77", 13),
    Carrier.YUNDA: _PrefixedFormat("4", 14),
    Carrier.JD: _PrefixedFormat("JD", 13),
    Carrier.JT: _PrefixedFormat("JT", 13),
}

_S10_SERIALS_PER_LETTER_PAIR = 10**8
_S10_LETTER_PAIRS = 26 * 26
_S10_WEIGHTS = (8, 6, 4, 2, 3, 5, 9, 7)
_S10_SHAPE = re.compile(r"[A-Z]{2}(\d{8})(\d)[A-Z]{2}", re.ASCII)
_CHINA_POST_SUFFIX = "CN"

# What each carrier's numbers look like, for recognition (wider than the issuing format where
# the carrier uses more than one shape). The patterns must stay mutually exclusive.
_SHAPES: dict[Carrier, re.Pattern[str]] = {
    Carrier.SF: re.compile(r"SF\d{13}", re.ASCII),
    Carrier.YTO: re.compile(r"YT\d{13}", re.ASCII),
    Carrier.ZTO: re.compile(r"7\d{13}", re.ASCII),
    Carrier.STO: re.compile(r"77\d{13}", re.ASCII),
    Carrier.YUNDA: re.compile(r"4\d{14}|[34]\d{12}", re.ASCII),
    Carrier.JD: re.compile(r"JD[0-9A-Z]{13}", re.ASCII),
    Carrier.JT: re.compile(r"JT\d{13}", re.ASCII),
    Carrier.EMS: re.compile(r"[A-Z]{2}\d{9}CN", re.ASCII),
}

# Defaults for the blocks that real shipments never use; the team configures the real ones.
# Each holds exactly 10,000,000 serials (the last seven digits run free) and its prefix looks
# like the carrier's everyday numbers, so nothing about a decoy number stands out.
DEFAULT_RESERVED_BLOCKS: dict[Carrier, tuple[int, int]] = {
    Carrier.SF: (1_462_580_000_000, 1_462_589_999_999),  # SF1462580000000…
    Carrier.YTO: (7_483_920_000_000, 7_483_929_999_999),  # YT7483920000000…
    Carrier.ZTO: (5_861_730_000_000, 5_861_739_999_999),  # 75861730000000…
    Carrier.STO: (3_194_860_000_000, 3_194_869_999_999),  # 773194860000000…
    Carrier.YUNDA: (62_937_150_000_000, 62_937_159_999_999),  # 462937150000000…
    Carrier.JD: (86_410_000_000, 86_419_999_999),  # JD0086410000000…
    Carrier.JT: (3_047_260_000_000, 3_047_269_999_999),  # JT3047260000000…
    # EY60000000?CN … EY69999999?CN: letter pair EY = 4 * 26 + 24.
    Carrier.EMS: (128 * 10**8 + 60_000_000, 128 * 10**8 + 69_999_999),
}


def normalise(text: str) -> str:
    """NFKC (full-width letters and digits become ASCII), trimmed and upper-cased."""
    return unicodedata.normalize("NFKC", text).strip().upper()


def serial_range(carrier: Carrier) -> tuple[int, int]:
    """The inclusive range of serials that :func:`format_waybill` accepts for ``carrier``."""
    carrier = Carrier(carrier)
    if carrier is Carrier.EMS:
        return 0, _S10_LETTER_PAIRS * _S10_SERIALS_PER_LETTER_PAIR - 1
    return 0, 10 ** _PREFIXED_FORMATS[carrier].digits - 1


def format_waybill(carrier: Carrier, serial: int) -> str:
    """The waybill number of ``serial`` in ``carrier``'s issuing format."""
    carrier = Carrier(carrier)
    low, high = serial_range(carrier)
    if not isinstance(serial, int) or isinstance(serial, bool) or not low <= serial <= high:
        raise ValueError(f"serial {serial!r} is outside the {carrier.value} range {low}..{high}")
    if carrier is Carrier.EMS:
        pair, digits8 = divmod(serial, _S10_SERIALS_PER_LETTER_PAIR)
        first, second = divmod(pair, 26)
        body = f"{digits8:08d}"
        return f"{chr(65 + first)}{chr(65 + second)}{body}{s10_check_digit(body)}{_CHINA_POST_SUFFIX}"
    return _PREFIXED_FORMATS[carrier].format(serial)


def parse_serial(number: str, carrier: Carrier | None = None) -> tuple[Carrier, int]:
    """The carrier and serial of a number in an issuing format (inverse of :func:`format_waybill`).

    Raises ValueError for anything :func:`format_waybill` could not have produced, such as a
    number with a wrong check digit or a legacy 13-digit Yunda number.
    """
    text = normalise(number)
    found = recognise(text)
    if found is None or (carrier is not None and found != Carrier(carrier)) or not is_valid(text):
        raise ValueError(f"{number!r} is not a valid {carrier or 'known'} waybill number")
    if found is Carrier.EMS:
        first, second = ord(text[0]) - 65, ord(text[1]) - 65
        return found, (first * 26 + second) * _S10_SERIALS_PER_LETTER_PAIR + int(text[2:10])
    issuing = _PREFIXED_FORMATS[found]
    serial_digits = text[len(issuing.prefix) :]
    if len(serial_digits) != issuing.digits or not serial_digits.isdigit():
        raise ValueError(f"{number!r} is a {found.value} number outside the issuing format")
    return found, int(serial_digits)


def recognise(text: str) -> Carrier | None:
    """Which carrier's shape ``text`` has (full-width input accepted), or None."""
    candidate = normalise(text)
    for carrier, shape in _SHAPES.items():
        if shape.fullmatch(candidate):
            return carrier
    return None


def is_valid(number: str, carrier: Carrier | None = None) -> bool:
    """True if ``number`` has a carrier's shape (``carrier``'s, when given) and a correct check digit."""
    found = recognise(number)
    if found is None or (carrier is not None and found != Carrier(carrier)):
        return False
    if found is Carrier.EMS:
        return is_valid_s10(number)
    return True


def s10_check_digit(digits8: str) -> int:
    """The UPU S10 check digit of an 8-digit serial number."""
    if len(digits8) != 8 or not digits8.isascii() or not digits8.isdigit():
        raise ValueError(f"an S10 serial is exactly 8 ASCII digits, got {digits8!r}")
    remainder = sum(int(d) * w for d, w in zip(digits8, _S10_WEIGHTS, strict=True)) % 11
    check = 11 - remainder
    if check == 10:  # remainder 1
        return 0
    if check == 11:  # remainder 0
        return 5
    return check


def is_valid_s10(number: str) -> bool:
    """True for any UPU S10 item identifier (any country suffix) whose check digit is right."""
    match = _S10_SHAPE.fullmatch(normalise(number))
    return match is not None and s10_check_digit(match.group(1)) == int(match.group(2))
