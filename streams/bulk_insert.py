"""INSERT ... ON CONFLICT DO NOTHING of many rows of plain values, fast on each database.

An import writes up to millions of plays and tens of thousands of tracks and name-index
keys. `bulk_create` builds and prepares a model instance per row, which costs more than
the insert itself, so the import hands over tuples already in database form
(`connection.ops.adapt_*`) and:

* SQLite runs one prepared INSERT over them (`executemany`), in the order the caller
  gives; tried and measured against a scratch table with one INSERT ... SELECT, and
  against hundreds of rows per statement, it was the cheapest at a million rows;
* PostgreSQL gets them by COPY into a temporary table and one INSERT ... SELECT: an
  INSERT per row is parsed and planned per row, and COPY alone cannot skip conflicts.
"""

from __future__ import annotations

import zlib
from collections.abc import Sequence
from typing import Any

from django.db import connection, transaction

_SCRATCH_PREFIX = "musicflow_scratch_"


def rows_insert_ignoring_conflicts(
    *, table: str, columns: Sequence[str], rows: Sequence[Sequence[Any]]
) -> int:
    """Insert `rows` (values in `columns` order) into `table`; returns how many went in.

    A row that a unique constraint refuses (stored before, or earlier in `rows`) is
    skipped, and not counted.
    """
    if not rows:
        return 0
    quote = connection.ops.quote_name
    column_list = ", ".join(quote(c) for c in columns)
    target = quote(table)
    if connection.vendor == "postgresql":
        # One scratch table per target and column list, so two callers never share one.
        scratch = quote(f"{_SCRATCH_PREFIX}{table}_{zlib.crc32(column_list.encode()):08x}")
        return _insert_by_copy(table=target, scratch=scratch, column_list=column_list, rows=rows)
    placeholders = ", ".join(["%s"] * len(columns))
    with connection.cursor() as cursor:
        cursor.executemany(
            f"INSERT INTO {target} ({column_list}) VALUES ({placeholders}) ON CONFLICT DO NOTHING",
            rows,
        )
        # sqlite3 sums the rows each execution changed.
        return max(cursor.rowcount, 0)


def _insert_by_copy(
    *, table: str, scratch: str, column_list: str, rows: Sequence[Sequence[Any]]
) -> int:
    # The scratch table lives until the transaction ends (ON COMMIT DROP), hence the
    # transaction even for a caller in autocommit; within one it is created once, and
    # a rollback (of the transaction or a savepoint) takes the copied rows away too.
    with transaction.atomic(savepoint=False), connection.cursor() as cursor:
        cursor.execute(
            f"CREATE TEMPORARY TABLE IF NOT EXISTS {scratch} ON COMMIT DROP AS "
            f"SELECT {column_list} FROM {table} WITH NO DATA"
        )
        # The raw psycopg cursor: its errors become Django's, so that callers (the
        # import's retry when the database goes away) can tell them apart.
        with (
            connection.wrap_database_errors,
            cursor.cursor.copy(f"COPY {scratch} ({column_list}) FROM STDIN") as copy,
        ):
            for row in rows:
                copy.write_row(row)
        cursor.execute(
            f"INSERT INTO {table} ({column_list}) SELECT {column_list} FROM {scratch} "
            "ON CONFLICT DO NOTHING"
        )
        inserted = cursor.rowcount
        cursor.execute(f"TRUNCATE {scratch}")
    return inserted
