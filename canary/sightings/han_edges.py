"""Which name hits in raw bytes touch a Han character. Pure: no Django.

A decoy's name found inside Han text (``宁波`` in ``宁波市``, ``王玉`` in ``王玉兰``) is *embedded*:
the exact path counts it only as support for a decoy that another token of the same record points
to. Two-character names occur that way on most lines of a Chinese dump: at realistic density
(``bench/matcher.py``) they sent three lines in four to the exact path, which made a scan ten times
slower than the first stage alone. The first stage therefore tells embedded hits apart in the raw
bytes, for whole blocks at once with NumPy, and leaves them out unless the line may still use them
(see ``Prefilter.candidate_lines``).

The test is exact for the characters it claims to be Han: in UTF-8 a three-byte character ending
right before (starting right after) the hit; in GB18030 a two-byte character. A neighbour it cannot
read for certain (a four-byte character, a GB18030 byte that may be ASCII or a trailing byte) counts
as not Han, so the hit is kept: the first stage may flag more lines, never fewer.
"""

from __future__ import annotations

from functools import cache

import numpy

from canary.sightings.normalize import is_han

UTF8 = "utf-8"
GB18030 = "gb18030"

# Per literal: it is only ever a decoy's name; its first (last) character is Han, so a Han
# neighbour on that side embeds it.
NAME, FIRST_HAN, LAST_HAN = 4, 1, 2


def name_flags(names: list[str]) -> numpy.ndarray:
    """The flags of literals that are only ever names (a million names in a fraction of a second)."""
    flags = numpy.full(len(names), NAME, numpy.uint8)
    if names:
        flags |= numpy.where(_han_code_points("".join(name[0] for name in names)), FIRST_HAN, 0).astype(
            numpy.uint8
        )
        flags |= numpy.where(_han_code_points("".join(name[-1] for name in names)), LAST_HAN, 0).astype(
            numpy.uint8
        )
    return flags


def _han_code_points(text: str) -> numpy.ndarray:
    """Per character of ``text``: whether :func:`is_han` holds, for all of them at once."""
    cp = numpy.frombuffer(text.encode("utf-32-le", "surrogatepass"), numpy.uint32)
    return (
        ((cp >= 0x4E00) & (cp <= 0x9FFF))
        | ((cp >= 0x3400) & (cp <= 0x4DBF))
        | ((cp >= 0xF900) & (cp <= 0xFAFF))
        | ((cp >= 0x20000) & (cp <= 0x323AF))
    )


def embedded(
    data: bytes, encoding: str, starts: numpy.ndarray, ends: numpy.ndarray, edges: numpy.ndarray
) -> numpy.ndarray:
    """Per hit ``data[starts[i]:ends[i]]`` with name edge flags ``edges[i]``: whether a Han
    character touches a Han edge of it, so the exact path would call it embedded."""
    buf = numpy.frombuffer(data, numpy.uint8)
    before = ((edges & FIRST_HAN) != 0) & _han_before(buf, starts, encoding)
    return before | (((edges & LAST_HAN) != 0) & _han_after(buf, ends, encoding))


def char_codes_before(buf: numpy.ndarray, positions: numpy.ndarray, encoding: str) -> numpy.ndarray:
    """The bytes of the character ending at each position, as one integer (the width of a Han
    character in ``encoding``: three bytes in UTF-8, two in GB18030); -1 where there are fewer."""
    width = _width(encoding)
    valid = positions >= width
    safe = numpy.where(valid, positions, width)
    code = numpy.zeros(len(positions), numpy.int64)
    for offset in range(width, 0, -1):
        code = (code << 8) | buf[safe - offset]
    return numpy.where(valid, code, -1)


def char_codes_at(buf: numpy.ndarray, positions: numpy.ndarray, encoding: str) -> numpy.ndarray:
    """The bytes of the Han-width character starting at each position, as one integer; -1 where
    the data ends first."""
    width = _width(encoding)
    valid = positions + width <= len(buf)
    safe = numpy.where(valid, positions, 0)
    code = numpy.zeros(len(positions), numpy.int64)
    for offset in range(width):
        code = (code << 8) | buf[safe + offset]
    return numpy.where(valid, code, -1)


def wide_first_char(buf: numpy.ndarray, starts: numpy.ndarray, encoding: str) -> numpy.ndarray:
    """Whether the character at each position takes four bytes (more than :func:`char_codes_at`
    reads): a Han character of the supplementary planes."""
    if encoding == GB18030:
        second = buf[numpy.minimum(starts + 1, len(buf) - 1)]
        return (second >= 0x30) & (second <= 0x39)
    return buf[starts] >= 0xF0


def _width(encoding: str) -> int:
    return 3 if encoding == UTF8 else 2


def _han_before(buf: numpy.ndarray, starts: numpy.ndarray, encoding: str) -> numpy.ndarray:
    codes = char_codes_before(buf, starts, encoding)
    if encoding == GB18030:
        # Only a byte from 0x81 ends a two-byte character for certain (0x40-0x7e may be ASCII);
        # 0x80 alone is not a character, so the one before it may not be one either.
        return (codes >= 0) & ((codes & 0xFF) >= 0x81) & _gb18030_han()[codes & 0xFFFF]
    return _utf8_han(codes)


def _han_after(buf: numpy.ndarray, ends: numpy.ndarray, encoding: str) -> numpy.ndarray:
    codes = char_codes_at(buf, ends, encoding)
    if encoding == GB18030:
        return (codes >= 0) & _gb18030_han()[codes & 0xFFFF]
    return _utf8_han(codes)


def _utf8_han(codes: numpy.ndarray) -> numpy.ndarray:
    """Whether each three-byte code is a well-formed UTF-8 Han character."""
    b0, b1, b2 = (codes >> 16) & 0xFF, (codes >> 8) & 0xFF, codes & 0xFF
    well_formed = (codes >= 0) & ((b0 & 0xF0) == 0xE0) & ((b1 & 0xC0) == 0x80) & ((b2 & 0xC0) == 0x80)
    code_point = ((b0 & 0x0F) << 12) | ((b1 & 0x3F) << 6) | (b2 & 0x3F)
    return well_formed & _bmp_han()[code_point]


@cache
def _bmp_han() -> numpy.ndarray:
    """Per code point of the Basic Multilingual Plane: Han or not."""
    return _han_code_points("".join(map(chr, range(0x10000))))


@cache
def _gb18030_han() -> numpy.ndarray:
    """Per two-byte GB18030 sequence (first byte << 8 | second): a Han character or not."""
    table = numpy.zeros(0x10000, bool)
    for first in range(0x81, 0xFF):
        for second in (*range(0x40, 0x7F), *range(0x80, 0xFF)):
            try:
                char = bytes((first, second)).decode(GB18030)
            except UnicodeDecodeError:
                continue
            table[first << 8 | second] = is_han(char)
    return table
