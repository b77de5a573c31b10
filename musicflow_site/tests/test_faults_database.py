"""The database unavailable for a few seconds during an import: the import is retried and
finishes with exact counts, and no partial set of its plays is ever visible.

PostgreSQL: while the worker is inside the import's transaction, the test database stops
accepting connections and every other backend of it is terminated (the worker's too);
it comes back a few seconds later. SQLite has no server to lose: another process holds
the database's write lock for longer than the workers' busy timeout while the import is
being picked up, so every write of the cluster (taking the task, claiming the import)
fails with "database is locked" until the lock goes.
"""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Iterator
from contextlib import contextmanager
from io import StringIO

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.db import connection

from streams.models import HistoryImport, ImportStatus, Play
from streams.services.history_import import history_import_create
from tests_support.histories import GeneratedHistory, extended_history

pytestmark = [pytest.mark.slow]

# Enough rows that the import is still inside its transaction when the outage starts.
IMPORT_ROWS = 120_000
OUTAGE_SECONDS = 3.0
BUSY_TIMEOUT_SECONDS = 1.0


@contextmanager
def _postgres_outage() -> Iterator[None]:
    """No new connections to the test database, and every existing one but ours cut.

    Run from the maintenance database: PostgreSQL refuses to lock out the database a
    session is connected to.
    """
    import psycopg

    params = connection.settings_dict
    with psycopg.connect(
        dbname="postgres",
        host=params["HOST"] or "127.0.0.1",
        port=params["PORT"] or 5432,
        user=params["USER"],
        password=params["PASSWORD"] or None,
        autocommit=True,
    ) as admin:
        name = connection.ops.quote_name(params["NAME"])
        ours = connection.cursor().connection.info.backend_pid
        admin.execute(f"ALTER DATABASE {name} ALLOW_CONNECTIONS false")
        try:
            admin.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
                " WHERE datname = %s AND pid <> %s",
                [params["NAME"], ours],
            )
            yield
        finally:
            admin.execute(f"ALTER DATABASE {name} ALLOW_CONNECTIONS true")


@contextmanager
def _sqlite_write_lock() -> Iterator[None]:
    """Another process-like connection holding the write lock (WAL: readers go on)."""
    holder = sqlite3.connect(connection.settings_dict["NAME"], timeout=30, isolation_level=None)
    try:
        holder.execute("BEGIN EXCLUSIVE")
        yield
        holder.execute("ROLLBACK")
    finally:
        holder.close()


def _plays(user) -> int:
    return Play.objects.filter(user=user).count()


def _assert_all_or_nothing(user, history: GeneratedHistory) -> None:
    count = _plays(user)
    assert count in (0, history.plays), f"{count} plays visible: a partial import"


def test_the_database_unavailable_during_an_import_never_leaves_partial_rows(live_stack, user):
    history = extended_history(rows=IMPORT_ROWS)
    upload = SimpleUploadedFile(history.name, history.data, "application/json")
    pk = history_import_create(owner=user, uploads=[upload]).pk
    call_command("setup_schedules", stdout=StringIO())
    postgres = live_stack.vendor == "postgresql"

    if postgres:
        live_stack.qcluster()
        live_stack.wait_for(
            lambda: HistoryImport.objects.get(pk=pk).status == ImportStatus.RUNNING,
            timeout=60,
            what="the import to start",
        )
        time.sleep(0.2)  # inside its transaction, which opens right after the claim
        outage = _postgres_outage()
    else:
        outage = _sqlite_write_lock()
    with outage:
        if not postgres:
            cluster = live_stack.qcluster(LIVE_SQLITE_BUSY_SECONDS=str(BUSY_TIMEOUT_SECONDS))
            live_stack.wait_for(
                lambda: "running." in cluster.log_tail(), timeout=60, what="the cluster to run"
            )
        deadline = time.monotonic() + OUTAGE_SECONDS
        while time.monotonic() < deadline:
            assert _plays(user) == 0, "plays became visible while the database was down"
            time.sleep(0.2)

    started = HistoryImport.objects.get(pk=pk)
    assert started.status in (ImportStatus.QUEUED, ImportStatus.RUNNING), (
        f"the import was {started.status} when the database came back: the outage missed it"
    )
    assert _plays(user) == 0
    if started.started_at is not None:
        live_stack.sleep_until_stale(started.started_at, seconds=live_stack.short_timeout)

    def finished() -> bool:
        _assert_all_or_nothing(user, history)
        status = HistoryImport.objects.get(pk=pk).status
        return status in (ImportStatus.DONE, ImportStatus.FAILED)

    live_stack.wait_for(
        finished,
        timeout=90,
        what="the import to finish once the database is back",
        tick_scheduler=True,
    )
    done = HistoryImport.objects.get(pk=pk)
    assert (done.status, done.error) == (ImportStatus.DONE, "")
    assert (done.rows_read, done.plays_created, done.duplicates) == (
        history.rows,
        history.plays,
        0,
    )
    assert done.skipped == {"podcast": history.podcasts}
    assert _plays(user) == history.plays
