"""What a feature source is, and how what it supplies lands on a Track.

A source fills only fields that are still missing, records itself as the source of
each field it filled (``Track.field_sources``) and keeps what it returned, with the
fetch time, under its own key in ``Track.raw_sources`` — including "I do not know this
track" (data null), so the same question is never asked twice.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from django.db.models import Q

from streams.models import AUDIO_FEATURE_FIELDS, Track

# Values taken from the export itself; a real source may replace them.
PROVISIONAL_SOURCES = frozenset({"history"})
# Track fields that are text and "missing" when blank rather than null.
_TEXT_FIELDS = frozenset(
    {"name", "primary_artist", "album_name", "release_date", "release_date_precision", "isrc"}
)
_MAX_LENGTH = {"name": 512, "album_name": 512, "release_date": 10, "isrc": 12}


@dataclass(frozen=True)
class Supplied:
    """A source's answer for one track: the Track values it offers and its raw JSON
    (None when the source does not know the track)."""

    values: dict[str, Any]
    raw: Any = None


class FeatureSource(Protocol):
    """One link of the chain (see ``streams.sources.chain``)."""

    name: str  # recorded in Track.field_sources
    raw_key: str  # key in Track.raw_sources; present = this source has answered
    fields: tuple[str, ...]  # Track fields it can supply
    remote: bool  # calls an external service (needs a Spotify id, is rate limited)
    limiter: str  # the rate limiter it shares ("spotify", "reccobeats")

    def unavailable_reason(self) -> str | None:
        """Why the source cannot be used right now, or None."""
        ...

    def batch_size(self) -> int: ...

    def fetch(self, tracks: Sequence[Track]) -> dict[int, Supplied]:
        """Answers keyed by Track.id; raises SourceError subclasses for the whole batch."""
        ...


def missing_q(fields: Iterable[str]) -> Q:
    """Tracks lacking at least one of ``fields``."""
    condition = Q()
    for field in fields:
        condition |= Q(**{field: ""}) if field in _TEXT_FIELDS else Q(**{f"{field}__isnull": True})
    return condition


def pending_q(source: FeatureSource) -> Q:
    """Tracks this source should still be asked about."""
    condition = missing_q(source.fields) & ~Q(raw_sources__has_key=source.raw_key)
    if source.remote:
        condition &= Q(spotify_id__isnull=False)
    return condition


def _is_missing(track: Track, field: str) -> bool:
    value = getattr(track, field)
    return value in ("", None, [])


def _clean(field: str, value: Any) -> Any:
    if isinstance(value, str) and field in _MAX_LENGTH:
        value = value[: _MAX_LENGTH[field]]
        if field == "isrc" and len(value) != 12:
            return None
    return value


def track_apply(
    track: Track,
    *,
    source: str,
    raw_key: str,
    supplied: Supplied,
    fetched_at: datetime,
    upgradable: Iterable[str] = (),
) -> list[str]:
    """Fill ``track``'s missing fields (and provisional ones in ``upgradable``) from
    ``supplied``; record provenance. Returns the fields filled. Does not save."""
    sources = dict(track.field_sources or {})
    upgradable = set(upgradable)
    filled = []
    for field, value in supplied.values.items():
        value = _clean(field, value)
        provisional = field in upgradable and sources.get(field) in PROVISIONAL_SOURCES
        if value is None or not (_is_missing(track, field) or provisional):
            continue
        setattr(track, field, value)
        sources[field] = source
        filled.append(field)
    if "artists" in filled and track.artists:
        track.primary_artist = (track.artists[0].get("name") or "")[:512]
    track.field_sources = sources
    track.raw_sources = {
        **(track.raw_sources or {}),
        raw_key: {"fetched_at": fetched_at.isoformat(), "data": supplied.raw},
    }
    _record_provenance(track, filled=filled, fetched_at=fetched_at)
    return filled


def track_answer_save(
    track: Track,
    *,
    source: str,
    raw_key: str,
    supplied: Supplied,
    fetched_at: datetime,
    upgradable: Iterable[str] = (),
) -> list[str] | None:
    """Store a source's answer on a row read for update: apply it and save the columns
    it changed. None (and nothing written) when the source had already answered."""
    if raw_key in (track.raw_sources or {}):
        return None
    filled = track_apply(
        track,
        source=source,
        raw_key=raw_key,
        supplied=supplied,
        fetched_at=fetched_at,
        upgradable=upgradable,
    )
    track.updated_at = fetched_at
    track.save(update_fields=applied_fields(filled))
    return filled


def _record_provenance(track: Track, *, filled: list[str], fetched_at: datetime) -> None:
    """metadata_source / features_source name every source that supplied that group."""
    if not filled:
        return
    sources = track.field_sources
    feature_sources = _joined(sources.get(f) for f in AUDIO_FEATURE_FIELDS)
    metadata_sources = _joined(v for f, v in sources.items() if f not in AUDIO_FEATURE_FIELDS)
    if any(f in AUDIO_FEATURE_FIELDS for f in filled):
        track.features_source = feature_sources[:32]
        track.features_fetched_at = fetched_at
    if any(f not in AUDIO_FEATURE_FIELDS for f in filled):
        track.metadata_source = metadata_sources[:32]
        track.metadata_fetched_at = fetched_at


def _joined(names: Iterable[str | None]) -> str:
    return "+".join(dict.fromkeys(name for name in names if name))


def applied_fields(filled: Iterable[str]) -> list[str]:
    """The columns track_apply changed, given the fields it filled (for save())."""
    filled = list(filled)
    columns = [*filled, "field_sources", "raw_sources", "updated_at"]
    if "artists" in filled:
        columns.append("primary_artist")
    if any(f in AUDIO_FEATURE_FIELDS for f in filled):
        columns += ["features_source", "features_fetched_at"]
    if any(f not in AUDIO_FEATURE_FIELDS for f in filled):
        columns += ["metadata_source", "metadata_fetched_at"]
    return columns
