"""Writes to the name index (`TrackNameKey`): normalised title + primary artist -> track."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Protocol

from streams.models import TrackNameKey
from streams.resolution.normalize import exact_name_key, name_key

_QUERY_CHUNK = 900


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
    keys = list(wanted)
    existing: set[str] = set()
    for start in range(0, len(keys), _QUERY_CHUNK):
        chunk = keys[start : start + _QUERY_CHUNK]
        existing.update(TrackNameKey.objects.filter(key__in=chunk).values_list("key", flat=True))
    new_rows = [TrackNameKey(key=k, track_id=t) for k, t in wanted.items() if k not in existing]
    TrackNameKey.objects.bulk_create(new_rows, batch_size=500, ignore_conflicts=True)
    return len(new_rows)
