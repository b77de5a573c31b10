"""Writes to the name index (`TrackNameKey`): normalised title + primary artist -> track."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Protocol

from django.db import connection
from django.utils import timezone

from streams.bulk_insert import rows_insert_ignoring_conflicts
from streams.models import TrackNameKey
from streams.resolution.normalize import exact_name_key, name_key


class NamedTrack(Protocol):
    """What the index needs from a track (a `Track` satisfies it)."""

    id: int | None
    name: str
    primary_artist: str
    artists: list


@dataclass(frozen=True, slots=True)
class NameIndexEntry:
    """A track to index when no `Track` instance is at hand (id, title, primary artist)."""

    id: int
    name: str
    artist: str


def _artist_of(track: NamedTrack | NameIndexEntry) -> str:
    if isinstance(track, NameIndexEntry):
        return track.artist
    if track.primary_artist:
        return track.primary_artist
    first = track.artists[0] if track.artists else None
    return first.get("name", "") if isinstance(first, dict) else ""


def name_index_add(*, tracks: Iterable[NamedTrack | NameIndexEntry]) -> int:
    """Index `tracks` by name; a key already present keeps its track (first stored wins).

    Each track gets its exact key and its normalised key (see `normalize`).

    Returns how many keys were added. Safe to call concurrently: the key is unique
    in the database and conflicting inserts are ignored.
    """
    wanted: dict[str, int] = {}
    for track in tracks:
        if track.id is None or not track.name:
            continue
        artist = _artist_of(track)
        wanted.setdefault(exact_name_key(track.name, artist), track.id)
        wanted.setdefault(name_key(track.name, artist), track.id)
    # Raw rows, not model instances: an import indexes tens of thousands of tracks.
    created_at = connection.ops.adapt_datetimefield_value(timezone.now())
    return rows_insert_ignoring_conflicts(
        table=TrackNameKey._meta.db_table,
        columns=("key", "track_id", "created_at"),
        rows=[(key, track_id, created_at) for key, track_id in wanted.items()],
    )
