"""The interface every resolution step implements, and the record it receives.

A step gets the plays still unresolved after the steps before it and returns the
ones it could match, as {play id: track id}. Steps never write plays themselves:
the orchestrator (`streams.resolution.service.plays_resolve`) does that in bulk, so
a step is easy to add, to test, and to run in any order.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Protocol, runtime_checkable


@dataclass(frozen=True, slots=True)
class PendingPlay:
    """What a step may use to match one play."""

    id: int
    track_name: str
    artist_name: str
    album_name: str
    spotify_track_uri: str
    resolve_attempts: int

    @property
    def spotify_track_id(self) -> str | None:
        uri = self.spotify_track_uri
        return uri.rsplit(":", 1)[-1] if uri.startswith("spotify:track:") else None


@runtime_checkable
class ResolutionStep(Protocol):
    """One way of matching plays to tracks.

    `name` labels the step in reports (`ResolveReport.by_step`); `needs_network`
    tells the orchestrator's callers whether the step may run during an offline
    import. Many plays share a name, so a network step should group them by
    (track_name, artist_name) before asking anyone.
    """

    name: str
    needs_network: bool

    def __call__(self, *, plays: Sequence[PendingPlay]) -> Mapping[int, int]: ...
