"""pytest fixtures that run real MusicFlow processes against the test run's database.

``live_stack`` gives a test (with committed rows: it uses ``transactional_db``) an
environment in which ``manage.py qcluster`` or gunicorn subprocesses share the test's
database (the SQLite file or the PostgreSQL test database pytest-django created), its
broker (the ORM queue in that database, or Redis) and its media folder. Every process
a test starts is killed when it ends, before the database is flushed.

Registered from the root conftest.py (``pytest_plugins``).
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from django.utils import timezone

from tests_support.processes import (
    Process,
    ProcessSet,
    database_url,
    wait_for,
)

LIVE_SETTINGS = "tests_support.live_settings"
QUEUES = ("musicflow", "training")
SCHEDULER_TICK_SECONDS = 1.0


# The task cycle of live processes (tests_support.live_settings reads these): a killed
# task comes back within seconds instead of minutes.
# The short timeout leaves a 120,000-row test import room on a loaded machine.
SHORT_TIMEOUT_SECONDS = 10
TRAINING_TIMEOUT_SECONDS = 20


@dataclass
class LiveStack:
    """The shared environment and the processes started in it."""

    env: dict[str, str]
    processes: ProcessSet
    vendor: str  # "sqlite" or "postgresql"
    broker: str  # "orm" or "redis"
    short_timeout: float = SHORT_TIMEOUT_SECONDS
    # A "training" row older than this belongs to a dead worker.
    training_stale_seconds: float = TRAINING_TIMEOUT_SECONDS + 4

    def qcluster(self, *, cluster: str | None = None, **extra_env: str) -> Process:
        return self.processes.qcluster(env={**self.env, **extra_env}, cluster=cluster)

    def gunicorn(self, *, bind: str, workers: int, **extra_env: str) -> Process:
        return self.processes.gunicorn(env={**self.env, **extra_env}, bind=bind, workers=workers)

    def wait_for(
        self,
        condition: Callable[[], Any],
        *,
        timeout: float,
        what: str,
        tick_scheduler: bool = False,
    ) -> Any:
        """Poll ``condition`` (bounded); with ``tick_scheduler``, turn due schedules into
        tasks about once a second meanwhile, instead of waiting for a guard's 30-second tick."""
        if not tick_scheduler:
            return wait_for(condition, timeout=timeout, what=what, processes=self.processes)
        last_tick = [0.0]

        def ticking() -> Any:
            if time.monotonic() - last_tick[0] >= SCHEDULER_TICK_SECONDS:
                scheduler_tick()
                last_tick[0] = time.monotonic()
            return condition()

        return wait_for(ticking, timeout=timeout, what=what, processes=self.processes)

    def sleep_until_stale(self, since: datetime, *, seconds: float) -> None:
        """Let ``seconds`` pass since ``since`` (a job's start): a recovery schedule run
        earlier would find nothing yet, and would then not run again for minutes."""
        age = (timezone.now() - since).total_seconds()
        time.sleep(max(0.0, seconds - age) + 0.5)


def live_env(*, extra: Mapping[str, str] | None = None) -> dict[str, str]:
    """Environment for a subprocess that shares this test process's database and broker."""
    from django.conf import settings
    from django.db import connection

    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": LIVE_SETTINGS,
        "DATABASE_URL": database_url(connection.settings_dict),
        "REDIS_URL": settings.REDIS_URL,
        "REDIS_CACHE_URL": settings.REDIS_CACHE_URL,
        "MUSICFLOW_MEDIA_ROOT": str(settings.MEDIA_ROOT),
        # No network unless a test points the sources at its fakes.
        "SPOTIFY_API_URL": settings.SPOTIFY_API_URL,
        "SPOTIFY_ACCOUNTS_URL": settings.SPOTIFY_ACCOUNTS_URL,
        "RECCOBEATS_API_URL": settings.RECCOBEATS_API_URL,
        "SPOTIFY_CLIENT_ID": "",
        "SPOTIFY_CLIENT_SECRET": "",
        "MUSICFLOW_FEATURE_SOURCES": "catalog",
        "PYTHONUNBUFFERED": "1",
        "LIVE_Q_TIMEOUT": str(SHORT_TIMEOUT_SECONDS),
        "LIVE_Q_TRAINING_TIMEOUT": str(TRAINING_TIMEOUT_SECONDS),
    }
    env.pop("Q_CLUSTER_NAME", None)
    env.update(extra or {})
    return env


def scheduler_tick() -> None:
    """One turn of django-q2's scheduler: every due Schedule becomes a task on the broker.

    A cluster's guard does this every 30 seconds; fault tests do it themselves so a
    recovery that waits for a schedule takes a second, not half a minute.
    """
    from django_q.scheduler import scheduler

    scheduler()


def task_queues_purge() -> None:
    """Empty both clusters' Redis queues (the ORM queue lives in the flushed database)."""
    from django.conf import settings

    if not settings.REDIS_URL:
        return
    from django_q.brokers import get_broker

    for name in QUEUES:
        get_broker(list_key=name).purge_queue()


@pytest.fixture(autouse=True)
def _no_cluster_heartbeats() -> None:
    """Each test starts with no task-cluster heartbeats.

    The Redis broker keeps them in Redis, beside the queue, for a few seconds after a
    cluster (or a test that fakes one) wrote them; the shared-cache reset does not
    reach them, and /health would count a cluster that is not there.
    """
    from django.conf import settings

    if not settings.REDIS_URL:
        return  # the ORM broker keeps them in the cache, which tests start empty
    from django_q.brokers import get_broker
    from django_q.conf import Conf

    connection = get_broker().connection
    stale = connection.keys(f"{Conf.Q_STAT}:*")
    if stale:
        connection.delete(*stale)


@pytest.fixture
def live_stack(transactional_db: None, tmp_path: Path) -> Iterator[LiveStack]:
    from django.conf import settings
    from django.db import connection

    task_queues_purge()
    processes = ProcessSet(log_dir=tmp_path / "logs")
    stack = LiveStack(
        env=live_env(),
        processes=processes,
        vendor=connection.vendor,
        broker="redis" if settings.REDIS_URL else "orm",
    )
    try:
        yield stack
    finally:
        processes.kill_all()
        task_queues_purge()
        # The test may have left the connection broken (a terminated backend, a lock).
        connection.close()
