"""Millions of rows from PostgreSQL into NumPy without a Python object (or a message) per row.

PostgreSQL packs the rows itself: each row's values in their binary form (``int8send`` and the
like, big-endian, fixed width) concatenated into one ``bytea`` by ``string_agg``, which arrives as
a single value and is read in place as a NumPy record array. Neither the ORM (a tuple and a
``datetime`` per row) nor ``COPY`` (one protocol message per row) comes close for nine million
exposures. PostgreSQL only; callers read through the ORM on other databases.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import psycopg
from django.db import connection

# SQL type → (its binary send function, the NumPy type of what it sends)
_SEND = {
    "int8": ("int8send", ">i8"),
    "int4": ("int4send", ">i4"),
    "int2": ("int2send", ">i2"),
    "float8": ("float8send", ">f8"),
    "bool": ("boolsend", "u1"),
}


def fast_reads() -> bool:
    return connection.vendor == "postgresql"


def packed_rows(
    source: str, params: Sequence, columns: Sequence[tuple[str, str, str]], order_by: str = ""
) -> np.ndarray:
    """``SELECT columns FROM source`` as a record array.

    ``source`` is what follows ``FROM`` (tables, joins and ``WHERE``, with ``%s`` parameters);
    ``columns`` are (field name, SQL expression, SQL type of ``_SEND``), none of them null.
    """
    row = " || ".join(f"{_SEND[kind][0]}(({expression})::{kind})" for _name, expression, kind in columns)
    order = f" ORDER BY {order_by}" if order_by else ""
    query = f"SELECT string_agg({row}, ''::bytea{order}) FROM {source}"
    connection.ensure_connection()
    # psycopg's own server-side-binding cursor (Django's binds on the client, which cannot ask
    # for a binary result): the bytea arrives as it is, not as hex text twice its size.
    with psycopg.Cursor(connection.connection) as cursor:
        cursor.execute(query, list(params), binary=True)
        (packed,) = cursor.fetchone()
    dtype = np.dtype([(name, _SEND[kind][1]) for name, _expression, kind in columns])
    return np.frombuffer(packed or b"", dtype=dtype)
