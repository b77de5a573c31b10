"""Import speed: N generated rows of the current extended schema -> rows/s.

    .venv/bin/python bench/import_history.py [--rows 1000000] [--rows-per-file 15000]

Builds an export zip like Spotify's (files of ~15k rows in "Spotify Extended Streaming
History/"), imports it into a throwaway SQLite database with the same service the
command uses (parse, insert, offline resolution, all in one transaction), and prints
the rate. Set BENCH_DATABASE_URL to measure another database instead (it must be
empty: the bench migrates it and adds a user).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import resource
import sys
import tempfile
import time
import zipfile
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

_ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"


def _spotify_id(rng: random.Random) -> str:
    return "".join(rng.choice(_ALPHABET) for _ in range(22))


def _row(rng: random.Random, ts: datetime, tracks: list[tuple[str, str, str, str]]) -> dict:
    roll = rng.random()
    music = roll >= 0.03
    name, artist, album, uri = rng.choice(tracks) if music else (None, None, None, None)
    return {
        "ts": ts.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "platform": rng.choice(["android", "ios", "windows", "web_player"]),
        "ms_played": 0 if 0.03 <= roll < 0.05 else rng.randint(1_000, 300_000),
        "conn_country": "DE",
        "ip_addr": "192.0.2.1",
        "master_metadata_track_name": name,
        "master_metadata_album_artist_name": artist,
        "master_metadata_album_album_name": album,
        "spotify_track_uri": uri,
        "episode_name": None if music else "An episode",
        "episode_show_name": None if music else "A show",
        "spotify_episode_uri": None if music else f"spotify:episode:{_spotify_id(rng)}",
        "audiobook_title": None,
        "audiobook_uri": None,
        "audiobook_chapter_uri": None,
        "audiobook_chapter_title": None,
        "reason_start": rng.choice(["clickrow", "trackdone", "fwdbtn", "appload"]),
        "reason_end": rng.choice(["trackdone", "fwdbtn", "endplay", "logout"]),
        "shuffle": rng.random() < 0.5,
        "skipped": rng.random() < 0.2,
        "offline": False,
        "offline_timestamp": int(ts.timestamp()),
        "incognito_mode": False,
    }


def export_zip_write(path: Path, *, rows: int, rows_per_file: int, seed: int = 7) -> None:
    rng = random.Random(seed)
    tracks = [
        (
            f"Song {i}",
            f"Artist {i % 997}",
            f"Album {i % 3001}",
            f"spotify:track:{_spotify_id(rng)}",
        )
        for i in range(max(1, rows // 20))
    ]
    ts = datetime(2015, 1, 1, tzinfo=UTC)
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=1) as archive:
        for number, start in enumerate(range(0, rows, rows_per_file)):
            batch = []
            for _ in range(min(rows_per_file, rows - start)):
                ts += timedelta(seconds=rng.randint(30, 400))
                batch.append(_row(rng, ts, tracks))
            name = f"Spotify Extended Streaming History/Streaming_History_Audio_{number}.json"
            archive.writestr(name, json.dumps(batch, indent=2))
        archive.writestr("Spotify Extended Streaming History/ReadMeFirst.pdf", b"%PDF-1.4\n")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--rows-per-file", type=int, default=15_000)
    parser.add_argument(
        "--reimport", action="store_true", help="also time importing the same zip again"
    )
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="musicflow-bench-") as workdir:
        _run(Path(workdir), args)


def _run(workdir: Path, args: argparse.Namespace) -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "musicflow_site.settings.test")
    os.environ["DATABASE_URL"] = os.environ.get(
        "BENCH_DATABASE_URL", f"sqlite:///{workdir / 'bench.sqlite3'}"
    )
    import django

    django.setup()
    from django.conf import settings
    from django.contrib.auth import get_user_model
    from django.core.management import call_command
    from django.db import connection

    call_command("migrate", verbosity=0)
    owner = get_user_model().objects.create_user(username=f"bench-{time.time_ns()}")

    export = workdir / "my_spotify_data.zip"
    started = time.perf_counter()
    export_zip_write(export, rows=args.rows, rows_per_file=args.rows_per_file)
    size_mb = export.stat().st_size / 1e6
    print(
        f"generated {args.rows:,} rows, {size_mb:.0f} MB zip, {time.perf_counter() - started:.1f} s"
    )
    version = (
        connection.Database.sqlite_version
        if connection.vendor == "sqlite"
        else connection.cursor().connection.info.server_version
    )
    print(
        f"database: {connection.vendor} {version}, "
        f"batch size {settings.MUSICFLOW_IMPORT_BATCH_SIZE}, {os.cpu_count()} CPUs"
    )
    _timed_import(owner, export, "import")
    if args.reimport:
        _timed_import(owner, export, "re-import")


def _timed_import(owner: object, export: Path, label: str) -> None:
    from streams.services.history_import import history_import_from_paths

    load_before = os.getloadavg()
    cpu_before = os.times()
    started = time.perf_counter()
    history_import = history_import_from_paths(owner=owner, paths=[export])
    elapsed = time.perf_counter() - started
    cpu_after = os.times()
    load_after = os.getloadavg()
    if history_import.status != "done":
        raise SystemExit(f"{label} failed: {history_import.error}")
    cpu = (cpu_after.user - cpu_before.user) + (cpu_after.system - cpu_before.system)
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(
        f"{label}: {history_import.rows_read:,} rows -> {history_import.plays_created:,} plays, "
        f"{history_import.duplicates:,} duplicates, skipped {history_import.skipped}, "
        f"resolved {history_import.resolved:,}"
    )
    print(
        f"{label}: {elapsed:.1f} s wall ({cpu:.1f} s CPU), "
        f"{history_import.rows_read / elapsed:,.0f} rows/s, peak RSS {peak_mb:.0f} MB"
    )
    # Other work on the machine takes CPU from the import: wall times mean little without it.
    print(
        f"{label}: load average (1, 5, 15 min) {_load(load_before)} before, "
        f"{_load(load_after)} after"
    )


def _load(averages: tuple[float, float, float]) -> str:
    return " / ".join(f"{value:.2f}" for value in averages)


if __name__ == "__main__":
    main()
