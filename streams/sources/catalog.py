"""The local catalog as a feature source: no network, first in the chain by default.

A track the catalog CSVs did not contain under its own Spotify id (a single vs. the
album release, a regional re-release) may still be the same recording as a catalog
track. Audio features describe the recording, so they are copied from a catalog
track with the same ISRC, or else with the same name key (normalised title + primary
artist, remaster labels folded) whose duration agrees within 3 seconds when both are
known. The copy names the catalog track it came from.
"""

from __future__ import annotations

from collections.abc import Sequence

from django.db.models import Q

from streams.models import AUDIO_FEATURE_FIELDS, Track
from streams.resolution.normalize import name_key
from streams.resolution.offline import chunked, track_ids_by_name_key
from streams.sources.base import Supplied

SOURCE = "catalog"
DURATION_TOLERANCE_MS = 3_000


def _donors(condition: Q) -> list[Track]:
    """Tracks whose features came from a catalog file."""
    return list(
        Track.objects.filter(condition, field_sources__danceability=SOURCE).only(
            "id", "spotify_id", "isrc", "duration_ms", *AUDIO_FEATURE_FIELDS
        )
    )


def _durations_agree(track: Track, donor: Track) -> bool:
    if track.duration_ms is None or donor.duration_ms is None:
        return True
    return abs(track.duration_ms - donor.duration_ms) <= DURATION_TOLERANCE_MS


class CatalogSource:
    name = SOURCE
    raw_key = SOURCE
    fields = AUDIO_FEATURE_FIELDS
    remote = False
    limiter = ""

    def unavailable_reason(self) -> str | None:
        return None

    def batch_size(self) -> int:
        return 500

    def fetch(self, tracks: Sequence[Track]) -> dict[int, Supplied]:
        own_ids = [t.id for t in tracks]
        by_isrc = self._by_isrc(tracks, exclude=own_ids)
        by_key = self._by_name_key(tracks, exclude=own_ids)
        answers = {}
        for track in tracks:
            donor, matched_by = by_isrc.get(track.isrc), "isrc"
            if donor is None:
                donor, matched_by = by_key.get(track.id), "name"
            if donor is None or not _durations_agree(track, donor):
                answers[track.id] = Supplied(values={})
                continue
            values = {f: getattr(donor, f) for f in AUDIO_FEATURE_FIELDS}
            values = {f: v for f, v in values.items() if v is not None}
            raw = {
                "matched_by": matched_by,
                "track_id": donor.id,
                "spotify_id": donor.spotify_id,
                "features": values,
            }
            answers[track.id] = Supplied(values=values, raw=raw)
        return answers

    def _by_isrc(self, tracks: Sequence[Track], *, exclude: list[int]) -> dict[str, Track]:
        isrcs = sorted({t.isrc for t in tracks if t.isrc})
        found: dict[str, Track] = {}
        for chunk in chunked(isrcs):
            for donor in _donors(Q(isrc__in=chunk) & ~Q(id__in=exclude)):
                found.setdefault(donor.isrc, donor)
        return found

    def _by_name_key(self, tracks: Sequence[Track], *, exclude: list[int]) -> dict[int, Track]:
        keys = {t.id: name_key(t.name, t.primary_artist) for t in tracks if t.name}
        key_owner = track_ids_by_name_key(keys=keys.values())
        owners = {owner for owner in key_owner.values() if owner not in exclude}
        donors = {d.id: d for chunk in chunked(sorted(owners)) for d in _donors(Q(id__in=chunk))}
        return {
            track_id: donors[key_owner[key]]
            for track_id, key in keys.items()
            if key_owner.get(key) in donors
        }
