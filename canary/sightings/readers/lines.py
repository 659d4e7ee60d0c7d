"""Documents whose records are lines — plain text, CSV/TSV, JSON Lines, chat text — read in place.

A dump is mostly lines that mention no decoy. Turning each of its lines into a record first costs
far more than finding the few that matter, so a :class:`LineDocument` hands the matcher blocks of
raw bytes (:class:`LineBlock`) in the document's own encoding — UTF-8 or GB18030, anything else
transcoded to UTF-8 — and only the lines the matcher's first stage flags are read into records
(:meth:`LineDocument.records`) by the format's rules: CSV cells named by the header row, JSON
paths, chat messages. :meth:`LineDocument.chunks` reads every line the same way; the matcher's
results on both agree, which the tests hold them to.

The first stage reads the raw bytes, where a record's text has its cells joined by tabs: a
line holds the same tokens as its records (no token holds a quote, a comma or a delimiter), and
the first stage counts the field punctuation around cell edges (``","``) as separators, so a
phone number cut over three cells is seen as in the record. JSON Lines with backslash escapes
(``\\u5f20``) cannot be seen in their bytes: those lines are always read.

A line is a record here also where a quoted CSV cell holds a line break: such a cell is read as
two records. Chat messages span lines and stay whole: a flagged line is read as its message.
"""

from __future__ import annotations

import codecs
import csv
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import cached_property

from canary.sightings.prefilter import UTF8, native_encoding
from canary.sightings.readers.base import Limits, TextChunk
from canary.sightings.readers.chat import HEADER as CHAT_HEADER
from canary.sightings.readers.jsonfile import records as json_records
from canary.sightings.readers.text import (
    detect_encoding,
    guess_delimiter,
    iter_decoded,
    iter_line_blocks,
    row_chunk,
)

LINE_FORMATS = frozenset({"text", "csv", "tsv", "jsonl", "chat"})
_JSON_ESCAPE = re.compile(rb'\\[\\/"bfnrtu]')
_CHAT_HEADER_BYTES = 2000  # a chat header is a short line; longer ones are not decoded to check
_CHAT_LOOKAHEAD_LINES = 1000  # how far a chat block's cut moves on to reach a message start


@dataclass(frozen=True)
class LineBlock:
    """Lines ``first_line``… (1-based) of a document, for the matcher.

    ``data`` is the block in ``encoding`` (UTF-8 or GB18030), without its last newline;
    ``forced`` are lines to read whatever the first stage finds, as (line within the block from
    0, start, end).
    """

    first_line: int
    data: bytes
    encoding: str
    forced: tuple[tuple[int, int, int], ...] = ()


@dataclass(frozen=True, eq=False)
class LineDocument:
    """A line-based document; see the module docstring."""

    name: str
    data: bytes = field(repr=False)
    format: str
    limits: Limits = field(default_factory=Limits)

    @property
    def location(self) -> str:
        return self.name

    @cached_property
    def encoding(self) -> str:
        return detect_encoding(self.data)

    @cached_property
    def delimiter(self) -> str:
        if self.format == "tsv":
            return "\t"
        if self.format != "csv":
            return ","
        head = next(iter_decoded(self.data[: 1 << 16], self.encoding), "")
        return guess_delimiter(head.split("\n", 1)[0])

    @cached_property
    def _header(self) -> list[str]:
        """The cell names: the first row with a non-blank cell."""
        if self.format not in ("csv", "tsv"):
            return []
        for _, text in iter_line_blocks(iter_decoded(self.data[: 1 << 16], self.encoding), 1 << 16):
            for line in text.split("\n"):
                row = _row(line, self.delimiter)
                if any(cell.strip() for cell in row):
                    return [cell.strip() for cell in row]
        return []

    # -- blocks ----------------------------------------------------------------------------------

    def blocks(self) -> Iterator[LineBlock]:
        """The document in line-aligned blocks of about ``limits.line_block_bytes``."""
        native = native_encoding(self.encoding)
        if native is not None:
            data = self.data.removeprefix(codecs.BOM_UTF8) if native == UTF8 else self.data
            pieces = self._native_blocks(data)
        else:
            native = UTF8
            pieces = (
                (first_line, text.encode("utf-8", "surrogatepass"))
                for first_line, text in iter_line_blocks(
                    iter_decoded(self.data, self.encoding), self.limits.line_block_bytes
                )
            )
        for first_line, block in pieces:
            forced: tuple[tuple[int, int, int], ...] = ()
            if self.format == "jsonl" and b"\\" in block:
                forced = _lines_holding(block, _JSON_ESCAPE)
            yield LineBlock(first_line, block, native, forced)

    def _native_blocks(self, data: bytes) -> Iterator[tuple[int, bytes]]:
        size = len(data)
        start, line = 0, 1
        while start < size:
            cut = data.find(b"\n", start + self.limits.line_block_bytes)
            if cut >= 0 and self.format == "chat":
                cut = self._message_start(data, cut)
            if cut < 0:  # the last block, without the document's final newline
                cut = size - 1 if data.endswith(b"\n") else size
            yield line, data[start:cut]
            line += data.count(b"\n", start, cut) + 1
            start = cut + 1

    def _message_start(self, data: bytes, cut: int) -> int:
        """A newline near ``cut`` before which a chat message ends, so no message is cut in two."""
        for _ in range(_CHAT_LOOKAHEAD_LINES):
            following = data.find(b"\n", cut + 1)
            line = data[cut + 1 : len(data) if following < 0 else following]
            if self._is_chat_header(line) or following < 0:
                return cut
            cut = following
        return cut

    def _is_chat_header(self, line: bytes) -> bool:
        if len(line) > _CHAT_HEADER_BYTES:
            return False
        return CHAT_HEADER.match(line.decode(self._codec, "replace").strip()) is not None

    @property
    def _codec(self) -> str:
        return native_encoding(self.encoding) or self.encoding

    # -- records ---------------------------------------------------------------------------------

    def records(self, block: LineBlock, lines: list[tuple[int, int, int]]) -> list[TextChunk]:
        """The records of ``lines`` — (line, start, end) in ``block``, as the first stage gives
        them — read by the format's rules."""
        if self.format == "chat":
            return self._messages(block, lines)
        chunks: list[TextChunk] = []
        for line, start, end in lines:
            text = block.data[start:end].decode(block.encoding, "replace")
            chunks.extend(self._line_records(text, block.first_line + line))
        return chunks

    def chunks(self) -> Iterator[TextChunk]:
        """Every record of the document, block by block."""
        for block in self.blocks():
            if self.format == "text":
                text = block.data.decode(block.encoding, "replace").replace("\r", "")
                yield TextChunk(text, self.name, first_line=block.first_line)
            else:
                yield from self.records(block, list(_all_lines(block.data)))

    def _line_records(self, text: str, number: int) -> list[TextChunk]:
        where = f"{self.name} line {number}"
        if self.format == "text":
            return [TextChunk(text.replace("\r", ""), self.name, first_line=number)]
        if self.format in ("csv", "tsv"):
            row = _row(text, self.delimiter)
            if not any(cell.strip() for cell in row):
                return []
            return [row_chunk(row, self._header, where)]
        if not text.strip():
            return []
        try:
            value = json.loads(text)
        except json.JSONDecodeError:
            return [TextChunk(text, where)]  # a broken line is still text worth matching
        return [
            TextChunk(record, where if path == "$" else f"{where} {path}")
            for path, record in json_records(value, "$")
        ]

    def _messages(self, block: LineBlock, lines: list[tuple[int, int, int]]) -> list[TextChunk]:
        """The chat messages that hold ``lines``, each once: a header line and the lines after it
        up to the next header (empty lines and ``=====`` rules left out)."""
        data = block.data
        seen: set[int] = set()
        chunks: list[TextChunk] = []
        for line, start, end in lines:
            # Back to the message's header, or to the block's first line.
            while line > 0 and not self._is_chat_header(data[start:end]):
                end = start - 1
                start = data.rfind(b"\n", 0, end) + 1
                line -= 1
            if line in seen:
                continue
            seen.add(line)
            first, parts = line, []
            while True:
                text = data[start:end].decode(block.encoding, "replace").strip()
                if text and not text.startswith("====="):
                    if not parts and not CHAT_HEADER.match(text):
                        first = line  # text before any header: the message starts here
                    parts.append(text)
                if end >= len(data):
                    break
                start, end = end + 1, _line_end(data, end + 1)
                line += 1
                if self._is_chat_header(data[start:end]):
                    break
            if parts:
                chunks.append(TextChunk(" ".join(parts), f"{self.name} line {block.first_line + first}"))
        return chunks


def _row(line: str, delimiter: str) -> list[str]:
    try:
        return next(csv.reader([line], delimiter=delimiter), [])
    except csv.Error:
        return [line]


def _all_lines(data: bytes) -> Iterator[tuple[int, int, int]]:
    start = 0
    for number, line in enumerate(data.split(b"\n")):
        yield number, start, start + len(line)
        start += len(line) + 1


def _lines_holding(data: bytes, pattern: re.Pattern[bytes]) -> tuple[tuple[int, int, int], ...]:
    """(line from 0, start, end) of the lines of ``data`` where ``pattern`` occurs."""
    found: list[tuple[int, int, int]] = []
    line, counted, end = 0, 0, -1
    for match in pattern.finditer(data):
        if match.start() <= end:
            continue  # this line is in already
        line += data.count(b"\n", counted, match.start())
        start = data.rfind(b"\n", 0, match.start()) + 1
        end = _line_end(data, match.start())
        counted = start
        found.append((line, start, end))
    return tuple(found)


def _line_end(data: bytes, start: int) -> int:
    end = data.find(b"\n", start)
    return len(data) if end < 0 else end
