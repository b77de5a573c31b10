"""Throughput and latency of /prediction/ (a known song) against /health, through gunicorn.

    .venv/bin/python bench/api.py [--seconds 3] [--rounds 10] [--concurrency 4] [--workers 2]

Prepares a throwaway SQLite file database (migrations, the shared cache table, and the
offline demo: `manage.py demo` — a synthetic catalog and listening history, and the
site-default model trained on it, with the quick grid to save time), starts
gunicorn on 127.0.0.1 with the project's gunicorn.conf.py (2 sync workers by default:
this is a 2-core machine), then drives each endpoint with a closed-loop load generator
(N threads, each sending its next request when the previous answer arrived, through
http.client) for a fixed time. Endpoints alternate in short slices over many rounds,
so load from anything else on the machine falls on both alike; the ratio is also given
as the median of the per-round ratios, which such noise moves least. Requests are
anonymous, like a monitoring probe and the public prediction page: both go through the
same throttle (its counters in the shared database cache; the rate is raised so nothing
is refused) and the same middleware.

Prints requests/s, p50 and p99 latency and errors per endpoint, and the ratio of
prediction to health throughput (target: at least 0.70).
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parent.parent
PYTHON = ROOT / ".venv" / "bin" / "python"
GUNICORN = ROOT / ".venv" / "bin" / "gunicorn"
TARGET_RATIO = 0.70


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _environment(work: Path, port: int, workers: int) -> dict[str, str]:
    env = {key: value for key, value in os.environ.items() if not key.startswith("SPOTIFY_")}
    env.update(
        {
            "DJANGO_SETTINGS_MODULE": "musicflow_site.settings.local",
            "DJANGO_DEBUG": "0",
            "DJANGO_LOG_LEVEL": "WARNING",
            "DATABASE_URL": f"sqlite:///{work / 'bench.sqlite3'}",
            "MUSICFLOW_MEDIA_ROOT": str(work / "media"),
            "REDIS_URL": "",
            # Counted like any anonymous caller, never refused. DRF keeps one timestamp
            # per request inside the window, so a per-second window keeps that list as
            # short as a real per-minute limit would, instead of a minute of a load test.
            "MUSICFLOW_THROTTLE_ANON": "1000000/s",
            "MUSICFLOW_TRAINING_GRID": "quick",
            "GUNICORN_BIND": f"127.0.0.1:{port}",
            "GUNICORN_WORKERS": str(workers),
            "GUNICORN_ACCESS_LOG": str(work / "access.log"),
            # Steady state: no worker recycling (and model reload) in the middle of a run.
            "GUNICORN_MAX_REQUESTS": "0",
            "PYTHONPATH": str(ROOT),
        }
    )
    return env


# --- preparing the database (runs in a child process with the bench environment) ----------

PREPARE = r"""
import json, django
django.setup()
from django.core.management import call_command, get_commands
from django.contrib.auth import get_user_model
from predictor.models import ModelVersion
from streams.models import Track

call_command("migrate", verbosity=0)
call_command("createcachetable", verbosity=0)
if "demo" in get_commands():
    call_command("demo", verbosity=0)  # also trains the site default model
else:
    from predictor.services import model_version_train
    from predictor.tests.factories import catalog_create, history_create
    from streams.resolution.index import name_index_add
    listener = get_user_model().objects.create_user(username="bench-listener")
    library = catalog_create(rows=1000, seed=5)
    name_index_add(tracks=library.tracks)
    history_create(user=listener, library=library)
    model_version_train(owner=None, dataset_user=listener)
model = ModelVersion.objects.get(owner__isnull=True, is_active=True)
track = Track.objects.filter(name_keys__isnull=False, danceability__isnull=False).order_by("id")[17]
print(json.dumps({
    "song": track.name,
    "artist": track.primary_artist,
    "tracks": Track.objects.count(),
    "model": f"v{model.version} {model.estimator}",
}))
"""


def prepare(env: dict[str, str]) -> dict[str, object]:
    done = subprocess.run(
        [str(PYTHON), "-c", PREPARE],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        sys.exit(f"preparing the database failed:\n{done.stderr[-4000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


# --- the server -------------------------------------------------------------------------------


def start_server(env: dict[str, str], port: int) -> subprocess.Popen[bytes]:
    server = subprocess.Popen(
        [str(GUNICORN), "-c", str(ROOT / "gunicorn.conf.py")],
        env=env,
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if server.poll() is not None:
            sys.exit(f"gunicorn exited:\n{server.stderr.read().decode()[-4000:]}")
        try:
            status, _ = _get(port, "/health")
            if status == 200:
                return server
        except OSError:
            pass
        time.sleep(0.2)
    server.terminate()
    sys.exit("gunicorn did not answer /health with 200 within 60 s")


def stop_server(server: subprocess.Popen[bytes]) -> None:
    server.terminate()
    try:
        server.wait(timeout=20)
    except subprocess.TimeoutExpired:
        server.kill()


def _get(port: int, path: str) -> tuple[int, bytes]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        conn.request("GET", path)
        response = conn.getresponse()
        return response.status, response.read()
    finally:
        conn.close()


# --- the load generator ---------------------------------------------------------------------


@dataclass
class Run:
    latencies: list[float] = field(default_factory=list)
    errors: int = 0
    seconds: float = 0.0

    def merge(self, other: Run) -> None:
        self.latencies += other.latencies
        self.errors += other.errors
        self.seconds += other.seconds

    @property
    def rate(self) -> float:
        return len(self.latencies) / self.seconds if self.seconds else 0.0

    def percentile(self, q: float) -> float:
        ordered = sorted(self.latencies)
        if not ordered:
            return float("nan")
        return ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1000


def _client(port: int, path: str, stop_at: float, run: Run, lock: threading.Lock) -> None:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    latencies: list[float] = []
    errors = 0
    while time.monotonic() < stop_at:
        started = time.perf_counter()
        try:
            conn.request("GET", path)
            response = conn.getresponse()
            response.read()
            ok = response.status == 200
        except (OSError, http.client.HTTPException):
            conn.close()
            ok = False
        if ok:
            latencies.append(time.perf_counter() - started)
        else:
            errors += 1
    conn.close()
    with lock:
        run.latencies += latencies
        run.errors += errors


def drive(port: int, path: str, *, seconds: float, concurrency: int) -> Run:
    run, lock = Run(), threading.Lock()
    started = time.monotonic()
    stop_at = started + seconds
    threads = [
        threading.Thread(target=_client, args=(port, path, stop_at, run, lock))
        for _ in range(concurrency)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    run.seconds = time.monotonic() - started
    return run


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=3.0, help="per endpoint and round")
    parser.add_argument("--concurrency", type=int, default=4, help="client threads")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers")
    parser.add_argument("--rounds", type=int, default=10)
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="musicflow-bench-api-") as tmp:
        work = Path(tmp)
        port = _free_port()
        env = _environment(work, port, args.workers)
        print("preparing a SQLite database (manage.py demo: catalog, history, models) ...")
        prepared = prepare(env)
        print(
            f"  {prepared['tracks']} tracks, model {prepared['model']}; known song: "
            f"{prepared['song']!r} by {prepared['artist']!r}"
        )
        paths = {
            "/health": "/health",
            "/prediction/": "/prediction/?"
            + urlencode({"song": prepared["song"], "artist": prepared["artist"]}),
        }
        server = start_server(env, port)
        try:
            status, body = _get(port, paths["/prediction/"])
            if status != 200:
                sys.exit(f"/prediction/ answered {status}: {body[:500]!r}")
            print(f"  prediction: {json.loads(body)['prediction']} streams")
            for path in paths.values():  # every worker loads the model, fills its caches
                drive(port, path, seconds=1.0, concurrency=args.concurrency)
            results = {name: Run() for name in paths}
            ratios = []
            for _ in range(args.rounds):
                rates = {}
                for name, path in paths.items():
                    run = drive(port, path, seconds=args.seconds, concurrency=args.concurrency)
                    rates[name] = run.rate
                    results[name].merge(run)
                ratios.append(rates["/prediction/"] / rates["/health"])
        finally:
            stop_server(server)
    report(results, ratios, args)


def report(results: dict[str, Run], ratios: list[float], args: argparse.Namespace) -> None:
    print(
        f"\ngunicorn, {args.workers} sync workers, SQLite; {args.concurrency} client threads, "
        f"{args.rounds} x {args.seconds:g} s per endpoint\n"
    )
    print("| endpoint | requests | req/s | p50 ms | p99 ms | errors |")
    print("|---|---:|---:|---:|---:|---:|")
    for name, run in results.items():
        print(
            f"| `{name}` | {len(run.latencies)} | {run.rate:.0f} | {run.percentile(0.50):.1f} "
            f"| {run.percentile(0.99):.1f} | {run.errors} |"
        )
    ratio = results["/prediction/"].rate / results["/health"].rate
    median = statistics.median(ratios)
    verdict = "meets" if min(ratio, median) >= TARGET_RATIO else "MISSES"
    print(
        f"\nprediction / health throughput: {ratio:.2f} overall, {median:.2f} median of "
        f"{len(ratios)} rounds (range {min(ratios):.2f}-{max(ratios):.2f}); "
        f"{verdict} the {TARGET_RATIO:.2f} target"
    )
    print(f"load average at the end: {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")


if __name__ == "__main__":
    main()
