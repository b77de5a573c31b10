"""Spotify as two feature sources: track metadata and audio features.

Both endpoints that Development-mode apps lose (batch tracks, audio features) are
tried once; a 403 parks the capability (see ``capabilities``). Metadata then comes
one track per request; audio features come from the sources before Spotify.
"""

from __future__ import annotations

from collections.abc import Sequence

from streams.clients.errors import SourceUnavailable
from streams.clients.spotify import (
    AUDIO_FEATURES_BATCH_MAX,
    SOURCE,
    TRACKS_BATCH_MAX,
    SpotifyClient,
    spotify_configured,
)
from streams.models import AUDIO_FEATURE_FIELDS, Track
from streams.sources.base import Supplied
from streams.sources.capabilities import (
    capability_mark_unavailable,
    capability_unavailable_until,
)

BATCH_TRACKS = "batch_tracks"
AUDIO_FEATURES = "audio_features"
NOT_CONFIGURED = "Spotify not configured (SPOTIFY_CLIENT_ID is empty): Spotify steps skipped"


class CapabilityChanged(Exception):
    """A capability turned out to be unavailable; the caller re-plans its batches."""


class _SpotifySource:
    name = SOURCE
    remote = True
    limiter = SOURCE
    capability = ""

    def __init__(self, client: SpotifyClient | None = None) -> None:
        self._client = client

    @property
    def client(self) -> SpotifyClient:
        if self._client is None:
            self._client = SpotifyClient.from_settings()
        return self._client

    def unavailable_reason(self) -> str | None:
        if self._client is None and not spotify_configured():
            return NOT_CONFIGURED
        return None

    def _park(self, capability: str, exc: SourceUnavailable) -> SourceUnavailable:
        """Mark ``capability`` unavailable; the error to report in its place."""
        until = capability_mark_unavailable(source=SOURCE, capability=capability, reason=str(exc))
        return SourceUnavailable(
            f"Spotify {capability} answered 403; not asked again before {until:%Y-%m-%d %H:%M} UTC",
            source=SOURCE,
            permanent=True,
            reason="forbidden",
            status=403,
        )


class SpotifyTracksSource(_SpotifySource):
    """Metadata: album, release date, duration, explicit, ISRC; popularity and markets
    only for extended-quota apps. Replaces the provisional names a stub took from the
    export."""

    raw_key = SOURCE
    fields = (
        "album_name",
        "release_date",
        "release_date_precision",
        "duration_ms",
        "explicit",
        "popularity",
        "available_markets_count",
        "isrc",
    )
    upgradable = ("name", "artists", "album_name")

    def batch_size(self) -> int:
        parked = capability_unavailable_until(source=SOURCE, capability=BATCH_TRACKS)
        return 1 if parked else TRACKS_BATCH_MAX

    def fetch(self, tracks: Sequence[Track]) -> dict[int, Supplied]:
        if len(tracks) == 1:
            found = {tracks[0].spotify_id: self.client.track_get(spotify_id=tracks[0].spotify_id)}
        else:
            try:
                found = self.client.tracks_get(spotify_ids=[t.spotify_id for t in tracks])
            except SourceUnavailable as exc:
                if not exc.forbidden:
                    raise
                raise CapabilityChanged(str(self._park(BATCH_TRACKS, exc))) from exc
        answers = {}
        for track in tracks:
            metadata = found.get(track.spotify_id)
            answers[track.id] = (
                Supplied(values=metadata.values(), raw=dict(metadata.raw))
                if metadata
                else Supplied(values={})
            )
        return answers


class SpotifyAudioFeaturesSource(_SpotifySource):
    raw_key = "spotify_audio_features"
    fields = AUDIO_FEATURE_FIELDS

    def unavailable_reason(self) -> str | None:
        reason = super().unavailable_reason()
        if reason:
            return reason
        parked = capability_unavailable_until(source=SOURCE, capability=AUDIO_FEATURES)
        if parked:
            return f"Spotify audio features unavailable (403) until {parked:%Y-%m-%d %H:%M} UTC"
        return None

    def batch_size(self) -> int:
        return AUDIO_FEATURES_BATCH_MAX

    def fetch(self, tracks: Sequence[Track]) -> dict[int, Supplied]:
        try:
            found = self.client.audio_features_get(spotify_ids=[t.spotify_id for t in tracks])
        except SourceUnavailable as exc:
            if exc.forbidden:
                raise self._park(AUDIO_FEATURES, exc) from exc
            raise
        answers = {}
        for track in tracks:
            features = found.get(track.spotify_id)
            answers[track.id] = (
                Supplied(values=features.values(), raw=dict(features.raw))
                if features
                else Supplied(values={})
            )
        return answers
