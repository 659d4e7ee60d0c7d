"""Keyset pages for long lists (the console's and the API's): "previous" and "next" links instead
of page numbers.

An offset page (``?page=18000``) makes the database walk past every row before it, and "page 1 of
N" needs a ``COUNT(*)`` over the whole list: both grow with millions of decoys, contacts or audit
events. A keyset page asks for the rows after (or before) the last one shown, through the index
that serves the ordering, so the ten-thousandth page costs what the first does. The ordering ends
with the primary key, so it is total and a row never shows on two pages or on none.

The cursor is the ordering's values of the row at the page's edge, as URL-safe base64 of a JSON
list: not secret (the row's own time and id) and checked on the way back in; a cursor that does
not parse gives the first page.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import ValidationError
from django.db.models import Model, Q, QuerySet

AFTER, BEFORE = "after", "before"  # query parameters: the rows following / preceding the cursor


@dataclass
class KeysetPage:
    """One page of rows and the cursors of its neighbours (``None`` at either end)."""

    rows: list[Model]
    previous_cursor: str | None
    next_cursor: str | None

    def __iter__(self) -> Iterator[Model]:
        return iter(self.rows)

    def __len__(self) -> int:
        return len(self.rows)

    @property
    def has_previous(self) -> bool:
        return self.previous_cursor is not None

    @property
    def has_next(self) -> bool:
        return self.next_cursor is not None

    @property
    def has_other_pages(self) -> bool:
        return self.has_previous or self.has_next


def encode_cursor(values: Sequence[Any]) -> str:
    text = json.dumps([v.isoformat() if hasattr(v, "isoformat") else v for v in values])
    return base64.urlsafe_b64encode(text.encode()).decode().rstrip("=")


def _decode_cursor(token: str, fields: Sequence) -> list[Any] | None:
    try:
        values = json.loads(base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)))
        if not isinstance(values, list) or len(values) != len(fields):
            return None
        return [field.to_python(value) for field, value in zip(fields, values, strict=True)]
    except (ValueError, binascii.Error, ValidationError, TypeError):
        return None


def _strictly_beyond(names: Sequence[str], values: Sequence[Any], lookup: str) -> Q:
    first = Q(**{f"{names[0]}__{lookup}": values[0]})
    if len(names) == 1:
        return first
    return first | (Q(**{names[0]: values[0]}) & _strictly_beyond(names[1:], values[1:], lookup))


def _beyond(names: Sequence[str], values: Sequence[Any], lookup: str) -> Q:
    """Rows strictly beyond ``values`` in the ordering of ``names`` (one direction for all).

    The leading ``<=`` / ``>=`` on the first field says the same thing again in a form the database
    uses as the index scan's start: without it PostgreSQL reads every row before the cursor and
    discards them, which is the offset's cost again."""
    bound = Q(**{f"{names[0]}__{lookup}e": values[0]})
    return bound & _strictly_beyond(names, values, lookup)


def keyset_page(queryset: QuerySet, ordering: Sequence[str], params, per_page: int) -> KeysetPage:
    """The page of ``queryset`` that ``params`` (the request's GET) asks for.

    ``ordering`` are field names, all ascending or all descending (``"-at", "-id"``), the last
    one unique. ``after`` gives the rows following its cursor, ``before`` those preceding it.
    """
    descending = ordering[0].startswith("-")
    names = [name.lstrip("-") for name in ordering]
    fields = [queryset.model._meta.get_field(name) for name in names]
    forward = [f"-{n}" if descending else n for n in names]
    backward = [n if descending else f"-{n}" for n in names]
    after = _decode_cursor(params.get(AFTER, ""), fields)
    before = None if after else _decode_cursor(params.get(BEFORE, ""), fields)
    if before is not None:
        rows = list(
            queryset.filter(_beyond(names, before, "gt" if descending else "lt")).order_by(*backward)[
                : per_page + 1
            ]
        )
        more_before = len(rows) > per_page
        rows = rows[:per_page][::-1]
        return KeysetPage(
            rows,
            previous_cursor=_cursor_of(rows[0], names) if more_before and rows else None,
            next_cursor=_cursor_of(rows[-1], names) if rows else None,
        )
    if after is not None:
        queryset = queryset.filter(_beyond(names, after, "gt" if not descending else "lt"))
    rows = list(queryset.order_by(*forward)[: per_page + 1])
    more_after = len(rows) > per_page
    rows = rows[:per_page]
    return KeysetPage(
        rows,
        previous_cursor=_cursor_of(rows[0], names) if after is not None and rows else None,
        next_cursor=_cursor_of(rows[-1], names) if more_after else None,
    )


def _cursor_of(row: Model, names: Sequence[str]) -> str:
    return encode_cursor([getattr(row, name) for name in names])
