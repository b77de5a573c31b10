"""The offline resolution steps: by Spotify URI, then by the name index.

Both are set-based: one query per chunk of distinct ids or keys, dict lookups for
the plays, so hundreds of thousands of plays resolve in seconds.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from streams.resolution.lookups import (
    chunked,
    track_ids_by_name_key,
    track_ids_by_names,
    track_ids_by_spotify_id,
)
from streams.resolution.steps import PendingPlay
from streams.resolution.stubs import TrackStub, track_stubs_create

# The lookups are re-exported: other steps import them from here.
__all__ = [
    "NameIndexStep",
    "UriStep",
    "chunked",
    "offline_steps",
    "track_ids_by_name_key",
    "track_ids_by_spotify_id",
]

_SPOTIFY_ID = re.compile(r"^[0-9A-Za-z]{22}$")


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
        created = track_stubs_create(
            stubs=[
                TrackStub(
                    spotify_id=sid,
                    track_name=by_id[sid].track_name,
                    artist_name=by_id[sid].artist_name,
                    album_name=by_id[sid].album_name,
                    spotify_track_uri=by_id[sid].spotify_track_uri,
                )
                for sid in missing
            ]
        )
        self.stubs_created += len(created)
        return created


@dataclass
class NameIndexStep:
    """Match plays by title + primary artist through `TrackNameKey`.

    The exact-spelling key first, then the normalised one (see `lookups`).
    """

    name: str = "name_index"
    needs_network: bool = False

    def __call__(self, *, plays: Sequence[PendingPlay]) -> Mapping[int, int]:
        found = track_ids_by_names(names={(p.track_name, p.artist_name) for p in plays})
        return {
            play.id: found[pair]
            for play in plays
            if (pair := (play.track_name, play.artist_name)) in found
        }


def offline_steps() -> list[UriStep | NameIndexStep]:
    """The default resolution chain: no network at all."""
    return [UriStep(), NameIndexStep()]
