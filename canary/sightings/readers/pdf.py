"""PDF text, page by page (pypdf). Scanned pages without a text layer yield nothing here."""

from __future__ import annotations

import io
from collections.abc import Iterator

from pypdf import PdfReader
from pypdf.errors import PdfReadError

from canary.sightings.readers.base import Limits, ReaderError, TextChunk


def read_pdf(data: bytes, name: str, limits: Limits) -> Iterator[TextChunk]:
    try:
        reader = PdfReader(io.BytesIO(data))
        if reader.is_encrypted and not reader.decrypt(""):
            raise ReaderError(f"{name}: the PDF is password protected")
        for number, page in enumerate(reader.pages, start=1):
            text = page.extract_text() or ""
            if text.strip():
                yield TextChunk(text, f"{name} page {number}", first_line=1)
    except (PdfReadError, ValueError, KeyError, TypeError, OSError) as error:
        raise ReaderError(f"{name}: not a readable PDF ({error})") from error
