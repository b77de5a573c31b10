"""Typed records that cross the boundary between the Django app and the model package.

The model never sees ORM objects: the app turns tracks into `TrackSample`s and the
user's plays into `PlayedName` rows, and everything below works on DataFrames built
from them. Every field is optional because every source may leave any of them out.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, field, fields

import pandas as pd


@dataclass(frozen=True)
class TrackSample:
    """One track as the model's input: metadata, audio features and the user's context."""

    spotify_id: str | None = None
    name: str | None = None
    artists: tuple[str, ...] = ()
    album: str | None = None
    # "2019", "2019-05" or "2019-05-17"; the precision says which parts are real.
    release_date: str | None = None
    release_date_precision: str | None = None
    duration_ms: int | None = None
    explicit: bool | None = None
    popularity: int | None = None
    available_markets_count: int | None = None
    danceability: float | None = None
    energy: float | None = None
    key: int | None = None
    loudness: float | None = None
    mode: int | None = None
    speechiness: float | None = None
    acousticness: float | None = None
    instrumentalness: float | None = None
    liveness: float | None = None
    valence: float | None = None
    tempo: float | None = None
    time_signature: int | None = None
    # User context (see predictor.ml.context); None until context is added.
    artist_streams_other: float | None = None
    artist_tracks_other: float | None = None
    artist_skip_rate_other: float | None = None
    album_streams_other: float | None = None
    is_saved: float | None = None
    artist_saved_tracks_other: float | None = None


SAMPLE_COLUMNS: tuple[str, ...] = tuple(f.name for f in fields(TrackSample))
# Spotify's audio features as every source names them (raw: `key` is still 0-11 or -1).
# streams.models.AUDIO_FEATURE_FIELDS is the same list on the Django side (a test
# keeps them equal; this package may not import Django).
AUDIO_INPUTS: tuple[str, ...] = (
    "danceability",
    "energy",
    "key",
    "loudness",
    "mode",
    "speechiness",
    "acousticness",
    "instrumentalness",
    "liveness",
    "valence",
    "tempo",
    "time_signature",
)


@dataclass(frozen=True)
class PlayedName:
    """The user's plays of one (track name, artist name, album name) as exported.

    `resolved_name` is the name of the track the plays were resolved to, when they
    were: it lets the context code recognise a track's own plays even when the export
    spelled the title differently from the catalog. The resolved track's release date
    (and its precision) dates the plays for the release-era candidate signal.
    """

    track_name: str
    artist_name: str
    album_name: str = ""
    plays: int = 0
    streams: int = 0
    resolved_name: str | None = None
    release_date: str | None = None
    release_date_precision: str | None = None


PLAYED_COLUMNS: tuple[str, ...] = tuple(f.name for f in fields(PlayedName))


@dataclass(frozen=True)
class SavedName:
    """One track the user saved to their library, by name and credited artists."""

    track_name: str
    artists: tuple[str, ...] = ()


SAVED_COLUMNS: tuple[str, ...] = tuple(f.name for f in fields(SavedName))


@dataclass(frozen=True)
class ArtistGenres:
    """An artist's genres as the catalog knows them, and how many catalog tracks are theirs.

    Genres belong to artists (the catalog's artist_genres column), so they date any
    play of the artist, resolved or not, and any track they are credited on.
    """

    artist: str
    genres: tuple[str, ...] = ()
    tracks: int = 0


GENRE_COLUMNS: tuple[str, ...] = tuple(f.name for f in fields(ArtistGenres))


def samples_frame(*, samples: Iterable[TrackSample]) -> pd.DataFrame:
    """The raw model input: one row per sample, one column per `TrackSample` field."""
    rows = [_sample_row(sample) for sample in samples]
    return pd.DataFrame(rows, columns=list(SAMPLE_COLUMNS))


def played_frame(*, rows: Iterable[PlayedName]) -> pd.DataFrame:
    """The per-name streams table the context features are computed from."""
    return pd.DataFrame([asdict(row) for row in rows], columns=list(PLAYED_COLUMNS))


def saved_frame(*, rows: Iterable[SavedName]) -> pd.DataFrame:
    """The user's library table the saved-track context features are computed from."""
    records = [
        {"track_name": r.track_name, "artists": tuple(_artist_names(r.artists))} for r in rows
    ]
    return pd.DataFrame(records, columns=list(SAVED_COLUMNS))


def genres_frame(*, rows: Iterable[ArtistGenres]) -> pd.DataFrame:
    """The artist -> genres table the genre candidate signals are computed from."""
    records = [
        {"artist": r.artist, "genres": tuple(g for g in r.genres if g), "tracks": r.tracks}
        for r in rows
    ]
    return pd.DataFrame(records, columns=list(GENRE_COLUMNS))


def _sample_row(sample: TrackSample) -> dict[str, object]:
    row = asdict(sample)
    row["artists"] = tuple(_artist_names(sample.artists))
    return row


def _artist_names(artists: Sequence[str] | str | None) -> list[str]:
    if artists is None:
        return []
    if isinstance(artists, str):
        return [artists] if artists.strip() else []
    return [a for a in artists if isinstance(a, str) and a.strip()]


@dataclass(frozen=True)
class DatasetSummary:
    """What a training dataset holds, for the registry and the report."""

    rows: int
    positives: int
    played: int
    negatives: int
    digest: str
    extra: dict[str, object] = field(default_factory=dict)
