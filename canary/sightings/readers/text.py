"""Text in any common Chinese encoding: detection, streamed decoding, CSV rows as records."""

from __future__ import annotations

import codecs
import re
from collections.abc import Iterator

from charset_normalizer import from_bytes

from canary.sightings.normalize import HAN_RANGES
from canary.sightings.readers.base import ReaderError, TextChunk

_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32"),
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)
# GB18030 decodes everything GBK and GB2312 do, and more: never pick the narrower codec.
_WIDER = {"gbk": "gb18030", "gb2312": "gb18030", "cp936": "gb18030", "ascii": "utf-8"}
_SAMPLE = 256 * 1024
_DECODE_STEP = 1 << 20


def detect_encoding(data: bytes) -> str:
    """The encoding of ``data``: a BOM, then strict UTF-8, then charset-normalizer on a sample."""
    for bom, encoding in _BOMS:
        if data.startswith(bom):
            return encoding
    sample = data[:_SAMPLE]
    if _looks_like_utf8(sample, complete=len(data) <= _SAMPLE):
        return "utf-8"
    if _looks_like_chinese(sample, complete=len(data) <= _SAMPLE):
        return "gb18030"
    best = from_bytes(sample).best()
    if best is None:
        raise ReaderError("not text in any known encoding (binary or corrupt data)")
    encoding = best.encoding.lower()
    return _WIDER.get(encoding, encoding)


def _looks_like_chinese(sample: bytes, complete: bool) -> bool:
    """GBK/GB18030 first: charset-normalizer takes short Chinese samples for Korean or Latin-1."""
    text = _strict_decode(sample, "gb18030", complete)
    if not text:
        return False
    implausible = len(_IMPLAUSIBLE.findall(text))
    return implausible <= 0.03 * len(text) and _HAN.search(text) is not None


_HAN = re.compile(f"[{HAN_RANGES}]")
# What Chinese text is made of: printable ASCII, line breaks, Han, CJK punctuation, full-width forms.
_IMPLAUSIBLE = re.compile(f"[^\x20-\x7e\t\r\n\u3000-\u303f\uff00-\uffef{HAN_RANGES}]")


def _looks_like_utf8(sample: bytes, complete: bool) -> bool:
    if sample.count(0) > len(sample) // 100:
        return False  # UTF-16 without a BOM, or binary: let charset-normalizer judge
    return _strict_decode(sample, "utf-8", complete) is not None


def _strict_decode(sample: bytes, encoding: str, complete: bool) -> str | None:
    """``sample`` decoded strictly, forgiving only a character cut in two at the end of a sample."""
    try:
        return codecs.getincrementaldecoder(encoding)().decode(sample, final=complete)
    except UnicodeDecodeError:
        return None


def iter_decoded(data: bytes, encoding: str) -> Iterator[str]:
    """Decode ``data`` piece by piece, so a big dump never exists twice in memory at once."""
    decoder = codecs.getincrementaldecoder(encoding)(errors="replace")
    view = memoryview(data)
    for start in range(0, len(data), _DECODE_STEP):
        yield decoder.decode(view[start : start + _DECODE_STEP])
    yield decoder.decode(b"", final=True)


def iter_line_blocks(pieces: Iterator[str], block_chars: int) -> Iterator[tuple[int, str]]:
    """(first line number, text) blocks that never cut a line in two."""
    pending = ""
    line = 1
    for piece in pieces:
        pending += piece
        start = 0
        while len(pending) - start >= block_chars:
            cut = pending.rfind("\n", start, start + block_chars)
            if cut < 0:
                cut = pending.find("\n", start + block_chars)  # one line longer than a block
            if cut < 0:
                break
            yield line, pending[start:cut]
            line += pending.count("\n", start, cut) + 1
            start = cut + 1
        pending = pending[start:]
    if pending:
        yield line, pending


def guess_delimiter(first_line: str) -> str:
    """The CSV delimiter that the header row uses most."""
    counts = {delimiter: first_line.count(delimiter) for delimiter in (",", "\t", ";", "|")}
    return max(counts, key=lambda delimiter: counts[delimiter]) if any(counts.values()) else ","


def row_chunk(row: list[str], header: list[str], location: str) -> TextChunk:
    """One table row as one record; ``locate`` names the cell by the header row."""
    cells: list[tuple[int, str]] = []
    parts: list[str] = []
    offset = 0
    for index, value in enumerate(row):
        title = header[index] if index < len(header) and header[index] else f"column {index + 1}"
        cells.append((offset, f" [{title}]"))
        value = " ".join(value.splitlines())  # a row stays one record, even with line breaks in a cell
        parts.append(value)
        offset += len(value) + 1
    return TextChunk("\t".join(parts), location, cells=tuple(cells))
