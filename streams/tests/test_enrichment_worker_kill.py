"""Kill a real ``manage.py qcluster`` in the middle of an enrichment, start it again, and
the job finishes once: no duplicate rows, exact counts, no request repeated except the
one that was in flight.

The cluster and this test share a throwaway SQLite file (the test database is in memory
and invisible to subprocesses); the cluster talks to the fake services over 127.0.0.1.
"""

from __future__ import annotations

import math
import os
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tests_support.fakes import FakeMusicServices, generate_catalog

pytestmark = pytest.mark.slow

PROJECT_ROOT = Path(__file__).resolve().parents[2]
TRACKS = 120
SEED = 5
SLOW_SECONDS = 0.4


@pytest.fixture
def live_db(tmp_path: Path, fake_services_running: FakeMusicServices) -> Iterator[dict]:
    """A migrated SQLite file and the environment that points a subprocess at it."""
    fake_services_running.reset()
    database = tmp_path / "live.sqlite3"
    env = {
        **os.environ,
        **fake_services_running.environ(),
        "DJANGO_SETTINGS_MODULE": "tests_support.qcluster_settings",
        "DATABASE_URL": f"sqlite:///{database}",
        "REDIS_URL": "",
        "REDIS_CACHE_URL": "",
    }
    _manage(env, "migrate", "--noinput")
    yield {"env": env, "path": database, "log": tmp_path / "qcluster.log"}
    fake_services_running.reset()


def _manage(env: dict, *args: str) -> str:
    result = subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=PROJECT_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    return result.stdout


def _start_cluster(env: dict, log: Path) -> subprocess.Popen:
    with log.open("a") as output:
        return subprocess.Popen(
            [sys.executable, "manage.py", "qcluster"],
            cwd=PROJECT_ROOT,
            env=env,
            stdout=output,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group: workers die with it
        )


def _kill(cluster: subprocess.Popen) -> None:
    """SIGKILL the cluster's whole process group (guard, pusher, monitor, workers)."""
    try:
        os.killpg(cluster.pid, signal.SIGKILL)
    except ProcessLookupError:
        return
    cluster.wait(timeout=15)


def _wait_for(condition: Callable[[], bool], *, timeout: float, what: str, log: Path) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.05)
    tail = log.read_text()[-3000:] if log.exists() else ""
    pytest.fail(f"timed out after {timeout}s waiting for {what}\n--- qcluster log ---\n{tail}")


def _query(path: Path, sql: str) -> tuple:
    with sqlite3.connect(path, timeout=10) as connection:
        return connection.execute(sql).fetchone()


def test_killing_the_worker_mid_enrichment_then_restarting_completes_the_job_exactly_once(
    live_db, fake_services_running
):
    fake = fake_services_running
    fake.load(generate_catalog(count=TRACKS, seed=SEED))
    for endpoint in ("reccobeats.audio_features", "spotify.tracks", "spotify.audio_features"):
        fake.slow(endpoint, seconds=SLOW_SECONDS, times=None)
    env, db, log = live_db["env"], live_db["path"], live_db["log"]
    _manage(
        env,
        "shell",
        "-c",
        "from tests_support.scenarios import enrichment_scenario;"
        f"enrichment_scenario(username='killed', tracks={TRACKS}, seed={SEED})",
    )

    cluster = _start_cluster(env, log)
    try:
        _wait_for(
            lambda: fake.count("reccobeats.audio_features") >= 2,
            timeout=30,
            what="the second ReccoBeats batch to be in flight",
            log=log,
        )
        _kill(cluster)
    finally:
        _kill(cluster)

    job_sql = "SELECT status, tracks_done, tracks_remaining FROM streams_enrichmentjob"
    answered_sql = "SELECT COUNT(*) FROM streams_track WHERE raw_sources LIKE '%\"reccobeats\"%'"
    assert _query(db, job_sql)[0] == "running", "the killed run left its job behind"
    assert _query(db, answered_sql) == (40,), "only the first batch was stored"

    cluster = _start_cluster(env, log)
    try:
        _wait_for(
            lambda: _query(db, job_sql)[0] == "done",
            timeout=45,
            what="the restarted cluster to finish the job",
            log=log,
        )
    finally:
        _kill(cluster)  # the job is done; a graceful stop would only add seconds

    assert _query(db, "SELECT COUNT(*), COUNT(DISTINCT spotify_id) FROM streams_track") == (
        TRACKS,
        TRACKS,
    )
    assert _query(db, "SELECT COUNT(*) FROM streams_enrichmentjob") == (1,)
    assert _query(
        db,
        "SELECT plays_resolved, plays_unresolved, tracks_done, tracks_remaining "
        "FROM streams_enrichmentjob",
    ) == (TRACKS, 0, TRACKS, 0)
    assert _query(
        db, "SELECT COUNT(*) FROM streams_play WHERE resolution_status = 'resolved'"
    ) == (TRACKS,)
    incomplete = (
        "SELECT COUNT(*) FROM streams_track WHERE danceability IS NULL"
        " OR time_signature IS NULL OR duration_ms IS NULL OR popularity IS NULL"
    )
    assert _query(db, incomplete) == (0,)
    # Only the batch that was in flight when the worker died was asked twice.
    assert fake.count("reccobeats.audio_features") == math.ceil(TRACKS / 40) + 1
    assert fake.count("spotify.tracks") == math.ceil(TRACKS / 50)
    assert fake.count("spotify.audio_features") == math.ceil(TRACKS / 100)
