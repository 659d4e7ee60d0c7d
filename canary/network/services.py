"""Importing and exporting the courier network."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TextIO

from django.db import transaction
from django.utils.translation import gettext, gettext_noop

from . import csvio
from .models import Node, NodeKind


class NetworkImportError(ValueError):
    """Every problem with a network file: ``errors`` in English (commands, logs), ``translated()``
    in the active language (the console)."""

    def __init__(self, problems: list[csvio.RowError | csvio.Problem]):
        self.problems = problems
        self.errors = [str(p) for p in problems]
        super().__init__("\n".join(self.errors))

    def translated(self) -> list[str]:
        return [_translate(p) for p in self.problems]


def _translate(problem: csvio.RowError | csvio.Problem) -> str:
    if isinstance(problem, csvio.RowError):
        return gettext("line %(line)s: %(message)s") % {
            "line": problem.line,
            "message": _translate(problem.problem),
        }
    return gettext(problem.template) % problem.values


@dataclass
class ImportResult:
    encoding: str
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    codes: list[str] = field(default_factory=list)


def read_network_bytes(data: bytes) -> tuple[list[csvio.NodeRow], str]:
    """The checked rows of a network CSV and its encoding; every problem at once, by line."""
    try:
        text, encoding = csvio.decode_text(data)
        rows = csvio.parse_rows(text)
    except csvio.CsvError as exc:
        raise NetworkImportError([exc.problem]) from exc
    if not rows:
        raise NetworkImportError([csvio.Problem(gettext_noop("the file holds no rows"), {})])
    existing = dict(Node.objects.values_list("code", "parent__code"))
    existing = {code: parent or "" for code, parent in existing.items()}
    errors = csvio.check_rows(rows, NodeKind.values, existing)
    if errors:
        raise NetworkImportError(errors)
    return rows, encoding


def import_network_bytes(data: bytes) -> ImportResult:
    """Create or update nodes from CSV bytes; all or nothing, re-import updates in place."""
    rows, encoding = read_network_bytes(data)
    result = ImportResult(encoding=encoding, codes=[r.code for r in rows])
    with transaction.atomic():
        nodes = {n.code: n for n in Node.objects.select_for_update().filter(code__in=result.codes)}
        fields = ("name", "kind", "province", "city")
        new, changed = [], []
        # Two passes: every node exists before parents are linked, so file order does not matter.
        for row in rows:
            node = nodes.get(row.code)
            values = {"name": row.name, "kind": row.kind, "province": row.province, "city": row.city}
            if node is None:
                new.append(Node(code=row.code, **values))
            elif any(getattr(node, k) != v for k, v in values.items()):
                for k, v in values.items():
                    setattr(node, k, v)
                changed.append(node)
        Node.objects.bulk_create(new, batch_size=2000)
        Node.objects.bulk_update(changed, fields, batch_size=2000)
        ids = dict(Node.objects.filter(code__in=result.codes).values_list("code", "id"))
        parent_ids = dict(
            Node.objects.filter(code__in={r.parent_code for r in rows}).values_list("code", "id")
        )
        current = dict(Node.objects.filter(code__in=result.codes).values_list("code", "parent_id"))
        relinked = [
            Node(id=ids[row.code], parent_id=parent_ids.get(row.parent_code) if row.parent_code else None)
            for row in rows
            if current[row.code] != (parent_ids.get(row.parent_code) if row.parent_code else None)
        ]
        Node.objects.bulk_update(relinked, ["parent"], batch_size=2000)
        moved = {n.id for n in relinked} - {n.id for n in changed} - {ids[n.code] for n in new}
        result.created = len(new)
        result.updated = len(changed) + len(moved)
        result.unchanged = len(rows) - result.created - result.updated
    return result


def export_network(out: TextIO) -> int:
    rows = [
        {
            "code": n.code,
            "name": n.name,
            "kind": n.kind,
            "parent_code": n.parent.code if n.parent else "",
            "province": n.province,
            "city": n.city,
        }
        for n in Node.objects.select_related("parent").order_by("code")
    ]
    csvio.write_rows(rows, out)
    return len(rows)
