"""Storing issued decoys and their exposures: PostgreSQL's COPY, ``bulk_create`` elsewhere.

Both writers take the decoys as a stream and hold one batch at a time, so memory stays flat
whatever the campaign's size, and both write the same rows (a test holds them to that).

On PostgreSQL each batch takes its ids from the decoy table's own sequence, is formatted in
COPY's text format and written with ``COPY ... FROM STDIN`` by a writer thread on the issuing
transaction's connection, decoys first, then exposures. The foreign keys are checked at the end
of each COPY rather than all at commit, so PostgreSQL inserts, maintains indexes and checks
references on one core while Python makes the next batch on the other.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from datetime import datetime
from typing import NamedTuple

from django.db import DEFAULT_DB_ALIAS, connection, connections
from django.utils import timezone

from .decoy_rows import DECOY_FIELDS, MadeDecoy
from .models import Decoy, Exposure
from .routing import Hop

COPY_BATCH = 10_000
PORTABLE_BATCH = 2000
EXPOSURE_FIELDS = ("decoy_id", "node_id", "channel", "visible_from", "visible_until")

Progress = Callable[[int], None]


class Stored(NamedTuple):
    decoys: int
    exposures: int


Writer = Callable[[Iterable[MadeDecoy], int, Progress | None], Stored]


def writer_for_database() -> Writer:
    """The fastest writer the default database supports."""
    return copy_decoys if connection.vendor == "postgresql" else bulk_create_decoys


def bulk_create_decoys(
    made: Iterable[MadeDecoy],
    count: int,
    progress: Progress | None = None,
    *,
    batch_size: int = PORTABLE_BATCH,
) -> Stored:
    """Any database: ``bulk_create`` per batch (decoys first, for their ids, then exposures).

    ``count`` is how many decoys ``made`` yields (the COPY writer needs it in advance)."""
    decoys = exposures = 0
    for batch in _batches(made, batch_size):
        created = Decoy.objects.bulk_create(
            Decoy(**dict(zip(DECOY_FIELDS, m.values, strict=True))) for m in batch
        )
        ledger = [
            Exposure(decoy_id=decoy.pk, node_id=hop.node_id, channel=hop.channel,
                     visible_from=hop.visible_from, visible_until=hop.visible_until)
            for decoy, m in zip(created, batch, strict=True)
            for hop in m.hops
        ]  # fmt: skip
        Exposure.objects.bulk_create(ledger, batch_size=5000)
        decoys += len(batch)
        exposures += len(ledger)
        if progress is not None:
            progress(decoys)
    return Stored(decoys, exposures)


def copy_decoys(
    made: Iterable[MadeDecoy], count: int, progress: Progress | None = None, *, batch_size: int = COPY_BATCH
) -> Stored:
    """PostgreSQL: ``COPY`` of each batch's decoys and exposures from a writer thread.

    ``count`` is how many decoys ``made`` yields: each batch takes exactly its ids."""
    decoy_sql = "COPY {} ({}) FROM STDIN".format(
        connection.ops.quote_name(Decoy._meta.db_table),
        ", ".join(("id", *DECOY_FIELDS, "created_at", "label_printed")),
    )
    exposure_sql = "COPY {} ({}) FROM STDIN".format(
        connection.ops.quote_name(Exposure._meta.db_table), ", ".join(EXPOSURE_FIELDS)
    )
    connection.ensure_connection()
    with connection.cursor() as cursor:
        # Checked at the end of each COPY, in the writer thread, instead of all at commit: the
        # checks then run while the next batch is made (the decoys are written first).
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
    stream = iter(made)
    decoys = exposures = 0
    ids = _IdBlocks(Decoy._meta.db_table)
    try:
        with ThreadPoolExecutor(max_workers=1, thread_name_prefix="copy-decoys") as pool:
            pending = None
            while decoys < count:
                batch = list(itertools.islice(stream, min(batch_size, count - decoys)))
                if len(batch) != min(batch_size, count - decoys):
                    raise ValueError(f"{count} decoys announced, {decoys + len(batch)} made")
                texts = _copy_texts(ids.take(len(batch)), batch)
                if pending is not None:
                    _wait(pending)  # the previous batch is in: report it (or raise its error)
                    if progress is not None:
                        progress(decoys)
                pending = pool.submit(_copy_batch, connection.connection, decoy_sql, exposure_sql, texts)
                decoys += len(batch)
                exposures += sum(len(m.hops) for m in batch)
            if pending is not None:
                _wait(pending)
                if progress is not None:
                    progress(decoys)
    finally:
        ids.close()
    with connection.cursor() as cursor:
        cursor.execute("SET CONSTRAINTS ALL DEFERRED")  # Django's default for the rest of the work
    return Stored(decoys, exposures)


def _wait(pending: Future) -> None:
    with connection.wrap_database_errors:  # psycopg's errors as Django's (IntegrityError, …)
        pending.result()


class _IdBlocks:
    """Decoy ids from the table's own sequence, asked on a connection of their own so that the
    transaction's connection stays free for COPY (sequences are not transactional anyway)."""

    def __init__(self, table: str) -> None:
        self.side = connections.create_connection(DEFAULT_DB_ALIAS)
        with self.side.cursor() as cursor:
            cursor.execute("SELECT pg_get_serial_sequence(%s, 'id')", [table])
            (self.sequence,) = cursor.fetchone()

    def take(self, count: int) -> list[int]:
        with self.side.cursor() as cursor:
            cursor.execute("SELECT nextval(%s) FROM generate_series(1, %s)", [self.sequence, count])
            return sorted(row[0] for row in cursor.fetchall())

    def close(self) -> None:
        self.side.close()


def _copy_texts(ids: list[int], batch: list[MadeDecoy]) -> tuple[str, str]:
    """One batch in COPY's text format: (decoy rows, exposure rows)."""
    created = timezone.now().isoformat()
    decoy_lines = [
        f"{decoy_id}\t{_copy_line(m.values)}\t{created}\t\n" for decoy_id, m in zip(ids, batch, strict=True)
    ]
    exposure_lines = [
        _exposure_line(decoy_id, hop) for decoy_id, m in zip(ids, batch, strict=True) for hop in m.hops
    ]
    return "".join(decoy_lines), "".join(exposure_lines)


def _copy_batch(raw_connection, decoy_sql: str, exposure_sql: str, texts: tuple[str, str]) -> None:
    """In the writer thread, on the issuing transaction's own connection: decoys, then exposures."""
    with raw_connection.cursor() as cursor:
        for sql, text in zip((decoy_sql, exposure_sql), texts, strict=True):
            with cursor.copy(sql) as copy:
                copy.write(text)


def _batches(made: Iterable[MadeDecoy], size: int) -> Iterator[list[MadeDecoy]]:
    stream = iter(made)
    while batch := list(itertools.islice(stream, size)):
        yield batch


# COPY's text format: tab-separated, \N for NULL, and these four characters escaped.
_COPY_ESCAPES = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"})


def _copy_line(values: tuple) -> str:
    # One expression per value rather than a function call: issuing formats 25 million of them.
    return "\t".join(
        [
            r"\N"
            if v is None
            else v.translate(_COPY_ESCAPES)
            if type(v) is str
            else ("t" if v else "f")
            if type(v) is bool
            else v.isoformat()
            if isinstance(v, datetime)
            else str(v)
            for v in values
        ]
    )


def _exposure_line(decoy_id: int, hop: Hop) -> str:
    # Node ids and channels are integers and fixed words: nothing here needs COPY escaping.
    until = r"\N" if hop.visible_until is None else hop.visible_until.isoformat()
    return f"{decoy_id}\t{hop.node_id}\t{hop.channel}\t{hop.visible_from.isoformat()}\t{until}\n"
