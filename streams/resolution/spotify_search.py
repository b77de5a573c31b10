"""Resolution by Spotify search: the last step, for plays nothing local could match.

Plays are grouped by (track name, artist name), so one search serves every play of a
song. A search asks for at most 10 results (Development-mode apps get 400 above
that); the best result must reach MUSICFLOW_SEARCH_MATCH_THRESHOLD on both the
normalised title and the normalised artist, carry the same numbers / version words
(see ``fuzzy.titles_compatible``), and be at least as long as the longest play of it
(a 4-minute play is not of a 3-minute track). Ties go to the duration nearest the
longest play, then to Spotify's own ranking.

A match becomes (or updates) a Track with the search result's metadata — the result
is a full track object, so no second request is needed — and the play's own names are
added to the name index as an alias, so the next import resolves them offline. A miss
is remembered (``NameSearch``) for MUSICFLOW_SEARCH_RECHECK_DAYS. Plays the step did
not get to (time budget, 429) keep a reason saying so and are retried by later runs.
"""

from __future__ import annotations

import time
from collections import defaultdict
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone
from rapidfuzz import fuzz

from streams.clients.errors import RateLimited, SourceUnavailable
from streams.clients.records import TrackMetadata
from streams.clients.spotify import SOURCE, SpotifyClient
from streams.enrichment.ratelimit import source_block, source_slot_acquire
from streams.models import NameSearch, Play, Track, TrackNameKey
from streams.resolution.fuzzy import titles_compatible
from streams.resolution.index import name_index_add
from streams.resolution.normalize import fold_text, name_key, normalize_artist, normalize_title
from streams.resolution.offline import chunked
from streams.resolution.steps import PendingPlay
from streams.sources.base import Supplied, track_answer_save
from streams.sources.spotify import SpotifyTracksSource

# Reasons stored in Play.unresolved_reason by this step.
REASON_NO_SPOTIFY_MATCH = "no_spotify_match"
REASON_SEARCH_PENDING = "search_pending"
REASON_RATE_LIMITED = "rate_limited"
REASON_SEARCH_FAILED = "search_failed"
# Spotify reports durations to the millisecond; exports round ms_played differently.
_DURATION_SLACK_MS = 5_000


@dataclass(frozen=True)
class SearchQuery:
    title: str
    artist: str
    longest_play_ms: int = 0

    @property
    def text(self) -> str:
        return f'track:"{normalize_title(self.title)}" artist:"{normalize_artist(self.artist)}"'


def _score(query: SearchQuery, result: TrackMetadata, threshold: float) -> float | None:
    title, found = normalize_title(query.title), normalize_title(result.name)
    title_score = fuzz.ratio(title, found)
    artist = normalize_artist(query.artist)
    artist_score = max((fuzz.ratio(artist, fold_text(a.name)) for a in result.artists), default=0)
    too_short = (
        result.duration_ms is not None
        and query.longest_play_ms > result.duration_ms + _DURATION_SLACK_MS
    )
    if title_score < threshold or artist_score < threshold or too_short:
        return None
    return title_score + artist_score if titles_compatible(title, found) else None


def search_best_match(
    query: SearchQuery, results: Sequence[TrackMetadata], *, threshold: float
) -> TrackMetadata | None:
    scored = []
    for rank, result in enumerate(results):
        score = _score(query, result, threshold)
        if score is not None:
            gap = abs((result.duration_ms or 0) - query.longest_play_ms)
            scored.append((-score, gap, rank, result))
    return min(scored, key=lambda item: item[:3])[3] if scored else None


def track_from_search(metadata: TrackMetadata) -> Track:
    """The Track for a search result, created or completed from the result itself."""
    with transaction.atomic():
        track = Track.objects.select_for_update().filter(spotify_id=metadata.spotify_id).first()
        if track is None:
            try:
                with transaction.atomic():
                    track = Track.objects.create(
                        spotify_id=metadata.spotify_id, name=metadata.name[:512]
                    )
            except IntegrityError:
                track = Track.objects.get(spotify_id=metadata.spotify_id)
        track_answer_save(
            track,
            source=SOURCE,
            raw_key=SpotifyTracksSource.raw_key,
            supplied=Supplied(values=metadata.values(), raw=dict(metadata.raw)),
            fetched_at=timezone.now(),
            upgradable=SpotifyTracksSource.upgradable,
        )
        name_index_add(tracks=[track])
    return track


def spotify_track_find(
    *, client: SpotifyClient, title: str, artist: str, longest_play_ms: int = 0
) -> Track | None:
    """Search Spotify for one song; the matching Track (stored) or None.

    Raises RateLimited / SourceUnavailable like the client (after recording a 429 in
    the shared rate limiter)."""
    query = SearchQuery(title=title, artist=artist, longest_play_ms=longest_play_ms)
    try:
        source_slot_acquire(source=SOURCE)
        results = client.tracks_search(
            query=query.text, limit=settings.MUSICFLOW_SPOTIFY_SEARCH_LIMIT
        )
    except RateLimited as exc:
        source_block(source=SOURCE, until=exc.retry_at)
        raise
    best = search_best_match(query, results, threshold=settings.MUSICFLOW_SEARCH_MATCH_THRESHOLD)
    return track_from_search(best) if best else None


def name_search_outcome_save(*, key: str, track: Track | None) -> None:
    """Remember a search: a match becomes a name-index alias (the next lookup of these
    names is offline), a miss a NameSearch row (not searched again for a while)."""
    if track is None:
        NameSearch.objects.update_or_create(key=key, defaults={"searched_at": timezone.now()})
    else:
        TrackNameKey.objects.bulk_create(
            [TrackNameKey(key=key, track=track)], ignore_conflicts=True
        )


def _longest_plays(play_ids: list[int]) -> dict[int, int]:
    longest: dict[int, int] = {}
    for chunk in chunked(play_ids):
        longest.update(Play.objects.filter(id__in=chunk).values_list("id", "ms_played"))
    return longest


def name_searches_recently_missed(*, keys: list[str]) -> set[str]:
    """The name keys Spotify search found nothing for within the recheck period."""
    since = timezone.now() - timedelta(days=settings.MUSICFLOW_SEARCH_RECHECK_DAYS)
    missed: set[str] = set()
    for chunk in chunked(keys):
        missed.update(
            NameSearch.objects.filter(key__in=chunk, searched_at__gte=since).values_list(
                "key", flat=True
            )
        )
    return missed


@dataclass
class SpotifySearchStep:
    """Resolution step; stops at ``deadline`` (time.monotonic()) or at a 429.

    ``on_searched`` runs inside the transaction that stores each search's outcome, so
    a progress counter kept there never disagrees with what was stored.
    """

    client: SpotifyClient
    deadline: float | None = None
    on_searched: Callable[[], None] | None = None
    name: str = "spotify_search"
    needs_network: bool = True
    searched: int = 0
    rate_limited_until: datetime | None = None
    notes: list[str] = field(default_factory=list)
    unresolved_reasons: dict[int, str] = field(default_factory=dict)

    def __call__(self, *, plays: Sequence[PendingPlay]) -> Mapping[int, int]:
        groups: dict[str, list[PendingPlay]] = defaultdict(list)
        for play in plays:
            if play.track_name.strip() and play.artist_name.strip():
                groups[name_key(play.track_name, play.artist_name)].append(play)
        missed = name_searches_recently_missed(keys=list(groups))
        longest = _longest_plays(
            [p.id for p in plays if name_key(p.track_name, p.artist_name) not in missed]
        )
        matches: dict[int, int] = {}
        stop_reason = ""
        for key, group in groups.items():
            if key in missed:
                reason = REASON_NO_SPOTIFY_MATCH
            elif stop_reason or self._out_of_time():
                reason = stop_reason or REASON_SEARCH_PENDING
            else:
                reason, stop_reason = self._search(key, group, longest, matches)
            if reason:
                self.unresolved_reasons.update(dict.fromkeys((p.id for p in group), reason))
        return matches

    def _out_of_time(self) -> bool:
        return self.deadline is not None and time.monotonic() >= self.deadline

    def _search(
        self, key: str, group: list[PendingPlay], longest: dict[int, int], matches: dict[int, int]
    ) -> tuple[str, str]:
        """Search one song; (reason if unresolved, reason to stop searching)."""
        first = group[0]
        try:
            track = spotify_track_find(
                client=self.client,
                title=first.track_name,
                artist=first.artist_name,
                longest_play_ms=max(longest.get(p.id, 0) for p in group),
            )
        except RateLimited as exc:
            self.rate_limited_until = exc.retry_at
            return REASON_RATE_LIMITED, REASON_RATE_LIMITED
        except SourceUnavailable as exc:
            self.notes.append(f"Spotify search failed: {exc}")
            return REASON_SEARCH_FAILED, (REASON_SEARCH_FAILED if exc.permanent else "")
        with transaction.atomic():
            name_search_outcome_save(key=key, track=track)
            if track is not None:
                matches.update({p.id: track.id for p in group})
            self.searched += 1
            if self.on_searched is not None:
                self.on_searched()
        return ("" if track else REASON_NO_SPOTIFY_MATCH), ""
