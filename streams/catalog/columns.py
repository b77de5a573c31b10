"""Which CSV column holds which track field, across the Kaggle datasets' spellings.

For each field the first alias present in a file's header is used, so a file with
both `track_id` and `id` (high_popularity_spotify_data.csv) reads `track_id`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

COLUMN_ALIASES: dict[str, tuple[str, ...]] = {
    "spotify_id": ("track_id", "id", "spotify_id", "uri", "track_uri", "spotify_uri"),
    "name": ("track_name", "name", "track", "song", "song_name", "title"),
    # A list of artists ("A, B", "['A', 'B']", "A;B").
    "artists": ("artists", "track_artist", "artist_names", "artists_name"),
    # One artist per row; used only when no list column exists. Never split:
    # "Tyler, The Creator" is one name.
    "artist": ("artist_name", "artist", "primary_artist"),
    "artist_ids": ("artist_ids", "id_artists", "artist_id", "artists_id"),
    "album_name": ("album", "album_name", "track_album_name"),
    "release_date": ("release_date", "track_album_release_date", "album_release_date"),
    # A year alone; used only when no release_date column exists. In
    # playlist_2010to2022.csv it is the year of the "Top Hits of <year>" playlist,
    # which approximates the release year.
    "year": ("year", "release_year"),
    "popularity": ("popularity", "track_popularity", "song_popularity"),
    "duration_ms": ("duration_ms", "track_duration_ms"),
    "explicit": ("explicit", "is_explicit"),
    "isrc": ("isrc",),
    "genres": ("artist_genres", "genres", "track_genre"),
    "danceability": ("danceability",),
    "energy": ("energy",),
    "key": ("key",),
    "loudness": ("loudness",),
    "mode": ("mode",),
    "speechiness": ("speechiness",),
    "acousticness": ("acousticness",),
    "instrumentalness": ("instrumentalness",),
    "liveness": ("liveness",),
    "valence": ("valence",),
    "tempo": ("tempo",),
    "time_signature": ("time_signature",),
}


def normalize_header(name: str) -> str:
    """Header cells compared without case, stray BOMs, spaces or hyphens."""
    cleaned = name.replace("\ufeff", "").replace("\u00ef\u00bb\u00bf", "")
    return cleaned.strip().lower().replace(" ", "_").replace("-", "_")


@dataclass(frozen=True)
class ColumnMap:
    """Field name -> index of the column that holds it, for one file."""

    indexes: dict[str, int]

    def has(self, field: str) -> bool:
        return field in self.indexes

    def source_columns(self, header: Sequence[str]) -> dict[str, str]:
        return {field: header[index] for field, index in self.indexes.items()}


def column_map_build(*, header: Sequence[str]) -> ColumnMap:
    positions: dict[str, int] = {}
    for index, cell in enumerate(header):
        positions.setdefault(normalize_header(cell), index)
    indexes = {}
    for field, aliases in COLUMN_ALIASES.items():
        for alias in aliases:
            if alias in positions:
                indexes[field] = positions[alias]
                break
    return ColumnMap(indexes=indexes)
