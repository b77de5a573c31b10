"""Requests made per 1,000 tracks by the feature-source chain, for each Spotify mode.

    .venv/bin/python bench/enrich.py [--tracks 1000]

For each mode (an app with extended quota; a Development-mode app, which gets 403 on
audio features and on batch tracks; no Spotify credentials at all) N tracks known only
by their Spotify id, as history import leaves them, are enriched by the real chain and
clients against the fake Spotify and ReccoBeats servers on 127.0.0.1, and the requests
each endpoint received are counted. A second run over the same tracks shows what
complete tracks cost (nothing). Last, Spotify-search resolution of plays without URIs:
one search per distinct song, however many plays it has.

Pacing is switched off and the fakes answer at once, so the seconds printed are our
own overhead (database writes, parsing), not network time.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def _stub_tracks(fakes: list) -> None:
    from streams.models import Track

    Track.objects.bulk_create(
        Track(
            spotify_id=fake.id,
            name=fake.name,
            artists=[{"name": fake.artists[0].name, "id": None}],
            primary_artist=fake.artists[0].name,
            field_sources={"name": "history", "artists": "history"},
            raw_sources={"history": {"fetched_at": "2024-01-01T00:00:00+00:00", "data": {}}},
        )
        for fake in fakes
    )


def _reset(fake, fakes: list) -> None:
    from streams.models import Play, SourceCapability, SourceRateLimit, Track, TrackNameKey

    for model in (Play, TrackNameKey, Track, SourceCapability, SourceRateLimit):
        model.objects.all().delete()
    fake.reset()
    fake.load(fakes)


def _coverage() -> str:
    from streams.models import Track

    total = Track.objects.count()

    def share(field: str) -> str:
        filled = Track.objects.filter(**{f"{field}__isnull": False}).count()
        return f"{field} {100 * filled / total:.0f}%"

    return ", ".join(
        share(f) for f in ("danceability", "time_signature", "duration_ms", "popularity")
    )


def _enrich_mode(fake, fakes: list, *, tracks: int, prepare: Callable[[], None]) -> list[str]:
    from streams.models import Track
    from streams.sources.chain import sources_from_settings, tracks_enrich

    _reset(fake, fakes)
    prepare()
    _stub_tracks(fakes)
    started = time.perf_counter()
    tracks_enrich(tracks=Track.objects.all(), sources=sources_from_settings())
    seconds = time.perf_counter() - started
    first = fake.counts()
    fake.clear_requests()
    tracks_enrich(tracks=Track.objects.all(), sources=sources_from_settings())
    again = fake.count()
    per_1000 = sum(first.values()) * 1000 / tracks
    breakdown = ", ".join(f"{name} {count}" for name, count in sorted(first.items()))
    return [
        f"  requests: {sum(first.values())} ({per_1000:.0f} per 1,000 tracks): {breakdown}",
        f"  second run over the same tracks: {again} requests",
        f"  coverage: {_coverage()}",
        f"  time: {seconds:.2f} s",
    ]


def _search_resolution(fake, fakes: list, *, songs: int) -> list[str]:
    from django.contrib.auth import get_user_model

    from streams.clients.spotify import SpotifyClient
    from streams.models import Play, PlayFormat
    from streams.resolution.offline import offline_steps
    from streams.resolution.service import plays_resolve
    from streams.resolution.spotify_search import SpotifySearchStep

    _reset(fake, fakes)
    user, _ = get_user_model().objects.get_or_create(username="bench")
    start = datetime(2024, 1, 1, tzinfo=UTC)
    Play.objects.bulk_create(
        Play(
            user=user,
            played_at=start + timedelta(minutes=n),
            ms_played=60_000,
            track_name=fakes[n % songs].name,
            artist_name=fakes[n % songs].artists[0].name,
            source_format=PlayFormat.ACCOUNT_DATA,
            dedupe_key=f"bench-{n}",
        )
        for n in range(4 * songs)
    )
    step = SpotifySearchStep(client=SpotifyClient.from_settings())
    started = time.perf_counter()
    report = plays_resolve(user_id=user.pk, steps=[*offline_steps(), step])
    seconds = time.perf_counter() - started
    return [
        f"  {4 * songs} plays of {songs} distinct songs, no URIs: "
        f"{fake.count('spotify.search')} searches, {report.resolved} plays resolved, "
        f"{seconds:.2f} s"
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tracks", type=int, default=1000)
    options = parser.parse_args()

    workdir = Path(tempfile.mkdtemp(prefix="musicflow-bench-enrich-"))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "musicflow_site.settings.test")
    os.environ["DATABASE_URL"] = f"sqlite:///{workdir / 'bench.sqlite3'}"
    os.environ["REDIS_URL"] = ""
    import django

    django.setup()
    from django.core.management import call_command
    from django.test import override_settings

    from tests_support.fakes import FakeMusicServices, generate_catalog

    call_command("migrate", verbosity=0)
    fakes = generate_catalog(count=options.tracks, seed=2026, reccobeats_share=0.9)
    with (
        FakeMusicServices() as fake,
        override_settings(
            **fake.environ(), MUSICFLOW_SOURCE_MIN_INTERVAL={"spotify": 0.0, "reccobeats": 0.0}
        ),
    ):
        modes: list[tuple[str, Callable[[], None], dict]] = [
            ("extended quota", fake.extended_quota, {}),
            ("development mode", fake.development_mode, {}),
            ("no Spotify credentials", fake.extended_quota, {"SPOTIFY_CLIENT_ID": ""}),
        ]
        print(
            f"Enrichment of {options.tracks} tracks (ReccoBeats knows 90% of them), "
            "chain catalog,reccobeats,spotify"
        )
        for name, prepare, overrides in modes:
            with override_settings(**overrides):
                print(f"{name}:")
                for line in _enrich_mode(fake, fakes, tracks=options.tracks, prepare=prepare):
                    print(line)
        print("Spotify-search resolution:")
        for line in _search_resolution(fake, fakes, songs=min(250, options.tracks)):
            print(line)


if __name__ == "__main__":
    main()
