"""INSERT ... ON CONFLICT DO NOTHING of many rows of plain values, fast on each database.

An import writes up to millions of plays and tens of thousands of tracks and name-index
keys. `bulk_create` builds and prepares a model instance per row, which costs more than
the insert itself, so the import hands over tuples already in database form
(`connection.ops.adapt_*`) and:

* both databases get them into a temporary table with no index or constraint first,
  then into the real table with one INSERT ... SELECT ... ON CONFLICT DO NOTHING: on
  PostgreSQL by COPY (an INSERT per row is parsed and planned per row, and COPY alone
  cannot skip conflicts); on SQLite by one prepared INSERT run over the rows, which
  with the single INSERT ... SELECT costs about a tenth less than inserting each row
  into the indexed table, and holds the GIL less (parsing runs in another thread);
* a handful of rows go straight in (SQLite), where the scratch table is not worth it.
"""

from __future__ import annotations

import sqlite3
import zlib
from collections.abc import Sequence
from itertools import chain
from typing import Any

from django.db import connection, transaction

_SCRATCH_PREFIX = "musicflow_scratch_"
_SQLITE_SCRATCH_MIN_ROWS = 64
_SQLITE_ROWS_PER_STATEMENT = 500


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
    placeholders = ", ".join(["%s"] * len(columns))
    target = quote(table)
    # One scratch table per target and column list, so two callers never share one.
    scratch = quote(f"{_SCRATCH_PREFIX}{table}_{zlib.crc32(column_list.encode()):08x}")
    if connection.vendor == "postgresql":
        return _insert_by_copy(table=target, scratch=scratch, column_list=column_list, rows=rows)
    if len(rows) < _SQLITE_SCRATCH_MIN_ROWS:
        with connection.cursor() as cursor:
            cursor.executemany(
                f"INSERT INTO {target} ({column_list}) VALUES ({placeholders}) "
                "ON CONFLICT DO NOTHING",
                rows,
            )
            # sqlite3 sums the rows each execution changed.
            return max(cursor.rowcount, 0)
    # One transaction (the caller's, if any): whatever fails, the rollback leaves the
    # scratch table as empty as it was, so no row can leak into a later insert.
    with transaction.atomic(savepoint=False), connection.cursor() as cursor:
        cursor.execute(
            f"CREATE TEMPORARY TABLE IF NOT EXISTS {scratch} AS "
            f"SELECT {column_list} FROM {target} WHERE 0"
        )
        _scratch_fill(scratch=scratch, width=len(columns), rows=rows)
        # "WHERE true": without a WHERE, SQLite would read ON CONFLICT as a join's ON.
        cursor.execute(
            f"INSERT INTO {target} ({column_list}) SELECT {column_list} FROM {scratch} "
            "WHERE true ON CONFLICT DO NOTHING"
        )
        inserted = cursor.rowcount
        cursor.execute(f"DELETE FROM {scratch}")
    return inserted


def _scratch_fill(*, scratch: str, width: int, rows: Sequence[Sequence[Any]]) -> None:
    """Hundreds of rows per INSERT, straight through the sqlite3 connection.

    `executemany` lets go of the GIL and takes it back for every row, and taking it
    back waits while the parsing thread holds it, so the two threads took turns
    instead of working at once. Django's cursor rewrites each placeholder of a
    statement with a regular expression, which on thousands of them took longer than
    the insert; sqlite3's own "?" placeholders need no rewriting.
    """
    raw = connection.connection
    limit = raw.getlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER)
    per_statement = max(1, min(_SQLITE_ROWS_PER_STATEMENT, limit // width))
    one_row = f"({', '.join(['?'] * width)})"
    with connection.wrap_database_errors:
        for start in range(0, len(rows), per_statement):
            chunk = rows[start : start + per_statement]
            raw.execute(
                f"INSERT INTO {scratch} VALUES {', '.join([one_row] * len(chunk))}",
                list(chain.from_iterable(chunk)),
            )


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
