"""Stub tracks: tracks known only from plays, created so those plays resolve at once.

A play with a Spotify URI whose track is not stored yet gets a stub built from the
play's names (metadata_source "history"); the enrichment step later fetches its
metadata and features by the Spotify id, and a catalog import fills it in.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from django.db import connection
from django.utils import timezone

from streams.models import Track
from streams.resolution.index import NameIndexEntry, name_index_add
from streams.resolution.lookups import chunked, track_ids_by_spotify_id

HISTORY_SOURCE = "history"
_MAX_TEXT = 512
_INSERT_CHUNK = 2000


@dataclass(frozen=True, slots=True)
class TrackStub:
    """What a play tells about its track."""

    spotify_id: str
    track_name: str
    artist_name: str
    album_name: str
    spotify_track_uri: str

    def values(self, *, fetched_at: str) -> dict[str, Any]:
        # Exports name one artist per play, so the name stays whole ("Tyler, The Creator").
        artist = self.artist_name.strip()[:_MAX_TEXT]
        supplied = {"name": self.track_name, "artists": artist, "album_name": self.album_name}
        return {
            "spotify_id": self.spotify_id,
            "name": self.track_name[:_MAX_TEXT],
            "artists": [{"name": artist, "id": None}] if artist else [],
            "primary_artist": artist,
            "album_name": self.album_name[:_MAX_TEXT],
            "field_sources": {f: HISTORY_SOURCE for f, value in supplied.items() if value},
            "raw_sources": {
                HISTORY_SOURCE: {
                    "fetched_at": fetched_at,
                    "data": {
                        "track_name": self.track_name,
                        "artist_name": self.artist_name,
                        "album_name": self.album_name,
                        "spotify_track_uri": self.spotify_track_uri,
                    },
                }
            },
        }


def track_stubs_create(*, stubs: Sequence[TrackStub]) -> dict[str, int]:
    """Store stubs (an id already stored is left as it is); returns {spotify id: track id}.

    The stubs are added to the name index, so URI-less plays of the same song find them.
    """
    fetched_at = timezone.now().isoformat()
    rows = [stub.values(fetched_at=fetched_at) for stub in stubs]
    _insert_ignoring_conflicts(rows=rows, template=Track(metadata_source=HISTORY_SOURCE))
    ids = track_ids_by_spotify_id(spotify_ids=[stub.spotify_id for stub in stubs])
    name_index_add(
        tracks=[
            NameIndexEntry(
                id=ids[row["spotify_id"]], name=row["name"], artist=row["primary_artist"]
            )
            for row in rows
            if row["spotify_id"] in ids
        ]
    )
    return ids


def _insert_ignoring_conflicts(*, rows: Sequence[dict[str, Any]], template: Track) -> None:
    """INSERT rows of tracks; a Spotify id another process stored first is skipped.

    `bulk_create` builds and prepares every field of every row, which costs seconds
    for tens of thousands of stubs; here the fields a row gives are prepared per row
    and every other field once, from `template` (defaults, timestamps).
    """
    if not rows:
        return
    fields = [f for f in Track._meta.concrete_fields if not f.primary_key]
    given = rows[0].keys()
    constant = {
        f.attname: f.get_db_prep_save(f.pre_save(template, add=True), connection)
        for f in fields
        if f.attname not in given
    }
    qn = connection.ops.quote_name
    sql = (
        f"INSERT INTO {qn(Track._meta.db_table)} ({', '.join(qn(f.column) for f in fields)}) "
        f"VALUES ({', '.join(['%s'] * len(fields))}) ON CONFLICT DO NOTHING"
    )
    with connection.cursor() as cursor:
        for chunk in chunked(rows, _INSERT_CHUNK):
            cursor.executemany(
                sql,
                [
                    [
                        constant[f.attname]
                        if f.attname in constant
                        else f.get_db_prep_save(row[f.attname], connection)
                        for f in fields
                    ]
                    for row in chunk
                ],
            )
