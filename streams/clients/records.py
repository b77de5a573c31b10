"""Typed results of the external-service clients, named after Track's fields."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from streams.models import AUDIO_FEATURE_FIELDS

_UNIT_INTERVAL = {
    "danceability",
    "energy",
    "speechiness",
    "acousticness",
    "instrumentalness",
    "liveness",
    "valence",
}


@dataclass(frozen=True)
class ArtistRef:
    name: str
    id: str | None = None


@dataclass(frozen=True)
class TrackMetadata:
    """A track as a source described it; None means the source did not say."""

    spotify_id: str
    name: str
    artists: tuple[ArtistRef, ...]
    album_name: str | None = None
    release_date: str | None = None
    release_date_precision: str | None = None
    duration_ms: int | None = None
    explicit: bool | None = None
    popularity: int | None = None
    available_markets_count: int | None = None
    isrc: str | None = None
    raw: Mapping[str, Any] = field(default_factory=dict, repr=False, compare=False)

    def values(self) -> dict[str, Any]:
        """Track field -> value, for every field this source supplied."""
        values: dict[str, Any] = {
            "name": self.name or None,
            "artists": [{"name": a.name, "id": a.id} for a in self.artists] or None,
            "album_name": self.album_name,
            "release_date": self.release_date,
            "release_date_precision": self.release_date_precision,
            "duration_ms": self.duration_ms,
            "explicit": self.explicit,
            "popularity": self.popularity,
            "available_markets_count": self.available_markets_count,
            "isrc": self.isrc,
        }
        return {name: value for name, value in values.items() if value is not None}


@dataclass(frozen=True)
class AudioFeatures:
    """Audio features for one Spotify track id; a feature the source lacks is None."""

    spotify_id: str
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
    isrc: str | None = None
    raw: Mapping[str, Any] = field(default_factory=dict, repr=False, compare=False)

    def values(self) -> dict[str, Any]:
        return {
            name: getattr(self, name)
            for name in AUDIO_FEATURE_FIELDS
            if getattr(self, name) is not None
        }

    @classmethod
    def from_json(cls, spotify_id: str, data: Mapping[str, Any]) -> AudioFeatures:
        """Clean a source's feature object: out-of-range values and "undetected" markers
        (key -1) become None, because a missing value must stay missing."""
        values = {name: _feature(name, data.get(name)) for name in AUDIO_FEATURE_FIELDS}
        isrc = data.get("isrc")
        return cls(
            spotify_id=spotify_id,
            isrc=isrc if isinstance(isrc, str) and isrc else None,
            raw=dict(data),
            **values,
        )


def _feature(name: str, value: Any) -> float | int | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    if name in _UNIT_INTERVAL:
        return float(value) if 0.0 <= value <= 1.0 else None
    if name == "key":
        return int(value) if 0 <= value <= 11 else None
    if name == "mode":
        return int(value) if value in (0, 1) else None
    if name == "time_signature":
        return int(value) if 1 <= value <= 7 else None
    if name == "tempo":
        return float(value) if value > 0 else None
    return float(value)
