"""ORM rows -> the model package's records (TrackSample, PlayedName), and back to frames."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

import pandas as pd
from django.conf import settings
from django.contrib.auth.base_user import AbstractBaseUser
from django.db.models import Count, Q

from predictor.ml.records import (
    ArtistGenres,
    PlayedName,
    SavedName,
    TrackSample,
    genres_frame,
    played_frame,
    saved_frame,
)
from streams.models import AUDIO_FEATURE_FIELDS, Play, SavedTrack, Track

TRACK_SAMPLE_FIELDS: tuple[str, ...] = (
    "id",
    "spotify_id",
    "name",
    "artists",
    "primary_artist",
    "album_name",
    "release_date",
    "release_date_precision",
    "duration_ms",
    "explicit",
    "popularity",
    "available_markets_count",
    *AUDIO_FEATURE_FIELDS,
)
_COPIED = TRACK_SAMPLE_FIELDS[10:]  # popularity ... time_signature: same names on both sides


def _artist_names(artists: object, primary: str) -> tuple[str, ...]:
    names = [
        a.get("name", "") if isinstance(a, Mapping) else str(a)
        for a in (artists if isinstance(artists, list) else [])
    ]
    names = [n for n in names if n]
    return tuple(names or ([primary] if primary else []))


def track_sample_from_values(*, values: Mapping[str, Any]) -> TrackSample:
    """A TrackSample from a `Track.objects.values(*TRACK_SAMPLE_FIELDS)` row."""
    return TrackSample(
        spotify_id=values["spotify_id"] or None,
        name=values["name"] or None,
        artists=_artist_names(values["artists"], values["primary_artist"]),
        album=values["album_name"] or None,
        release_date=values["release_date"] or None,
        release_date_precision=values["release_date_precision"] or None,
        duration_ms=values["duration_ms"],
        explicit=values["explicit"],
        **{name: values[name] for name in _COPIED},
    )


def track_sample(*, track: Track) -> TrackSample:
    """A TrackSample for one Track instance."""
    return track_sample_from_values(values={f: getattr(track, f) for f in TRACK_SAMPLE_FIELDS})


def track_values(*, track_ids: Iterable[int]) -> list[dict[str, Any]]:
    """Track rows in id order, read in chunks that every database accepts."""
    ids = sorted(set(track_ids))
    rows: list[dict[str, Any]] = []
    for start in range(0, len(ids), 900):
        chunk = ids[start : start + 900]
        rows.extend(Track.objects.filter(id__in=chunk).values(*TRACK_SAMPLE_FIELDS))
    return sorted(rows, key=lambda row: row["id"])


def played_names_for_user(*, user: AbstractBaseUser | None) -> pd.DataFrame:
    """The user's per-name streams table: every play, resolved or not (see ml.context)."""
    if user is None or not user.is_authenticated:
        return played_frame(rows=[])
    stream = Q(ms_played__gte=settings.MUSICFLOW_STREAM_MIN_MS)
    # The resolved track's release date only splits a group when one spelling resolved
    # to several tracks; every signal sums over such rows alike.
    grouped = (
        Play.objects.filter(user_id=user.pk)
        .values(
            "track_name",
            "artist_name",
            "album_name",
            "track__name",
            "track__release_date",
            "track__release_date_precision",
        )
        .annotate(plays=Count("id"), streams=Count("id", filter=stream))
        .order_by()
    )
    return played_frame(
        rows=(
            PlayedName(
                track_name=row["track_name"],
                artist_name=row["artist_name"],
                album_name=row["album_name"],
                plays=row["plays"],
                streams=row["streams"],
                resolved_name=row["track__name"],
                release_date=row["track__release_date"] or None,
                release_date_precision=row["track__release_date_precision"] or None,
            )
            for row in grouped
        )
    )


def saved_names_for_user(*, user: AbstractBaseUser | None) -> pd.DataFrame | None:
    """The user's saved library by name and artists; None when none was imported.

    An export without YourLibrary.json (the extended history) says nothing about what
    the user saved, so the library signals are left missing rather than zero.
    """
    if user is None or not user.is_authenticated:
        return None
    rows = list(
        SavedTrack.objects.filter(user_id=user.pk)
        .order_by("track_id")
        .values_list("track__name", "track__artists", "track__primary_artist")
    )
    if not rows:
        return None
    return saved_frame(
        rows=(
            SavedName(track_name=name, artists=_artist_names(artists, primary))
            for name, artists, primary in rows
        )
    )


def artist_genres_from_tracks() -> pd.DataFrame:
    """Every artist's genres (as primary artist of tracks that carry genres) and how
    many such tracks are theirs: the table the genre candidate signals read.

    Track.genres holds the artist genres the catalog import read (artist_genres); a
    track's genres are its primary artist's.
    """
    genres: dict[str, set[str]] = {}
    tracks: dict[str, int] = {}
    rows = Track.objects.order_by("id").values_list("primary_artist", "genres")
    for artist, names in rows.iterator(chunk_size=2000):
        if not artist or not isinstance(names, list) or not names:
            continue
        genres.setdefault(artist, set()).update(n for n in names if isinstance(n, str))
        tracks[artist] = tracks.get(artist, 0) + 1
    return genres_frame(
        rows=(
            ArtistGenres(artist=artist, genres=tuple(sorted(found)), tracks=tracks[artist])
            for artist, found in sorted(genres.items())
        )
    )
