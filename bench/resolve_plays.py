"""Offline resolution speed: N pending plays resolved by URI and by the name index.

    .venv/bin/python bench/resolve_plays.py [--plays 300000] [--tracks 20000]

Builds a catalog of --tracks tracks (indexed by name) in a throwaway SQLite database,
then N plays of one user: 40% with the URI of a stored track, 10% with the URI of a
track not stored yet (a stub is created), 40% with only names that the index knows
(spelled differently: case, "(feat. X)", remaster suffixes), 10% unknown. Prints the
time `plays_resolve` takes and plays/s. BENCH_DATABASE_URL measures another
(empty) database instead.
"""

from __future__ import annotations

import argparse
import logging
import os
import random
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

_ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"


def _spotify_id(rng: random.Random) -> str:
    return "".join(rng.choice(_ALPHABET) for _ in range(22))


def _catalog(rng: random.Random, count: int) -> list[tuple[str, str, str]]:
    return [(_spotify_id(rng), f"Song {i}", f"Artist {i % 1499}") for i in range(count)]


def _play_fields(rng: random.Random, catalog: list[tuple[str, str, str]]) -> tuple[str, str, str]:
    roll = rng.random()
    sid, name, artist = rng.choice(catalog)
    if roll < 0.4:
        return name, artist, f"spotify:track:{sid}"
    if roll < 0.5:
        return f"New {name}", artist, f"spotify:track:{_spotify_id(rng)}"
    if roll < 0.9:
        variant = rng.choice([name.upper(), f"{name} (feat. Guest)", f"{name} - 2011 Remaster"])
        return variant, artist.lower(), ""
    return f"Unknown {rng.randrange(50_000)}", artist, ""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--plays", type=int, default=300_000)
    parser.add_argument("--tracks", type=int, default=20_000)
    parser.add_argument("--verbose", action="store_true", help="log the time of each phase")
    args = parser.parse_args()

    workdir = Path(tempfile.mkdtemp(prefix="musicflow-bench-"))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "musicflow_site.settings.test")
    os.environ["DATABASE_URL"] = os.environ.get(
        "BENCH_DATABASE_URL", f"sqlite:///{workdir / 'bench.sqlite3'}"
    )
    import django

    django.setup()
    from django.contrib.auth import get_user_model
    from django.core.management import call_command
    from django.db import connection

    from streams.models import Play, PlayFormat, Track
    from streams.resolution.service import name_index_add, plays_resolve

    call_command("migrate", verbosity=0)
    if args.verbose:
        logging.basicConfig()
        logging.getLogger("streams.resolution").setLevel(logging.DEBUG)
    rng = random.Random(11)
    catalog = _catalog(rng, args.tracks)
    Track.objects.bulk_create(
        [Track(spotify_id=s, name=n, primary_artist=a) for s, n, a in catalog], batch_size=2000
    )
    name_index_add(tracks=Track.objects.only("id", "name", "primary_artist", "artists"))
    owner = get_user_model().objects.create_user(username=f"bench-{time.time_ns()}")
    start = datetime(2015, 1, 1, tzinfo=UTC)
    plays = []
    for i in range(args.plays):
        name, artist, uri = _play_fields(rng, catalog)
        plays.append(
            Play(
                user=owner,
                played_at=start + timedelta(minutes=i),
                ms_played=180_000,
                track_name=name,
                artist_name=artist,
                spotify_track_uri=uri,
                source_format=PlayFormat.EXTENDED,
                dedupe_key=str(i),
            )
        )
    Play.objects.bulk_create(plays, batch_size=5000)
    print(f"database: {connection.vendor}; {args.tracks:,} tracks, {args.plays:,} pending plays")

    started, cpu_started = time.perf_counter(), time.process_time()
    report = plays_resolve(user_id=owner.id)
    elapsed, cpu = time.perf_counter() - started, time.process_time() - cpu_started
    print(
        f"resolved {report.resolved:,}, unresolved {report.unresolved:,}, by step {report.by_step}"
    )
    print(
        f"plays_resolve: {elapsed:.2f} s wall ({cpu:.2f} s CPU in this process), "
        f"{args.plays / elapsed:,.0f} plays/s"
    )


if __name__ == "__main__":
    main()
