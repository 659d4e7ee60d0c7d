"""Cutting a big text dump into line-aligned byte ranges that workers scan in parallel. Pure: no Django.

Only formats whose records are lines (plain text, CSV/TSV, JSON Lines) in an encoding where the
byte ``\\n`` always ends a line (UTF-8, GBK/GB18030, single-byte codecs; not UTF-16/32) are cut.
A CSV part gets the header row in front, so cells keep their names; locations are shifted back
to the line numbers of the whole file.
"""

from __future__ import annotations

import itertools
import re
from dataclasses import dataclass
from typing import BinaryIO

# Documents bigger than this are scanned in parallel parts of about CHUNK_BYTES each.
BIG_DOCUMENT_BYTES = 32 << 20
CHUNK_BYTES = 8 << 20
SPLITTABLE_FORMATS = frozenset({"text", "csv", "tsv", "jsonl"})
HEADED_FORMATS = frozenset({"csv", "tsv"})  # a part of one gets the header row in front
_WIDE_ENCODINGS = ("utf-16", "utf-32")
_SCAN_STEP = 64 * 1024


@dataclass(frozen=True)
class ByteRange:
    """Bytes ``start``..``end`` of the document; ``first_line`` is the 1-based line at ``start``."""

    index: int
    start: int
    end: int
    first_line: int


def splittable(format_name: str, encoding: str) -> bool:
    return format_name in SPLITTABLE_FORMATS and not encoding.lower().startswith(_WIDE_ENCODINGS)


def line_aligned_ranges(stream: BinaryIO, size: int, chunk_bytes: int) -> list[ByteRange]:
    """Ranges of about ``chunk_bytes`` covering ``stream`` exactly once, each ending after a newline.

    Reads only a little past each cut point (to find the next newline) and counts newlines to
    know where each part's lines start.
    """
    if chunk_bytes <= 0:
        raise ValueError("chunk_bytes must be positive")
    cuts = [0]
    while cuts[-1] + chunk_bytes < size:
        cut = _next_line_start(stream, cuts[-1] + chunk_bytes, size)
        if cut >= size:
            break
        cuts.append(cut)
    cuts.append(size)
    ranges: list[ByteRange] = []
    line = 1
    for index, (start, end) in enumerate(itertools.pairwise(cuts)):
        ranges.append(ByteRange(index, start, end, line))
        line += _count_newlines(stream, start, end)
    return ranges


def _next_line_start(stream: BinaryIO, position: int, size: int) -> int:
    stream.seek(position)
    while position < size:
        block = stream.read(_SCAN_STEP)
        if not block:
            break
        found = block.find(b"\n")
        if found >= 0:
            return position + found + 1
        position += len(block)
    return size


def _count_newlines(stream: BinaryIO, start: int, end: int) -> int:
    stream.seek(start)
    count = 0
    remaining = end - start
    while remaining > 0:
        block = stream.read(min(_SCAN_STEP * 16, remaining))
        if not block:
            break
        count += block.count(b"\n")
        remaining -= len(block)
    return count


def first_line(stream: BinaryIO) -> bytes:
    """The header row of a CSV/TSV file, newline included."""
    stream.seek(0)
    return stream.readline()


_LINE_NUMBER = re.compile(r" line (\d+)")


def shift_location(location: str, name: str, lines: int) -> str:
    """A location read from a part, moved to the whole file: ``name line 3`` + 1000 → ``name line 1003``."""
    if not lines or not location.startswith(name):
        return location
    rest = location[len(name) :]
    return name + _LINE_NUMBER.sub(lambda m: f" line {int(m.group(1)) + lines}", rest, count=1)
