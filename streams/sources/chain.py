"""The feature-source chain: ask each source, in the configured order, only about
tracks that still miss something it can supply and that it has not answered before.

Order comes from MUSICFLOW_FEATURE_SOURCES (default "catalog,reccobeats,spotify").
A source that is unusable (Spotify without credentials, a capability parked after a
403) is skipped with a note; a 429 blocks that service for every worker until its
Retry-After and the chain moves on; a failed batch fails alone and is retried by a
later run. Nothing is invented: a value no source supplies stays null.
"""

from __future__ import annotations

import logging
import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils import timezone

from streams.clients.errors import RateLimited, SourceUnavailable
from streams.clients.spotify import SpotifyClient, spotify_configured
from streams.enrichment.ratelimit import source_block, source_slot_acquire
from streams.models import Track
from streams.resolution.index import name_index_add
from streams.sources.base import FeatureSource, Supplied, pending_q, track_answer_save
from streams.sources.catalog import CatalogSource
from streams.sources.reccobeats import ReccoBeatsSource
from streams.sources.spotify import (
    CapabilityChanged,
    SpotifyAudioFeaturesSource,
    SpotifyTracksSource,
)

logger = logging.getLogger(__name__)

# Errors after which asking this source again in the same run is pointless.
_STOP_REASONS = frozenset({"forbidden", "credentials", "not_configured"})
# The client already retried these; with no network every further batch would only
# wait out the same timeouts, so the source sits out the rest of the run.
_UNREACHABLE_REASONS = frozenset({"connection", "timeout"})


@dataclass
class EnrichReport:
    """What one pass of the chain did."""

    answered: Counter[str] = field(default_factory=Counter)  # raw key -> tracks answered
    filled: Counter[str] = field(default_factory=Counter)  # raw key -> tracks given values
    failed_batches: Counter[str] = field(default_factory=Counter)
    rate_limited_until: dict[str, datetime] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    out_of_time: bool = False

    def note(self, text: str) -> None:
        if text not in self.notes:
            self.notes.append(text)

    @property
    def next_retry_at(self) -> datetime | None:
        return min(self.rate_limited_until.values(), default=None)


def sources_from_settings(
    *, names: Sequence[str] | None = None, spotify: SpotifyClient | None = None
) -> list[FeatureSource]:
    """The configured chain; "spotify" stands for its metadata and audio-feature sources,
    which share one client (one token), ``spotify`` if given."""
    names = list(names if names is not None else settings.MUSICFLOW_FEATURE_SOURCES)
    if spotify is None and spotify_configured():
        spotify = SpotifyClient.from_settings()
    factories: dict[str, Callable[[], list[FeatureSource]]] = {
        "catalog": lambda: [CatalogSource()],
        "reccobeats": lambda: [ReccoBeatsSource()],
        "spotify": lambda: [SpotifyTracksSource(spotify), SpotifyAudioFeaturesSource(spotify)],
    }
    unknown = [name for name in names if name not in factories]
    if unknown:
        raise ImproperlyConfigured(
            f"MUSICFLOW_FEATURE_SOURCES has unknown sources {unknown}; known: {sorted(factories)}"
        )
    return [source for name in names for source in factories[name]()]


def tracks_pending(
    *, tracks: QuerySet[Track], sources: Sequence[FeatureSource]
) -> QuerySet[Track]:
    """The tracks some usable source should still be asked about."""
    condition = Q(pk__in=[])
    for source in sources:
        if source.unavailable_reason() is None:
            condition |= pending_q(source)
    return tracks.filter(condition)


def tracks_enrich(
    *,
    tracks: QuerySet[Track],
    sources: Sequence[FeatureSource] | None = None,
    deadline: float | None = None,
    on_batch: Callable[[EnrichReport], None] | None = None,
) -> EnrichReport:
    """Run the chain over ``tracks`` until done or ``deadline`` (time.monotonic())."""
    report = EnrichReport()
    for source in sources if sources is not None else sources_from_settings():
        _run_source(source, tracks=tracks, report=report, deadline=deadline, on_batch=on_batch)
        if report.out_of_time:
            break
    return report


def _run_source(
    source: FeatureSource,
    *,
    tracks: QuerySet[Track],
    report: EnrichReport,
    deadline: float | None,
    on_batch: Callable[[EnrichReport], None] | None,
) -> None:
    reason = source.unavailable_reason()
    if reason:
        report.note(reason)
        return
    failed: set[int] = set()
    while True:
        if deadline is not None and time.monotonic() >= deadline:
            report.out_of_time = True
            return
        pending = tracks.filter(pending_q(source)).exclude(id__in=failed).order_by("id")
        batch = list(pending[: source.batch_size()])
        if not batch:
            return
        try:
            if source.remote:
                source_slot_acquire(source=source.limiter)
            supplied = source.fetch(batch)
        except CapabilityChanged as exc:
            report.note(str(exc))
            continue
        except RateLimited as exc:
            source_block(source=exc.source, until=exc.retry_at)
            report.rate_limited_until[source.raw_key] = exc.retry_at
            report.note(f"{exc.source} rate-limited: retrying after {exc.retry_at:%H:%M:%S} UTC")
            return
        except SourceUnavailable as exc:
            if exc.permanent and exc.reason in _STOP_REASONS:
                report.note(str(exc))
                return
            logger.warning("%s batch of %d failed: %s", source.raw_key, len(batch), exc)
            failed.update(track.id for track in batch)
            report.failed_batches[source.raw_key] += 1
            if exc.reason in _UNREACHABLE_REASONS:
                report.note(f"{exc}: {source.raw_key} skipped for the rest of this run")
                return
            continue
        _save(source, supplied=supplied, report=report)
        if on_batch is not None:
            on_batch(report)


def _save(source: FeatureSource, *, supplied: dict[int, Supplied], report: EnrichReport) -> None:
    """Apply one batch's answers to freshly read rows, in one transaction, so two
    workers enriching the same track never overwrite each other's values."""
    now = timezone.now()
    upgradable = getattr(source, "upgradable", ())
    renamed = []
    with transaction.atomic():
        fresh = list(Track.objects.select_for_update().filter(id__in=list(supplied)))
        for track in fresh:
            # One narrow UPDATE per track: far cheaper than a bulk_update whose CASE
            # expressions cover every column any track of the batch might change.
            filled = track_answer_save(
                track,
                source=source.name,
                raw_key=source.raw_key,
                supplied=supplied[track.id],
                fetched_at=now,
                upgradable=upgradable,
            )
            if filled is None:
                continue  # another worker answered it meanwhile
            report.answered[source.raw_key] += 1
            report.filled[source.raw_key] += bool(filled)
            if {"name", "artists"} & set(filled):
                renamed.append(track)
        if renamed:
            name_index_add(tracks=renamed)
