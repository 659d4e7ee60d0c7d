"""Reading and checking a network CSV. Pure: no Django.

Columns: ``code,name,kind,parent_code,province,city``. Files come from Excel on Chinese
Windows as often as from scripts, so GBK/GB18030 is as normal as UTF-8 (with or without BOM).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

import charset_normalizer

COLUMNS = ("code", "name", "kind", "parent_code", "province", "city")
REQUIRED = ("code", "name", "kind")


class CsvError(ValueError):
    """The file as a whole cannot be read (encoding, header)."""


@dataclass(frozen=True)
class NodeRow:
    line: int
    code: str
    name: str
    kind: str
    parent_code: str
    province: str
    city: str


@dataclass(frozen=True)
class RowError:
    line: int
    message: str

    def __str__(self) -> str:
        return f"line {self.line}: {self.message}"


def decode_text(data: bytes) -> tuple[str, str]:
    """Decode bytes of a Chinese text file; returns (text, encoding name).

    UTF-8 and GB18030 (a superset of GBK and GB2312) are tried strictly first because short
    files give statistical detectors too little to go on; charset-normalizer decides the rest.
    """
    if data.startswith(b"\xef\xbb\xbf"):
        return data[3:].decode("utf-8"), "utf-8-sig"
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return data.decode("utf-16"), "utf-16"
    for encoding in ("utf-8", "gb18030"):
        try:
            return data.decode(encoding), encoding
        except UnicodeDecodeError:
            continue
    best = charset_normalizer.from_bytes(data).best()
    if best is None:
        raise CsvError("cannot detect the text encoding (expected UTF-8, GBK or GB18030)")
    return str(best), best.encoding


def parse_rows(text: str) -> list[NodeRow]:
    """Rows of a network CSV with their line numbers (the header is line 1)."""
    reader = csv.DictReader(io.StringIO(text))
    header = [h.strip().lower() for h in (reader.fieldnames or [])]
    missing = [c for c in REQUIRED if c not in header]
    if missing:
        raise CsvError(f"line 1: header lacks column(s) {', '.join(missing)}; expected {','.join(COLUMNS)}")
    reader.fieldnames = header
    rows = []
    for record in reader:
        values = {k: (v or "").strip() for k, v in record.items() if k}
        if not any(values.values()):
            continue
        rows.append(
            NodeRow(
                line=reader.line_num,
                code=values.get("code", ""),
                name=values.get("name", ""),
                kind=values.get("kind", "").lower(),
                parent_code=values.get("parent_code", ""),
                province=values.get("province", ""),
                city=values.get("city", ""),
            )
        )
    return rows


def check_rows(rows: Iterable[NodeRow], kinds: Iterable[str], existing: Mapping[str, str]) -> list[RowError]:
    """Every problem with the rows, by line. ``existing`` maps stored codes to their parent codes.

    A tree is only imported whole, so this reports everything it finds instead of stopping.
    """
    kinds = set(kinds)
    errors: list[RowError] = []
    seen: dict[str, int] = {}
    parents = dict(existing)
    rows = list(rows)
    for row in rows:
        if not row.code:
            errors.append(RowError(row.line, "code is empty"))
            continue
        if len(row.code) > 64:
            errors.append(RowError(row.line, f"code {row.code!r} is longer than 64 characters"))
        if row.code in seen:
            errors.append(RowError(row.line, f"code {row.code!r} repeats line {seen[row.code]}"))
        seen[row.code] = row.line
        if not row.name:
            errors.append(RowError(row.line, f"{row.code}: name is empty"))
        if row.kind not in kinds:
            errors.append(
                RowError(
                    row.line, f"{row.code}: unknown kind {row.kind!r}; one of {', '.join(sorted(kinds))}"
                )
            )
        if row.parent_code == row.code:
            errors.append(RowError(row.line, f"{row.code}: a node cannot be its own parent"))
        parents[row.code] = row.parent_code
    for row in rows:
        if row.parent_code and row.parent_code not in parents:
            errors.append(
                RowError(
                    row.line, f"{row.code}: parent {row.parent_code!r} is neither in the file nor stored"
                )
            )
    errors.extend(_cycles(rows, parents))
    return sorted(errors, key=lambda e: e.line)


def _cycles(rows: list[NodeRow], parents: Mapping[str, str]) -> list[RowError]:
    errors = []
    for row in rows:
        seen = {row.code}
        current = parents.get(row.code, "")
        while current:
            if current in seen:
                errors.append(RowError(row.line, f"{row.code}: parent chain loops back through {current!r}"))
                break
            seen.add(current)
            current = parents.get(current, "")
    return errors


def write_rows(rows: Iterable[Mapping[str, str]], out: io.TextIOBase) -> None:
    writer = csv.DictWriter(out, fieldnames=COLUMNS, extrasaction="ignore")
    writer.writeheader()
    for row in rows:
        writer.writerow(row)
