"""Load: /prediction/ (a known song) and /health through gunicorn at rising concurrency.

    .venv/bin/python bench/load.py [--seconds 10] [--levels 1,4,16,32] [--workers 4]
        [--database-url postgres://postgres@127.0.0.1:5432/musicflow_load]
        [--redis-url redis://127.0.0.1:6379/2]

Prepares a database (migrations, the cache table, `manage.py demo`: the synthetic catalog,
history and models, trained with the quick grid), starts gunicorn with the project's
gunicorn.conf.py and the production settings on 127.0.0.1 (4 workers; worker recycling
off, so memory growth shows instead of being reset), then, for each concurrency level,
drives each endpoint for a fixed time with a closed-loop generator: N threads, each with
its own http.client connection, sending the next request when the previous answer has
arrived. Requests are anonymous (like the public prediction page and a monitoring
probe), so every one also passes the shared-cache throttle (rate raised so none is
refused). Prints, per endpoint and level, requests/s, p50 and p99 latency and errors
(any answer but 200, or no answer), then each worker's resident memory after warm-up
and at the end.

Without --database-url the database is a SQLite file in a temporary folder. A PostgreSQL
URL names a database this bench may fill (created if missing; `demo` is idempotent, so
a second run reuses it). --redis-url moves the cache (throttle counters) to Redis, as in
a scaled-out deployment; it is never flushed.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import secrets
import shutil
import statistics
import sys
import tempfile
import threading
import time
from base64 import urlsafe_b64encode
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlencode, urlsplit

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests_support.processes import (  # noqa: E402 (after the path is set)
    ProcessSet,
    child_pids,
    free_port,
    http_get,
    http_wait_ready,
    manage_run,
    process_rss_bytes,
)

HOST = "127.0.0.1"
WARM_UP_SECONDS = 3.0
SOAK_CHUNK_SECONDS = 10.0
KNOWN_SONG = r"""
import json
from streams.models import Track
track = (
    Track.objects.filter(is_synthetic=True, name_keys__isnull=False, danceability__isnull=False)
    .order_by("id")
    .first()
)
print(json.dumps({"song": track.name, "artist": track.primary_artist}))
"""


@dataclass
class LevelResult:
    endpoint: str
    concurrency: int
    seconds: float
    latencies: list[float] = field(default_factory=list)
    errors: int = 0
    error_samples: list[str] = field(default_factory=list)
    rss_mib: float = 0.0  # mean resident memory of the workers right after this run

    @property
    def requests_per_second(self) -> float:
        return len(self.latencies) / self.seconds

    def percentile_ms(self, q: int) -> float:
        if len(self.latencies) < 2:
            return self.latencies[0] * 1000 if self.latencies else float("nan")
        return statistics.quantiles(self.latencies, n=100, method="inclusive")[q - 1] * 1000


# --- the environment and the database ------------------------------------------------


def bench_environment(
    *, work: Path, port: int, workers: int, database_url: str, redis_url: str
) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SPOTIFY_", "GUNICORN_"))}
    env.update(
        {
            "DJANGO_SETTINGS_MODULE": "musicflow_site.settings.production",
            "DJANGO_SECRET_KEY": secrets.token_urlsafe(50),
            "DJANGO_ALLOWED_HOSTS": HOST,
            "MUSICFLOW_TOKEN_ENCRYPTION_KEY": urlsafe_b64encode(os.urandom(32)).decode(),
            # Plain HTTP on the loopback: no TLS terminator in front of it here.
            "DJANGO_SECURE_SSL_REDIRECT": "false",
            "DJANGO_LOG_LEVEL": "WARNING",
            "DATABASE_URL": database_url,
            "REDIS_URL": redis_url,
            "REDIS_CACHE_URL": redis_url,
            "MUSICFLOW_MEDIA_ROOT": str(work / "media"),
            "MUSICFLOW_THROTTLE_ANON": "1000000/s",
            "MUSICFLOW_TRAINING_GRID": "quick",
            "GUNICORN_BIND": f"{HOST}:{port}",
            "GUNICORN_WORKERS": str(workers),
            "GUNICORN_ACCESS_LOG": "",
            "GUNICORN_MAX_REQUESTS": "0",
        }
    )
    return env


def postgres_database_ensure(database_url: str) -> None:
    """Create the bench's PostgreSQL database if it does not exist yet."""
    import psycopg
    from psycopg import sql

    parts = urlsplit(database_url)
    name = parts.path.lstrip("/")
    with psycopg.connect(
        host=parts.hostname or HOST,
        port=parts.port or 5432,
        user=parts.username,
        password=parts.password,
        dbname="postgres",
        autocommit=True,
    ) as admin:
        exists = admin.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone()
        if not exists:
            admin.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))


def database_prepare(env: dict[str, str]) -> dict[str, str]:
    """Migrate, load the demo (with its models); the known song to ask about."""
    manage_run(env=env, args=["migrate", "--noinput", "--verbosity", "0"])
    manage_run(env=env, args=["createcachetable"])
    manage_run(env=env, args=["demo"], timeout=900)
    output = manage_run(env=env, args=["shell", "-c", KNOWN_SONG])
    return json.loads(output.strip().splitlines()[-1])


# --- the load generator --------------------------------------------------------------


def _client_loop(*, port: int, path: str, stop_at: float, result: LevelResult) -> None:
    latencies: list[float] = []
    connection = http.client.HTTPConnection(HOST, port, timeout=30)
    while time.monotonic() < stop_at:
        started = time.perf_counter()
        try:
            connection.request("GET", path, headers={"Accept": "application/json"})
            response = connection.getresponse()
            response.read()
            status = response.status
        except (OSError, http.client.HTTPException) as exc:
            connection.close()
            connection = http.client.HTTPConnection(HOST, port, timeout=30)
            status, detail = 0, f"{type(exc).__name__}: {exc}"
        else:
            detail = f"HTTP {status}"
        if status == 200:
            latencies.append(time.perf_counter() - started)
        else:
            result.errors += 1  # += on an int under the GIL: no lost updates here
            if len(result.error_samples) < 5:
                result.error_samples.append(detail)
    connection.close()
    result.latencies.extend(latencies)


def drive(*, port: int, endpoint: str, path: str, concurrency: int, seconds: float) -> LevelResult:
    result = LevelResult(endpoint=endpoint, concurrency=concurrency, seconds=seconds)
    stop_at = time.monotonic() + seconds
    threads = [
        threading.Thread(
            target=_client_loop,
            kwargs={"port": port, "path": path, "stop_at": stop_at, "result": result},
        )
        for _ in range(concurrency)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return result


def workers_rss(arbiter_pid: int) -> dict[int, int]:
    return {pid: process_rss_bytes(pid) for pid in child_pids(arbiter_pid)}


def mean_rss_mib(arbiter_pid: int) -> float:
    rss = workers_rss(arbiter_pid)
    return sum(rss.values()) / max(1, len(rss)) / 1024**2


@dataclass
class Soak:
    rss_mib: list[float] = field(default_factory=list)
    requests: int = 0
    errors: int = 0


def soak_memory(
    *, port: int, paths: tuple[tuple[str, str], ...], concurrency: int, seconds: float, pid: int
) -> Soak:
    """The highest level kept up for a while: memory that still grows after warm-up is
    a leak; memory that levels off is caches and allocator pools filling up."""
    soak = Soak(rss_mib=[mean_rss_mib(pid)])
    chunks = max(1, round(seconds / SOAK_CHUNK_SECONDS))
    for chunk in range(chunks):
        endpoint, path = paths[chunk % len(paths)]
        result = drive(
            port=port,
            endpoint=endpoint,
            path=path,
            concurrency=concurrency,
            seconds=SOAK_CHUNK_SECONDS,
        )
        soak.requests += len(result.latencies)
        soak.errors += result.errors
        soak.rss_mib.append(mean_rss_mib(pid))
    return soak


# --- reporting -----------------------------------------------------------------------


def table(results: list[LevelResult]) -> str:
    lines = [
        "| endpoint | concurrency | req/s | p50 ms | p99 ms | errors | worker RSS MiB |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    for r in results:
        lines.append(
            f"| {r.endpoint} | {r.concurrency} | {r.requests_per_second:.0f} | "
            f"{r.percentile_ms(50):.1f} | {r.percentile_ms(99):.1f} | {r.errors} | "
            f"{r.rss_mib:.1f} |"
        )
    return "\n".join(lines)


def memory_lines(start: dict[int, int], end: dict[int, int]) -> list[str]:
    mib = 1024 * 1024
    lines = []
    for pid in sorted(set(start) | set(end)):
        before, after = start.get(pid), end.get(pid)
        if before is None or after is None:
            lines.append(f"worker {pid}: {'started' if before is None else 'gone'} during the run")
            continue
        lines.append(
            f"worker {pid}: {before / mib:.1f} MiB -> {after / mib:.1f} MiB "
            f"({(after - before) / mib:+.1f} MiB)"
        )
    return lines


# --- main ----------------------------------------------------------------------------


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=10.0, help="per endpoint and level")
    parser.add_argument("--levels", default="1,4,16,32", help="concurrency levels")
    parser.add_argument("--workers", type=int, default=4, help="gunicorn workers")
    parser.add_argument(
        "--soak", type=float, default=60.0, help="seconds more at the highest level (memory)"
    )
    parser.add_argument("--database-url", default="", help="default: a temporary SQLite file")
    parser.add_argument("--redis-url", default="", help="cache (throttles) in Redis")
    args = parser.parse_args()
    levels = [int(level) for level in args.levels.split(",")]

    if args.database_url.startswith(("postgres://", "postgresql://")):
        postgres_database_ensure(args.database_url)
        # The demo's model artifacts live next to the database they belong to: a second
        # run reuses both.
        name = urlsplit(args.database_url).path.lstrip("/")
        work = Path(tempfile.gettempdir()) / f"musicflow-load-{name}"
        work.mkdir(exist_ok=True)
    else:
        work = Path(tempfile.mkdtemp(prefix="musicflow-load-"))
    database_url = args.database_url or f"sqlite:///{work / 'load.sqlite3'}"
    port = free_port()
    env = bench_environment(
        work=work,
        port=port,
        workers=args.workers,
        database_url=database_url,
        redis_url=args.redis_url,
    )
    print(f"database: {database_url.split('@')[-1]}  cache: {args.redis_url or 'database'}")
    print("preparing (migrate, demo data and models)...", flush=True)
    song = database_prepare(env)
    path = "/prediction/?" + urlencode(song)
    processes = ProcessSet(log_dir=work)
    gunicorn = processes.gunicorn(env=env, bind=f"{HOST}:{port}", workers=args.workers)
    try:
        http_wait_ready(host=HOST, port=port, path="/health", timeout=60, processes=processes)
        status, body = http_get(HOST, port, path, timeout=30)
        if status != 200:
            print(f"/prediction/ answers {status}: {body[:500]!r}", file=sys.stderr)
            return 1
        print(f"known song: {song['song']} by {song['artist']}  ({args.workers} workers)")
        targets = (("/prediction/", path), ("/health", "/health"))
        for endpoint, target in targets:
            drive(
                port=port, endpoint=endpoint, path=target, concurrency=8, seconds=WARM_UP_SECONDS
            )
        rss_start = workers_rss(gunicorn.pid)
        results = []
        for level in levels:
            for endpoint, target in targets:
                result = drive(
                    port=port,
                    endpoint=endpoint,
                    path=target,
                    concurrency=level,
                    seconds=args.seconds,
                )
                result.rss_mib = mean_rss_mib(gunicorn.pid)
                results.append(result)
                print(
                    f"  {endpoint:13} c={level:<3} {result.requests_per_second:7.0f} req/s  "
                    f"p50 {result.percentile_ms(50):6.1f} ms  p99 {result.percentile_ms(99):6.1f}"
                    f" ms  errors {result.errors} {result.error_samples or ''} "
                    f" RSS {result.rss_mib:.1f} MiB",
                    flush=True,
                )
        soak = soak_memory(
            port=port, paths=targets, concurrency=max(levels), seconds=args.soak, pid=gunicorn.pid
        )
        rss_end = workers_rss(gunicorn.pid)
    finally:
        processes.kill_all()
    print()
    print(table(results))
    print()
    print("worker memory (RSS) after warm-up -> at the end:")
    print("\n".join(memory_lines(rss_start, rss_end)))
    print(
        f"soak at concurrency {max(levels)}, mean worker RSS every {SOAK_CHUNK_SECONDS:.0f} s: "
        + " -> ".join(f"{mib:.1f}" for mib in soak.rss_mib)
        + f" MiB ({soak.requests} requests, {soak.errors} errors)"
    )
    errors = sum(r.errors for r in results) + soak.errors
    if errors:
        print(f"\n{errors} errors; gunicorn log: {gunicorn.log}", file=sys.stderr)
        return 1
    if not args.database_url:
        shutil.rmtree(work, ignore_errors=True)  # the throwaway SQLite database and logs
    return 0


if __name__ == "__main__":
    sys.exit(main())
