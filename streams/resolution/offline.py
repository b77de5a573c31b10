"""The offline resolution steps: by Spotify URI, then by the name index.

Both are set-based: one query per chunk of distinct ids or keys, dict lookups for
the plays, so hundreds of thousands of plays resolve in seconds.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import TypeVar

from django.utils import timezone

from streams.models import Track, TrackNameKey
from streams.resolution.index import name_index_add
from streams.resolution.normalize import exact_name_key, name_key
from streams.resolution.steps import PendingPlay

# Stays under every backend's limit on query parameters (SQLite's is the lowest).
QUERY_CHUNK = 900
HISTORY_SOURCE = "history"
_SPOTIFY_ID = re.compile(r"^[0-9A-Za-z]{22}$")

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


def _stub_from_play(play: PendingPlay, *, spotify_id: str, fetched_at: str) -> Track:
    """A track known only from a play: enrichment fills in the rest by its Spotify id.

    Exports name one artist per play, so the name is kept whole ("Tyler, The Creator").
    """
    artist = play.artist_name.strip()
    return Track(
        spotify_id=spotify_id,
        name=play.track_name[:512],
        artists=[{"name": artist, "id": None}] if artist else [],
        primary_artist=artist[:512],
        album_name=play.album_name[:512],
        metadata_source=HISTORY_SOURCE,
        field_sources={
            field: HISTORY_SOURCE
            for field, value in (("name", play.track_name), ("artists", artist))
            if value
        }
        | ({"album_name": HISTORY_SOURCE} if play.album_name else {}),
        raw_sources={
            HISTORY_SOURCE: {
                "fetched_at": fetched_at,
                "data": {
                    "track_name": play.track_name,
                    "artist_name": play.artist_name,
                    "album_name": play.album_name,
                    "spotify_track_uri": play.spotify_track_uri,
                },
            }
        },
    )


@dataclass
class UriStep:
    """Match plays by their Spotify track URI.

    A URI whose track is not stored yet gets a stub track (metadata_source
    "history", built from the play's names) so the play resolves now and the
    enrichment step can fetch metadata and features for it by id later. Stubs are
    added to the name index too, so URI-less plays of the same song find them.
    """

    create_stubs: bool = True
    name: str = "uri"
    needs_network: bool = False
    stubs_created: int = 0

    def __call__(self, *, plays: Sequence[PendingPlay]) -> Mapping[int, int]:
        by_id: dict[str, PendingPlay] = {}
        for play in plays:
            spotify_id = play.spotify_track_id
            if spotify_id and _SPOTIFY_ID.match(spotify_id) and play.track_name:
                by_id.setdefault(spotify_id, play)
        known = track_ids_by_spotify_id(spotify_ids=by_id)
        missing = [sid for sid in by_id if sid not in known]
        if missing and self.create_stubs:
            known.update(self._create_stubs(missing=missing, by_id=by_id))
        return {
            play.id: known[play.spotify_track_id]
            for play in plays
            if play.spotify_track_id in known
        }

    def _create_stubs(
        self, *, missing: list[str], by_id: dict[str, PendingPlay]
    ) -> dict[str, int]:
        fetched_at = timezone.now().isoformat()
        stubs = [
            _stub_from_play(by_id[sid], spotify_id=sid, fetched_at=fetched_at) for sid in missing
        ]
        Track.objects.bulk_create(stubs, batch_size=500, ignore_conflicts=True)
        created = track_ids_by_spotify_id(spotify_ids=missing)
        self.stubs_created += len(created)
        name_index_add(
            tracks=Track.objects.filter(id__in=list(created.values())).only(
                "id", "name", "primary_artist", "artists"
            )
        )
        return created


@dataclass
class NameIndexStep:
    """Match plays by title + primary artist through `TrackNameKey`.

    The exact-spelling key first, then the normalised one (see `normalize`).
    """

    name: str = "name_index"
    needs_network: bool = False

    def __call__(self, *, plays: Sequence[PendingPlay]) -> Mapping[int, int]:
        keys_of: dict[tuple[str, str], tuple[str, str]] = {}
        for play in plays:
            pair = (play.track_name, play.artist_name)
            if pair not in keys_of and play.track_name:
                keys_of[pair] = (exact_name_key(*pair), name_key(*pair))
        found = track_ids_by_name_key(keys=[k for keys in keys_of.values() for k in keys])
        matches: dict[int, int] = {}
        for play in plays:
            for key in keys_of.get((play.track_name, play.artist_name), ()):
                if key in found:
                    matches[play.id] = found[key]
                    break
        return matches


def offline_steps() -> list[UriStep | NameIndexStep]:
    """The default resolution chain: no network at all."""
    return [UriStep(), NameIndexStep()]
