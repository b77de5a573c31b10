"""A user's training dataset: streamed tracks, played-but-skipped tracks, and negatives.

Target: streams per track, where a stream is a resolved play of at least
MUSICFLOW_STREAM_MIN_MS (Spotify counts 30 s). Every track the user played and that
has audio features is a row (zero streams if every play was shorter). Negatives are
catalog tracks with features the user never played — not by id and not by name, so a
song resolved to another release of it is not called "never played" — sampled
reproducibly at MUSICFLOW_NEGATIVE_RATIO per played track.

Played tracks without audio features are left out (and counted): a row whose
features are all missing would teach the model "missing means streamed".
"""

from __future__ import annotations

import hashlib
from dataclasses import asdict, dataclass
from datetime import datetime

import numpy as np
import pandas as pd
from django.conf import settings
from django.contrib.auth.base_user import AbstractBaseUser
from django.db.models import Count, F, Max, Min, Q

from predictor.ml.context import context_add, name_key
from predictor.ml.records import samples_frame
from predictor.services.samples import (
    played_names_for_user,
    saved_names_for_user,
    track_sample_from_values,
    track_values,
)
from streams.models import Play, PlayFormat, ResolutionStatus, Track

CATALOG_SOURCE = "catalog"
_HAS_FEATURES = Q(danceability__isnull=False, energy__isnull=False)


@dataclass(frozen=True)
class DatasetReport:
    rows: int
    positives: int
    played: int
    negatives: int
    played_without_features: int
    resolved_plays: int
    digest: str
    first_play_at: datetime | None
    last_play_at: datetime | None

    def as_dict(self) -> dict[str, object]:
        data = asdict(self)
        for key in ("first_play_at", "last_play_at"):
            data[key] = data[key].isoformat() if data[key] else None
        return data


@dataclass(frozen=True)
class Dataset:
    frame: pd.DataFrame
    target: np.ndarray
    track_ids: list[int]
    report: DatasetReport


def _played_tracks(user: AbstractBaseUser) -> dict[int, int]:
    """Resolved track id -> streams, for every track the user played."""
    stream = Q(ms_played__gte=settings.MUSICFLOW_STREAM_MIN_MS)
    rows = (
        Play.objects.filter(user_id=user.pk, resolution_status=ResolutionStatus.RESOLVED)
        .values("track_id")
        .annotate(streams=Count("id", filter=stream))
        .order_by()
    )
    return {row["track_id"]: row["streams"] for row in rows}


def _negative_pool(
    user: AbstractBaseUser, played: pd.DataFrame, last_play: datetime | None
) -> list[int]:
    """Catalog tracks with features the user never played and could have, one per song.

    A song released after the user's last play could not have been streamed, so it is
    no evidence of disinterest; it is left out. The catalog holds some songs twice (two
    datasets, or a single and its album release): each song is drawn at most once.
    """
    synthetic = Play.objects.filter(user_id=user.pk, source_format=PlayFormat.SYNTHETIC).exists()
    pool = Track.objects.filter(_HAS_FEATURES, is_synthetic=synthetic)
    if not synthetic:
        pool = pool.filter(features_source=CATALOG_SOURCE)
    heard = set(
        zip(played["track_name"].map(name_key), played["artist_name"].map(name_key), strict=True)
    )
    heard |= set(
        zip(
            played["resolved_name"].map(name_key), played["artist_name"].map(name_key), strict=True
        )
    )
    # An ISO date prefix ("2024", "2024-11") compares as its earliest possible day.
    cutoff = last_play.date().isoformat() if last_play else None
    seen: set[tuple[str, str]] = set()
    pool_ids: list[int] = []
    # Ordered by a natural key, so the draw does not depend on how a database
    # numbered the rows.
    for track_id, name, artist, released in pool.order_by(
        F("spotify_id").asc(nulls_last=True), "name", "primary_artist", "id"
    ).values_list("id", "name", "primary_artist", "release_date"):
        song = (name_key(name), name_key(artist))
        if song in heard or song in seen or (cutoff and released and released > cutoff):
            continue
        seen.add(song)
        pool_ids.append(track_id)
    return pool_ids


def _sample_negatives(pool: list[int], exclude: set[int], count: int) -> list[int]:
    candidates = [track_id for track_id in pool if track_id not in exclude]
    if count >= len(candidates):
        return candidates
    # A fixed seed, not the user's primary key (PostgreSQL never reuses one), so the
    # same history and catalog give the same dataset on any database.
    rng = np.random.default_rng(settings.MUSICFLOW_NEGATIVE_SEED)
    return sorted(int(i) for i in rng.choice(candidates, size=count, replace=False))


def _digest(frame: pd.DataFrame, target: np.ndarray) -> str:
    content = frame.assign(_target=target).to_csv(index=False, float_format="%.9g")
    return hashlib.sha256(content.encode()).hexdigest()


def _play_range(user: AbstractBaseUser) -> dict[str, object]:
    return Play.objects.filter(
        user_id=user.pk, resolution_status=ResolutionStatus.RESOLVED
    ).aggregate(first=Min("played_at"), last=Max("played_at"), resolved=Count("id"))


def dataset_build_for_user(*, user: AbstractBaseUser, include_context: bool = True) -> Dataset:
    """Builds the rows, the target and a report (size, positives, digest) for one user."""
    streams_by_track = _played_tracks(user)
    featured = _featured_in_chunks(list(streams_by_track))
    played = played_names_for_user(user=user)
    span = _play_range(user)
    count = round(settings.MUSICFLOW_NEGATIVE_RATIO * len(featured))
    pool = _negative_pool(user, played, span["last"])
    negatives = _sample_negatives(pool, set(streams_by_track), count)
    rows = track_values(track_ids=[*featured, *negatives])
    frame = samples_frame(samples=[track_sample_from_values(values=row) for row in rows])
    if include_context:
        frame = context_add(samples=frame, played=played, saved=saved_names_for_user(user=user))
    target = np.array([float(streams_by_track.get(row["id"], 0)) for row in rows])
    report = DatasetReport(
        rows=len(rows),
        positives=int((target > 0).sum()),
        played=len(featured),
        negatives=len(negatives),
        played_without_features=len(streams_by_track) - len(featured),
        resolved_plays=int(span["resolved"]),
        digest=_digest(frame, target),
        first_play_at=span["first"],
        last_play_at=span["last"],
    )
    return Dataset(
        frame=frame, target=target, track_ids=[row["id"] for row in rows], report=report
    )


def _featured_in_chunks(track_ids: list[int]) -> set[int]:
    """The ids (of these) that have audio features; chunked for SQLite's parameter cap."""
    featured: set[int] = set()
    for start in range(0, len(track_ids), 900):
        chunk = track_ids[start : start + 900]
        featured.update(
            Track.objects.filter(_HAS_FEATURES, id__in=chunk).values_list("id", flat=True)
        )
    return featured
