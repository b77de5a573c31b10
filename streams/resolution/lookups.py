"""Set-based reads shared by the resolution steps: ids by Spotify id, tracks by name key."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from typing import TypeVar

from streams.models import Track, TrackNameKey

# Stays under every backend's limit on query parameters (SQLite's is the lowest).
QUERY_CHUNK = 900

T = TypeVar("T")


def chunked(items: Sequence[T], size: int = QUERY_CHUNK) -> Iterator[Sequence[T]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def track_ids_by_spotify_id(*, spotify_ids: Iterable[str]) -> dict[str, int]:
    wanted = sorted(set(spotify_ids))
    found: dict[str, int] = {}
    for chunk in chunked(wanted):
        found.update(Track.objects.filter(spotify_id__in=chunk).values_list("spotify_id", "id"))
    return found


def track_ids_by_name_key(*, keys: Iterable[str]) -> dict[str, int]:
    wanted = sorted(set(keys))
    found: dict[str, int] = {}
    for chunk in chunked(wanted):
        found.update(TrackNameKey.objects.filter(key__in=chunk).values_list("key", "track_id"))
    return found
