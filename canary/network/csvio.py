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


def _(message: str) -> str:
    """Marks a message for translation (this module has no Django); the console translates it."""
    return message


@dataclass(frozen=True)
class Problem:
    """A message template and its values: English by ``str``, translated by the console."""

    template: str
    values: Mapping[str, object]

    def __str__(self) -> str:
        return self.template % self.values


class CsvError(ValueError):
    """The file as a whole cannot be read (encoding, header)."""

    def __init__(self, template: str, **values: object):
        self.problem = Problem(template, values)
        super().__init__(str(self.problem))


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
    problem: Problem

    def __str__(self) -> str:
        return f"line {self.line}: {self.problem}"


def row_error(line: int, template: str, **values: object) -> RowError:
    return RowError(line, Problem(template, values))


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
        raise CsvError(_("cannot detect the text encoding (expected UTF-8, GBK or GB18030)"))
    return str(best), best.encoding


def parse_rows(text: str) -> list[NodeRow]:
    """Rows of a network CSV with their line numbers (the header is line 1)."""
    reader = csv.DictReader(io.StringIO(text))
    header = [h.strip().lower() for h in (reader.fieldnames or [])]
    missing = [c for c in REQUIRED if c not in header]
    if missing:
        raise CsvError(
            _("line 1: header lacks column(s) %(missing)s; expected %(expected)s"),
            missing=", ".join(missing),
            expected=",".join(COLUMNS),
        )
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
            errors.append(row_error(row.line, _("code is empty")))
            continue
        if len(row.code) > 64:
            errors.append(
                row_error(row.line, _("code '%(code)s' is longer than 64 characters"), code=row.code)
            )
        if row.code in seen:
            errors.append(
                row_error(
                    row.line, _("code '%(code)s' repeats line %(first)s"), code=row.code, first=seen[row.code]
                )
            )
        seen[row.code] = row.line
        if not row.name:
            errors.append(row_error(row.line, _("%(code)s: name is empty"), code=row.code))
        if row.kind not in kinds:
            errors.append(
                row_error(
                    row.line,
                    _("%(code)s: unknown kind '%(kind)s'; one of %(kinds)s"),
                    code=row.code,
                    kind=row.kind,
                    kinds=", ".join(sorted(kinds)),
                )
            )
        if row.parent_code == row.code:
            errors.append(row_error(row.line, _("%(code)s: a node cannot be its own parent"), code=row.code))
        parents[row.code] = row.parent_code
    for row in rows:
        if row.parent_code and row.parent_code not in parents:
            errors.append(
                row_error(
                    row.line,
                    _("%(code)s: parent '%(parent)s' is neither in the file nor stored"),
                    code=row.code,
                    parent=row.parent_code,
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
                errors.append(
                    row_error(
                        row.line,
                        _("%(code)s: parent chain loops back through '%(through)s'"),
                        code=row.code,
                        through=current,
                    )
                )
                break
            seen.add(current)
            current = parents.get(current, "")
    return errors


def write_rows(rows: Iterable[Mapping[str, str]], out: io.TextIOBase) -> None:
    writer = csv.DictWriter(out, fieldnames=COLUMNS, extrasaction="ignore")
    writer.writeheader()
    for row in rows:
        writer.writerow(row)
