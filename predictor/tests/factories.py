"""Database rows for predictor tests: a synthetic catalog and a history with a known signal."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import numpy as np
from django.contrib.auth.base_user import AbstractBaseUser

from predictor.ml.synthetic import SyntheticDataset, synthetic_dataset
from streams.models import Play, PlayFormat, ResolutionStatus, Track

STREAM_MS = 200_000
SKIP_MS = 5_000
_START = datetime(2024, 1, 1, tzinfo=UTC)


@dataclass(frozen=True)
class Library:
    tracks: list[Track]
    data: SyntheticDataset


def catalog_create(*, rows: int = 500, seed: int = 11) -> Library:
    """Catalog tracks (features_source "catalog") mirroring a synthetic dataset."""
    data = synthetic_dataset(rows=rows, seed=seed, missing=0.0)
    frame = data.frame
    tracks = [
        Track(
            spotify_id=f"{seed:02d}{i:020d}"[:22],
            name=row.name,
            artists=[{"name": a, "id": None} for a in row.artists],
            primary_artist=row.artists[0],
            album_name=row.album,
            release_date=row.release_date,
            release_date_precision="day",
            duration_ms=int(row.duration_ms),
            explicit=bool(row.explicit),
            popularity=int(row.popularity),
            danceability=float(row.danceability),
            energy=float(row.energy),
            key=int(row.key),
            loudness=float(row.loudness),
            mode=int(row.mode),
            speechiness=float(row.speechiness),
            acousticness=float(row.acousticness),
            instrumentalness=float(row.instrumentalness),
            liveness=float(row.liveness),
            valence=float(row.valence),
            tempo=float(row.tempo),
            time_signature=int(row.time_signature),
            metadata_source="catalog",
            features_source="catalog",
        )
        for i, row in enumerate(frame.itertuples(index=False))
    ]
    return Library(tracks=Track.objects.bulk_create(tracks), data=data)


def _play(user: AbstractBaseUser, track: Track, n: int, ms: int) -> Play:
    key = hashlib.sha1(f"{user.pk}-{track.pk}-{n}-{ms}".encode()).hexdigest()
    return Play(
        user=user,
        played_at=_START + timedelta(minutes=7 * n + track.pk),
        ms_played=ms,
        track_name=track.name,
        artist_name=track.primary_artist,
        album_name=track.album_name,
        spotify_track_uri=f"spotify:track:{track.spotify_id}",
        source_format=PlayFormat.EXTENDED,
        dedupe_key=key,
        track=track,
        resolution_status=ResolutionStatus.RESOLVED,
    )


def history_create(*, user: AbstractBaseUser, library: Library, skips: int = 1) -> int:
    """Resolved plays following the synthetic streams: returns how many were created."""
    plays: list[Play] = []
    streams = library.data.target.astype(int)
    for track, count in zip(library.tracks, streams, strict=True):
        plays += [_play(user, track, n, STREAM_MS) for n in range(count)]
        if count:
            plays += [_play(user, track, 1000 + n, SKIP_MS) for n in range(skips)]
    Play.objects.bulk_create(plays)
    return len(plays)


def streams_of(library: Library) -> np.ndarray:
    return library.data.target
