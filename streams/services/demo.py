"""The offline demo: a user, a synthetic catalog and a synthetic listening history.

Everything is generated from fixed seeds, so every machine gets the same demo, and
everything is labelled: tracks are `is_synthetic` with names like "Demo Song 042" by
"Demo Artist 07", plays are `PlayFormat.SYNTHETIC` and come from a HistoryImport
named "synthetic demo history". Stream counts follow a known rule of the audio
features and of a per-artist taste, so a model trained on the demo has real signal
to find (and the rule is here to compare against):

    expected streams = exp(0.4 + taste[artist] + 4.0 (danceability - 0.6)
                           + 3.0 (energy - 0.55) - 2.5 (acousticness - 0.25)
                           + 2.0 (valence - 0.5) - 6.0 (speechiness - 0.1)
                           + 0.012 (popularity - 50)),   taste ~ Normal(0, 0.6),
    streams ~ Poisson(expected streams x Gamma(6, 1/6)).

With the true expected streams as the prediction, D^2 (Poisson deviance explained)
is about 0.77 on the generated counts: the ceiling a trained model can approach.

Loading is idempotent: what exists is left alone, so a second run changes nothing.
"""

from __future__ import annotations

import math
import random
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.base_user import AbstractBaseUser
from django.db import transaction
from django.utils import timezone

from streams.history.identity import play_dedupe_key, play_minute
from streams.models import (
    AUDIO_FEATURE_FIELDS,
    HistoryImport,
    ImportStatus,
    Play,
    PlayFormat,
    ReleaseDatePrecision,
    Track,
)
from streams.resolution.index import name_index_add
from streams.resolution.service import plays_resolve

DEMO_USERNAME = "demo"
DEMO_SOURCE = "demo"
DEMO_HISTORY_NAME = "synthetic demo history"
ARTIST_COUNT = 40
TRACKS_PER_ARTIST = 10
CATALOG_SEED = 20240101
HISTORY_SEED = 20240102
HISTORY_START = datetime(2024, 1, 1, tzinfo=UTC)
HISTORY_DAYS = 365
_GENRES = ("demo pop", "demo rock", "demo hip hop", "demo electronic", "demo folk")
_METADATA_FIELDS = (
    "name",
    "artists",
    "album_name",
    "release_date",
    "duration_ms",
    "explicit",
    "popularity",
    "genres",
)


@dataclass(frozen=True)
class DemoReport:
    username: str
    user_created: bool
    # Only when the user was created now; never stored or shown again.
    password: str | None
    tracks_created: int
    catalog_size: int
    plays_created: int
    history_import_id: int | None


def artist_name(number: int) -> str:
    return f"Demo Artist {number:02d}"


def song_name(number: int) -> str:
    return f"Demo Song {number:03d}"


def demo_load() -> DemoReport:
    """Create the demo user, catalog and history where missing; returns what it did."""
    with transaction.atomic():
        user, password = _demo_user()
        tracks_created = demo_catalog_ensure()
        history = _demo_history_ensure(user=user)
    return DemoReport(
        username=user.get_username(),
        user_created=password is not None,
        password=password,
        tracks_created=tracks_created,
        catalog_size=Track.objects.filter(is_synthetic=True).count(),
        plays_created=history.plays_created if history else 0,
        history_import_id=history.pk if history else None,
    )


def _demo_user() -> tuple[AbstractBaseUser, str | None]:
    user_model = get_user_model()
    user = user_model.objects.filter(username=DEMO_USERNAME).first()
    if user is not None:
        return user, None
    password = secrets.token_urlsafe(12)
    return user_model.objects.create_user(username=DEMO_USERNAME, password=password), password


# --- the catalog ---------------------------------------------------------------------


def _clamp(value: float, low: float, high: float) -> float:
    return min(high, max(low, value))


def _features(rng: random.Random) -> dict[str, Any]:
    energy = rng.betavariate(4, 3)
    return {
        "danceability": round(rng.betavariate(5, 3), 3),
        "energy": round(energy, 3),
        "key": rng.randrange(12),
        "loudness": round(_clamp(-4 - 12 * (1 - energy) + rng.gauss(0, 1.5), -30, -1), 2),
        "mode": int(rng.random() < 0.6),
        "speechiness": round(0.02 + rng.random() ** 4 * 0.4, 4),
        "acousticness": round(rng.betavariate(1.5, 4), 4),
        "instrumentalness": round(rng.random() ** 6, 5),
        "liveness": round(0.05 + rng.random() ** 3 * 0.6, 3),
        "valence": round(rng.betavariate(3, 3), 3),
        "tempo": round(_clamp(rng.gauss(118, 25), 60, 200), 2),
        "time_signature": rng.choice((3, 4, 4, 4, 4, 5)),
    }


def _demo_track(rng: random.Random, *, number: int, artist: int, now_iso: str) -> Track:
    genre = _GENRES[artist % len(_GENRES)]
    album = f"Demo Album {artist:02d}-{'AB'[(number - 1) % TRACKS_PER_ARTIST // 5]}"
    values: dict[str, Any] = {
        "name": song_name(number),
        "artists": [{"name": artist_name(artist), "id": None}],
        "album_name": album,
        "release_date": str(1995 + (artist * 7 + number) % 30),
        "duration_ms": rng.randint(140_000, 320_000),
        "explicit": rng.random() < 0.2,
        "popularity": int(_clamp(rng.gauss(50, 20), 0, 100)),
        "genres": [genre],
        **_features(rng),
    }
    return Track(
        primary_artist=artist_name(artist),
        release_date_precision=ReleaseDatePrecision.YEAR,
        is_synthetic=True,
        metadata_source=DEMO_SOURCE,
        features_source=DEMO_SOURCE,
        field_sources=dict.fromkeys((*_METADATA_FIELDS, *AUDIO_FEATURE_FIELDS), DEMO_SOURCE),
        raw_sources={
            DEMO_SOURCE: {
                "fetched_at": now_iso,
                "data": {"generator": "streams.services.demo", "seed": CATALOG_SEED},
            }
        },
        **values,
    )


def demo_catalog_tracks() -> list[Track]:
    """The synthetic catalog, unsaved and always the same (fixed seed)."""
    rng = random.Random(CATALOG_SEED)
    now_iso = timezone.now().isoformat()
    return [
        _demo_track(
            rng,
            number=(artist - 1) * TRACKS_PER_ARTIST + index + 1,
            artist=artist,
            now_iso=now_iso,
        )
        for artist in range(1, ARTIST_COUNT + 1)
        for index in range(TRACKS_PER_ARTIST)
    ]


def demo_catalog_ensure() -> int:
    """Store the synthetic tracks that are missing (matched by name); returns how many."""
    tracks = demo_catalog_tracks()
    stored = set(Track.objects.filter(is_synthetic=True).values_list("name", "primary_artist"))
    missing = [t for t in tracks if (t.name, t.primary_artist) not in stored]
    Track.objects.bulk_create(missing, batch_size=500)
    name_index_add(tracks=missing)
    return len(missing)


# --- the history ---------------------------------------------------------------------


def _tastes() -> dict[str, float]:
    rng = random.Random(HISTORY_SEED)
    return {artist_name(a): rng.gauss(0, 0.6) for a in range(1, ARTIST_COUNT + 1)}


def expected_streams(track: Track, *, taste: float) -> float:
    """The rule the synthetic history follows (see the module notes)."""
    score = (
        0.4
        + taste
        + 4.0 * (track.danceability - 0.6)
        + 3.0 * (track.energy - 0.55)
        - 2.5 * (track.acousticness - 0.25)
        + 2.0 * (track.valence - 0.5)
        - 6.0 * (track.speechiness - 0.1)
        + 0.012 * ((track.popularity or 50) - 50)
    )
    return math.exp(score)


def _poisson(rng: random.Random, mean: float) -> int:
    # Knuth's method is exact and fast for the small means used here.
    limit, count, product = math.exp(-mean), 0, rng.random()
    while product > limit:
        count += 1
        product *= rng.random()
    return count


def _listening_plan(tracks: list[Track]) -> list[tuple[Track, int]]:
    """(track, ms_played) for every synthetic play: streams and a few early skips."""
    rng = random.Random(HISTORY_SEED)
    tastes = _tastes()
    plan: list[tuple[Track, int]] = []
    for track in tracks:
        mean = expected_streams(track, taste=tastes[track.primary_artist])
        streams = _poisson(rng, min(mean * rng.gammavariate(6.0, 1 / 6), 200.0))
        skips = _poisson(rng, 0.4 + 0.1 * streams)
        plan += [(track, rng.randint(30_000, track.duration_ms)) for _ in range(streams)]
        plan += [(track, rng.randint(1_000, 29_000)) for _ in range(skips)]
    return plan


def _plays(user: AbstractBaseUser, history: HistoryImport, tracks: list[Track]) -> list[Play]:
    rng = random.Random(HISTORY_SEED + 1)
    span_minutes = HISTORY_DAYS * 24 * 60
    plays: list[Play] = []
    keys: set[str] = set()
    for track, ms_played in _listening_plan(tracks):
        while True:
            played_at = HISTORY_START + timedelta(
                minutes=rng.randrange(span_minutes), seconds=rng.randrange(60)
            )
            key = play_dedupe_key(
                minute=play_minute(played_at),
                track_name=track.name,
                artist_name=track.primary_artist,
                ms_played=ms_played,
            )
            if key not in keys:
                break
        keys.add(key)
        plays.append(
            Play(
                user=user,
                history_import=history,
                played_at=played_at,
                ms_played=ms_played,
                track_name=track.name,
                artist_name=track.primary_artist,
                album_name=track.album_name,
                platform="MusicFlow demo",
                reason_start="trackdone",
                reason_end="trackdone" if ms_played >= 30_000 else "fwdbtn",
                shuffle=rng.random() < 0.4,
                skipped=ms_played < 30_000,
                offline=False,
                incognito_mode=False,
                source_format=PlayFormat.SYNTHETIC,
                dedupe_key=key,
            )
        )
    return plays


def _demo_history_ensure(*, user: AbstractBaseUser) -> HistoryImport | None:
    if Play.objects.filter(user_id=user.pk, source_format=PlayFormat.SYNTHETIC).exists():
        return None
    names = [song_name(n) for n in range(1, ARTIST_COUNT * TRACKS_PER_ARTIST + 1)]
    tracks = list(Track.objects.filter(is_synthetic=True, name__in=names).order_by("name"))
    now = timezone.now()
    history = HistoryImport.objects.create(
        owner=user, file_names=[DEMO_HISTORY_NAME], status=ImportStatus.QUEUED, started_at=now
    )
    plays = _plays(user, history, tracks)
    Play.objects.bulk_create(plays, batch_size=2000)
    report = plays_resolve(user_id=user.pk, history_import_id=history.pk)
    history.status = ImportStatus.DONE
    history.rows_read = history.plays_created = len(plays)
    history.files = [
        {"name": DEMO_HISTORY_NAME, "format": PlayFormat.SYNTHETIC, "rows": len(plays)}
    ]
    history.resolved, history.unresolved = report.resolved, report.unresolved
    history.finished_at = timezone.now()
    history.save()
    return history
