"""ReccoBeats as a feature source: audio features (no time_signature) in batches of 40."""

from __future__ import annotations

from collections.abc import Sequence

from streams.clients.reccobeats import BATCH_MAX, SOURCE, ReccoBeatsClient
from streams.models import AUDIO_FEATURE_FIELDS, Track
from streams.sources.base import Supplied


class ReccoBeatsSource:
    name = SOURCE
    raw_key = SOURCE
    # ReccoBeats never returns time_signature: asking it for that alone is pointless.
    fields = tuple(f for f in AUDIO_FEATURE_FIELDS if f != "time_signature")
    remote = True
    limiter = SOURCE

    def __init__(self, client: ReccoBeatsClient | None = None) -> None:
        self._client = client

    @property
    def client(self) -> ReccoBeatsClient:
        if self._client is None:
            self._client = ReccoBeatsClient.from_settings()
        return self._client

    def unavailable_reason(self) -> str | None:
        return None

    def batch_size(self) -> int:
        return BATCH_MAX

    def fetch(self, tracks: Sequence[Track]) -> dict[int, Supplied]:
        found = self.client.audio_features_get(spotify_ids=[t.spotify_id for t in tracks])
        answers = {}
        for track in tracks:
            features = found.get(track.spotify_id)
            values = features.values() if features else {}
            if features and features.isrc:
                values["isrc"] = features.isrc
            answers[track.id] = Supplied(
                values=values, raw=dict(features.raw) if features else None
            )
        return answers
