"""What every reader yields and how readers fail. Pure: no Django."""

from __future__ import annotations

import bisect
from dataclasses import dataclass
from operator import itemgetter


class ReaderError(Exception):
    """Input that cannot be read: the message says why, for the document's error field."""


class LimitExceeded(ReaderError):
    """Input that would expand past a safety limit (zip bomb, decompression-bomb image).

    Never swallowed inside an archive: the whole document is refused.
    """


@dataclass(frozen=True)
class Limits:
    """Safety limits for one document, archives included."""

    max_depth: int = 3  # archives inside archives
    max_members: int = 10_000
    max_expanded_bytes: int = 4 << 30  # everything unpacked from one document, added up
    max_member_bytes: int = 1 << 30
    max_image_pixels: int = 40_000_000
    max_image_bytes: int = 64 << 20  # an image file bigger than this is refused before decoding
    # Larger images are scaled down to this many pixels before barcode reading and OCR: a label is
    # legible far below it, and OCR's memory grows with the pixel count.
    analysis_pixels: int = 2_000_000
    ocr: bool = True
    text_block_chars: int = 1 << 20  # HTML text is yielded in line-aligned blocks about this big
    # Line-based dumps go to the matcher in blocks about this big: small enough for the processor's
    # caches, which the matcher's several passes over a block then hit.
    line_block_bytes: int = 4 << 20


@dataclass(frozen=True)
class TextChunk:
    """A piece of a document's text and where it came from.

    ``location`` names the document part (``dump.zip!orders.csv``, ``book.xlsx!客户``,
    ``scan.pdf page 3``). Plain text comes in blocks of lines: ``first_line`` is the 1-based number of
    the block's first line. Table rows carry ``cells``: (offset in ``text``, cell name) pairs.
    Every line of ``text`` is one record for the matcher.
    """

    text: str
    location: str
    first_line: int | None = None
    cells: tuple[tuple[int, str], ...] = ()

    def locate(self, line: int = 0, offset: int = 0) -> str:
        """Evidence location of character ``offset`` in line ``line`` (0-based) of this chunk."""
        where = self.location
        if self.first_line is not None:
            where = f"{where} line {self.first_line + line}"
        if self.cells:
            index = max(0, bisect.bisect_right(self.cells, offset, key=itemgetter(0)) - 1)
            where = f"{where}{self.cells[index][1]}"
        return where
