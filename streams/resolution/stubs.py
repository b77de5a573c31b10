"""Stub tracks: tracks known only from plays, created so those plays resolve at once.

A play with a Spotify URI whose track is not stored yet gets a stub built from the
play's names (metadata_source "history"); the enrichment step later fetches its
metadata and features by the Spotify id, and a catalog import fills it in.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db import connection
from django.utils import timezone

from streams.bulk_insert import rows_insert_ignoring_conflicts
from streams.models import Track
from streams.resolution.index import NameIndexEntry, name_index_add
from streams.resolution.lookups import track_ids_by_spotify_id

HISTORY_SOURCE = "history"
_MAX_TEXT = 512
# The Track fields a stub takes from its play, in the order `_stub_values` gives them;
# every other field has the same value for every stub.
_STUB_FIELDS = (
    "spotify_id",
    "name",
    "artists",
    "primary_artist",
    "album_name",
    "field_sources",
    "raw_sources",
)


@dataclass(frozen=True, slots=True)
class TrackStub:
    """What a play tells about its track."""

    spotify_id: str
    track_name: str
    artist_name: str
    album_name: str
    spotify_track_uri: str

    @property
    def stored_name(self) -> str:
        return self.track_name[:_MAX_TEXT]

    @property
    def stored_artist(self) -> str:
        # Exports name one artist per play, so the name stays whole ("Tyler, The Creator").
        return self.artist_name.strip()[:_MAX_TEXT]


def track_stubs_create(*, stubs: Sequence[TrackStub]) -> dict[str, int]:
    """Store stubs (an id already stored is left as it is); returns {spotify id: track id}.

    The stubs are added to the name index, so URI-less plays of the same song find them.
    """
    if not stubs:
        return {}
    columns, rows = _stub_rows(stubs=stubs, now=timezone.now())
    rows_insert_ignoring_conflicts(table=Track._meta.db_table, columns=columns, rows=rows)
    ids = track_ids_by_spotify_id(spotify_ids=[stub.spotify_id for stub in stubs])
    name_index_add(
        tracks=[
            NameIndexEntry(
                id=ids[stub.spotify_id], name=stub.stored_name, artist=stub.stored_artist
            )
            for stub in stubs
            if stub.spotify_id in ids
        ]
    )
    return ids


def _stub_rows(
    *, stubs: Sequence[TrackStub], now: datetime
) -> tuple[list[str], list[tuple[Any, ...]]]:
    """Every Track column and each stub's values, in database form.

    Only the fields a play supplies are prepared per stub; the others (defaults,
    timestamps) once, from a template: preparing every field of every row through the
    model fields costs more than inserting them.
    """
    template = Track(metadata_source=HISTORY_SOURCE)
    constant_fields = [
        f for f in Track._meta.concrete_fields if not f.primary_key and f.name not in _STUB_FIELDS
    ]
    constants = tuple(
        f.get_db_prep_save(f.pre_save(template, add=True), connection) for f in constant_fields
    )
    columns = [
        *(Track._meta.get_field(name).column for name in _STUB_FIELDS),
        *(f.column for f in constant_fields),
    ]
    fetched_at = now.isoformat()
    adapt_json = connection.ops.adapt_json_value
    rows = [(*_stub_values(stub, fetched_at, adapt_json), *constants) for stub in stubs]
    return columns, rows


def _stub_values(
    stub: TrackStub, fetched_at: str, adapt_json: Callable[[Any, Any], Any]
) -> tuple[Any, ...]:
    artist = stub.stored_artist
    supplied = {"name": stub.track_name, "artists": artist, "album_name": stub.album_name}
    raw = {
        "fetched_at": fetched_at,
        "data": {
            "track_name": stub.track_name,
            "artist_name": stub.artist_name,
            "album_name": stub.album_name,
            "spotify_track_uri": stub.spotify_track_uri,
        },
    }
    return (
        stub.spotify_id,
        stub.stored_name,
        adapt_json([{"name": artist, "id": None}] if artist else [], None),
        artist,
        stub.album_name[:_MAX_TEXT],
        adapt_json({f: HISTORY_SOURCE for f, value in supplied.items() if value}, None),
        adapt_json({HISTORY_SOURCE: raw}, None),
    )
