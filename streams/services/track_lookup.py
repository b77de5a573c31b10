"""Song + artist -> Track, for the API: what we already know first, the network last.

Order (the first that answers wins):

1. the name index (one indexed query), exact spelling first, then normalised, like
   the resolution of plays: every catalog track, every track a resolution found, and
   every earlier lookup that needed the network;
2. fuzzy matching over every known track (the resolution's `CatalogIndex`, kept per
   process until the tracks change), for typos and transliterations;
3. the source chain, over the network: Spotify search finds the track (its result is a
   full track object), then the feature chain (ReccoBeats, Spotify) fills its audio
   features. The query is added to the name index, so the same question is answered
   offline next time; a miss is remembered for MUSICFLOW_SEARCH_RECHECK_DAYS.

A known song therefore never causes an outbound request. Errors: TrackNotFound (no
source knows it), SourceUnavailable (every source that could know it failed),
RateLimited (a source asked us to come back at `retry_at`).
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass

from django.conf import settings
from django.db.models import Count, Max

from streams.clients.spotify import SpotifyClient, spotify_configured
from streams.errors import TrackNotFound
from streams.models import Track
from streams.resolution.fuzzy import CatalogIndex
from streams.resolution.lookups import track_by_name
from streams.resolution.normalize import name_key, normalize_artist, normalize_title
from streams.resolution.spotify_search import (
    name_search_outcome_save,
    name_searches_recently_missed,
    spotify_track_find,
)
from streams.sources.chain import sources_from_settings, tracks_enrich

MATCHED_BY_NAME_INDEX = "name_index"
MATCHED_BY_FUZZY = "fuzzy"
MATCHED_BY_SEARCH = "spotify_search"


@dataclass(frozen=True)
class TrackMatch:
    track: Track
    matched_by: str  # name_index | fuzzy | spotify_search

    @property
    def used_network(self) -> bool:
        return self.matched_by == MATCHED_BY_SEARCH


def track_lookup(*, song: str, artist: str) -> TrackMatch:
    """The track for `song` by `artist`; see the module docstring for the order."""
    known = track_lookup_known(song=song, artist=artist)
    if known is not None:
        return known
    return _from_network(song=song, artist=artist)


def track_lookup_known(*, song: str, artist: str) -> TrackMatch | None:
    """The track if the database already knows it (never touches the network)."""
    track = track_by_name(title=song, artist=artist)
    if track is not None:
        return TrackMatch(track=track, matched_by=MATCHED_BY_NAME_INDEX)
    title, who = normalize_title(song), normalize_artist(artist)
    if not title or not who:
        return None
    track_id = _catalog_index().best(
        title=title, artist=who, threshold=float(settings.MUSICFLOW_FUZZY_MATCH_THRESHOLD)
    )
    track = Track.objects.filter(pk=track_id).first() if track_id is not None else None
    return TrackMatch(track=track, matched_by=MATCHED_BY_FUZZY) if track else None


# --- the fuzzy index, per process -----------------------------------------------------------

_index_lock = threading.Lock()
_index: tuple[tuple[object, ...], CatalogIndex] | None = None


def _catalog_index() -> CatalogIndex:
    """The resolution's fuzzy index, rebuilt only when tracks were added or renamed."""
    global _index
    stamp = tuple(
        Track.objects.aggregate(n=Count("id"), last=Max("id"), changed=Max("updated_at")).values()
    )
    with _index_lock:
        if _index is not None and _index[0] == stamp:
            return _index[1]
    index = CatalogIndex.load()
    with _index_lock:
        _index = (stamp, index)
    return index


# --- the network ----------------------------------------------------------------------------


def _from_network(*, song: str, artist: str) -> TrackMatch:
    key = name_key(song, artist)
    if not spotify_configured():
        raise TrackNotFound(
            f"{song!r} by {artist!r} is not in the local catalog "
            "(searching Spotify needs SPOTIFY_CLIENT_ID / SPOTIFY_CLIENT_SECRET)"
        )
    if name_searches_recently_missed(keys=[key]):
        raise TrackNotFound(f"no source knows {song!r} by {artist!r}")
    started = time.monotonic()
    track = spotify_track_find(client=SpotifyClient.from_settings(), title=song, artist=artist)
    # A hit: the asker's spelling becomes an alias (a known song next time). A miss:
    # not searched again for MUSICFLOW_SEARCH_RECHECK_DAYS.
    name_search_outcome_save(key=key, track=track)
    if track is None:
        raise TrackNotFound(f"no source knows {song!r} by {artist!r}")
    _features_fill(track, deadline=started + settings.MUSICFLOW_LOOKUP_NETWORK_SECONDS)
    track.refresh_from_db()
    return TrackMatch(track=track, matched_by=MATCHED_BY_SEARCH)


def _features_fill(track: Track, *, deadline: float) -> None:
    """Ask the feature chain about the new track, within the request's time budget.

    A source's failure, or the budget running out, leaves gaps (nulls), which the model
    handles, rather than failing a track we did find; the background enrichment fills
    them later like any other track's."""
    tracks_enrich(
        tracks=Track.objects.filter(pk=track.pk),
        sources=sources_from_settings(),
        deadline=deadline,
    )
