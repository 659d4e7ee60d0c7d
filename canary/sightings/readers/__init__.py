"""File readers: any document in, located text chunks out. Pure: no Django.

``read_parts(data, name)`` picks a reader by magic bytes first and the file name second, and
yields the document's parts: :class:`TextChunk` objects, one record per line, each able to say
where it came from, and for line-based dumps (plain text, CSV/TSV, JSON Lines, chat text) a
:class:`LineDocument` that the matcher reads in place (see :mod:`.lines`). ``read_any`` yields
chunks only. Unreadable input raises :class:`ReaderError` with a message fit for the document's
error field, and nothing else: whatever a reader or the library under it raises on hostile input
(zlib errors, a negative seek, ``NotImplementedError``, deep recursion...) comes out as a
``ReaderError`` naming the document part. Input that would expand past :class:`Limits` raises
:class:`LimitExceeded` (a ``ReaderError``).
"""

from __future__ import annotations

from collections.abc import Iterator

from canary.sightings.readers.archive import Budget, read_zip
from canary.sightings.readers.base import LimitExceeded, Limits, ReaderError, TextChunk
from canary.sightings.readers.chat import is_telegram_export, looks_like_chat_text, read_telegram
from canary.sightings.readers.html import read_html
from canary.sightings.readers.image import read_image
from canary.sightings.readers.jsonfile import parse_json, read_json
from canary.sightings.readers.lines import LINE_FORMATS, LineDocument
from canary.sightings.readers.pdf import read_pdf
from canary.sightings.readers.text import detect_encoding
from canary.sightings.readers.xlsx import read_xlsx

__all__ = [
    "LimitExceeded",
    "Limits",
    "LineDocument",
    "Part",
    "ReaderError",
    "TextChunk",
    "detect_format",
    "read_any",
    "read_parts",
]

Part = TextChunk | LineDocument

_IMAGE_MAGIC = (b"\x89PNG\r\n\x1a\n", b"\xff\xd8\xff", b"GIF87a", b"GIF89a", b"BM", b"II*\x00", b"MM\x00*")
_IMAGE_EXTENSIONS = (".png", ".jpg", ".jpeg", ".gif", ".bmp", ".tif", ".tiff", ".webp")


def detect_format(data: bytes, name: str) -> str:
    """One of: zip, xlsx, pdf, image, json, jsonl, html, csv, tsv, chat, text."""
    lower = name.lower().rsplit("!", 1)[-1]
    head = data[:512]
    if head.startswith(b"PK\x03\x04") or head.startswith(b"PK\x05\x06"):
        return "xlsx" if lower.endswith((".xlsx", ".xlsm")) or b"xl/" in data[:4096] else "zip"
    if head.startswith(b"%PDF"):
        return "pdf"
    if head.startswith(_IMAGE_MAGIC) or (head[:4] == b"RIFF" and head[8:12] == b"WEBP"):
        return "image"
    if lower.endswith(_IMAGE_EXTENSIONS):
        return "image"
    if lower.endswith((".jsonl", ".ndjson")):
        return "jsonl"
    stripped = head.lstrip(b"\xef\xbb\xbf \t\r\n")
    if lower.endswith(".json") or stripped[:1] in (b"{", b"["):
        return "json"
    if lower.endswith((".html", ".htm")) or stripped[:15].lower().startswith((b"<!doctype html", b"<html")):
        return "html"
    if lower.endswith(".csv"):
        return "csv"
    if lower.endswith(".tsv"):
        return "tsv"
    return "text"


def read_parts(
    data: bytes, name: str, limits: Limits | None = None, errors: list[ReaderError] | None = None
) -> Iterator[Part]:
    """Every part of the document ``data`` called ``name``: text chunks and line documents.

    With an ``errors`` list, an unreadable archive member is recorded there and reading goes on;
    without one, it raises. Limit violations always raise.
    """
    return _read(data, name, limits or Limits(), 0, Budget(), errors)


def guarded(parts: Iterator[Part], name: str) -> Iterator[Part]:
    """``parts`` under the reader contract: any failure comes out as :class:`ReaderError`."""
    try:
        yield from parts
    except ReaderError:
        raise
    except Exception as error:  # the contract: hostile input must not crash a scan
        raise ReaderError(f"{name}: unreadable ({type(error).__name__}: {str(error)[:200]})") from error


def read_any(
    data: bytes, name: str, limits: Limits | None = None, errors: list[ReaderError] | None = None
) -> Iterator[TextChunk]:
    """Every text chunk of the document ``data`` called ``name`` (line documents read whole)."""
    for part in read_parts(data, name, limits, errors):
        if isinstance(part, LineDocument):
            yield from guarded(part.chunks(), part.name)
        else:
            yield part


def _read(
    data: bytes, name: str, limits: Limits, depth: int, budget: Budget, errors: list[ReaderError] | None
) -> Iterator[Part]:
    return guarded(_dispatch(data, name, limits, depth, budget, errors), name)


def _dispatch(
    data: bytes, name: str, limits: Limits, depth: int, budget: Budget, errors: list[ReaderError] | None
) -> Iterator[Part]:
    kind = detect_format(data, name)
    if kind == "zip":
        yield from read_zip(data, name, limits, depth, budget, errors, _read)
        return
    if kind == "json":
        document = parse_json(data, name)
        if is_telegram_export(document):
            yield from read_telegram(document, name, limits)
        else:
            yield from read_json(data, name, limits, document)
        return
    if kind == "text" and looks_like_chat_text(_head_text(data)):
        kind = "chat"
    if kind in LINE_FORMATS:
        document = LineDocument(name, data, kind, limits)
        document.encoding  # noqa: B018 - undecodable bytes fail here, inside an archive member's reading
        yield document
        return
    reader = {"xlsx": read_xlsx, "pdf": read_pdf, "image": read_image, "html": read_html}[kind]
    yield from reader(data, name, limits)


def _head_text(data: bytes) -> str:
    return data[:8192].decode(detect_encoding(data), errors="replace")
