"""Set-based reads shared by the resolution steps and the API's song lookup: ids by
Spotify id, tracks by name key.

A song is looked up in the name index by its exact-spelling key first, then by its
normalised key (see `normalize`), so where "Calm Down" and "Calm Down (with Selena
Gomez)" are both known each spelling finds its own recording.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from typing import TypeVar

from django.db import connection
from django.db.models import Model

from streams.models import Track, TrackNameKey
from streams.resolution.normalize import exact_name_key, name_key

# Stays under every backend's limit on query parameters (SQLite's is the lowest).
QUERY_CHUNK = 900

T = TypeVar("T")


def chunked(items: Sequence[T], size: int = QUERY_CHUNK) -> Iterator[Sequence[T]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def track_ids_by_spotify_id(*, spotify_ids: Iterable[str]) -> dict[str, int]:
    return _pairs_by_key(Track, key="spotify_id", value="id", wanted=spotify_ids)


def track_ids_by_name_key(*, keys: Iterable[str]) -> dict[str, int]:
    return _pairs_by_key(TrackNameKey, key="key", value="track_id", wanted=keys)


def _pairs_by_key(
    model: type[Model], *, key: str, value: str, wanted: Iterable[str]
) -> dict[str, int]:
    """{key: value} of the rows whose `key` column is one of `wanted`.

    Plain SQL: an import looks up tens of thousands of ids, and building an ORM query
    prepares every value of its IN list one by one, which cost more than the query.
    """
    quote = connection.ops.quote_name
    select = (
        f"SELECT {quote(key)}, {quote(value)} FROM {quote(model._meta.db_table)} "
        f"WHERE {quote(key)} IN "
    )
    found: dict[str, int] = {}
    with connection.cursor() as cursor:
        for chunk in chunked(sorted(set(wanted))):
            cursor.execute(f"{select}({', '.join(['%s'] * len(chunk))})", chunk)
            found.update(cursor.fetchall())
    return found


def name_index_keys(title: str, artist: str) -> tuple[str, str]:
    """A song's name-index keys in lookup order: its exact spelling, then normalised."""
    return exact_name_key(title, artist), name_key(title, artist)


def _first_found(keys: Iterable[str], found: Mapping[str, T]) -> T | None:
    return next((found[key] for key in keys if key in found), None)


def track_ids_by_names(*, names: Iterable[tuple[str, str]]) -> dict[tuple[str, str], int]:
    """(title, artist) -> track id through the name index, for many songs at once.

    Songs without a title are left out."""
    keys_of = {pair: name_index_keys(*pair) for pair in names if pair[0]}
    found = track_ids_by_name_key(keys=[key for keys in keys_of.values() for key in keys])
    ids = {pair: _first_found(keys, found) for pair, keys in keys_of.items()}
    return {pair: track_id for pair, track_id in ids.items() if track_id is not None}


def track_by_name(*, title: str, artist: str) -> Track | None:
    """The track of one song through the name index, in one query."""
    keys = name_index_keys(title, artist)
    rows = TrackNameKey.objects.filter(key__in=keys).select_related("track")
    return _first_found(keys, {row.key: row.track for row in rows})
