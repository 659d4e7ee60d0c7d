"""XLSX workbooks, streamed row by row with openpyxl's read-only mode."""

from __future__ import annotations

import io
import zipfile
from collections.abc import Iterator
from datetime import date, datetime

from openpyxl import load_workbook
from openpyxl.utils import get_column_letter
from openpyxl.utils.exceptions import InvalidFileException

from canary.sightings.readers.archive import check_zip_size
from canary.sightings.readers.base import Limits, ReaderError, TextChunk


def read_xlsx(data: bytes, name: str, limits: Limits) -> Iterator[TextChunk]:
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            check_zip_size(archive, name, limits)  # an XLSX is a ZIP: the same bomb rules apply
        workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except (zipfile.BadZipFile, InvalidFileException, KeyError, OSError, ValueError) as error:
        raise ReaderError(f"{name}: not a readable XLSX workbook ({error})") from error
    try:
        for sheet in workbook.worksheets:
            first_row = sheet.min_row or 1
            for row_number, row in enumerate(sheet.iter_rows(values_only=True), start=first_row):
                chunk = _row_chunk(row, row_number, f"{name}!{sheet.title}")
                if chunk is not None:
                    yield chunk
    finally:
        workbook.close()


def _row_chunk(row: tuple[object, ...], row_number: int, location: str) -> TextChunk | None:
    cells: list[tuple[int, str]] = []
    parts: list[str] = []
    offset = 0
    for column, value in enumerate(row, start=1):
        text = _cell_text(value)
        if not text:
            continue
        cells.append((offset, f"!{get_column_letter(column)}{row_number}"))
        parts.append(text)
        offset += len(text) + 1
    if not parts:
        return None
    return TextChunk("\t".join(parts), location, cells=tuple(cells))


def _cell_text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))  # a phone typed into a number cell: 13800138000, not 13800138000.0
    if isinstance(value, datetime | date):
        return value.isoformat(sep=" ") if isinstance(value, datetime) else value.isoformat()
    return " ".join(str(value).split())
