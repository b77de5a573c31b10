"""Generated Spotify exports with counts known by construction (for fault tests).

Rows follow the current extended schema (``Streaming_History_Audio_*.json``). Every music
row ends in its own minute, so none is a duplicate of another and the
import must store exactly ``plays`` plays; every ``podcast_every``-th row is a podcast
episode, which the import counts as skipped ("podcast").
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

# Distinct tracks per history: plays repeat them, as a real listener does.
TRACKS = 400
_ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"


@dataclass(frozen=True)
class GeneratedHistory:
    name: str
    data: bytes
    plays: int
    podcasts: int

    @property
    def rows(self) -> int:
        return self.plays + self.podcasts


def _spotify_id(number: int) -> str:
    digits = []
    for _ in range(22):
        number, digit = divmod(number, len(_ALPHABET))
        digits.append(_ALPHABET[digit])
    return "".join(reversed(digits))


@dataclass(frozen=True)
class TrackRef:
    """A track as an export names it."""

    name: str
    artist: str
    album: str
    spotify_id: str


def _generated_tracks(tag: str) -> list[TrackRef]:
    return [
        TrackRef(
            name=f"{tag} song {n}",
            artist=f"{tag} artist {n % 97}",
            album=f"{tag} album {n % 101}",
            spotify_id=_spotify_id(n),
        )
        for n in range(TRACKS)
    ]


def _row(*, ts: datetime, index: int, tag: str, track: TrackRef | None) -> dict[str, object]:
    """One row; ``track`` None makes it a podcast episode."""
    music = track is not None
    return {
        "ts": ts.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "platform": "android",
        "ms_played": 30_000 + index % 200_000,
        "conn_country": "DE",
        "ip_addr": "192.0.2.1",
        "master_metadata_track_name": track.name if music else None,
        "master_metadata_album_artist_name": track.artist if music else None,
        "master_metadata_album_album_name": track.album if music else None,
        "spotify_track_uri": f"spotify:track:{track.spotify_id}" if music else None,
        "episode_name": None if music else f"{tag} episode {index}",
        "episode_show_name": None if music else f"{tag} show",
        "spotify_episode_uri": None if music else f"spotify:episode:{_spotify_id(index)}",
        "audiobook_title": None,
        "audiobook_uri": None,
        "audiobook_chapter_uri": None,
        "audiobook_chapter_title": None,
        "reason_start": "trackdone",
        "reason_end": "trackdone",
        "shuffle": False,
        "skipped": False,
        "offline": False,
        "offline_timestamp": int(ts.timestamp()),
        "incognito_mode": False,
    }


def extended_history(
    *,
    rows: int,
    tag: str = "gen",
    podcast_every: int = 50,
    start: datetime | None = None,
    tracks: Sequence[TrackRef] | None = None,
) -> GeneratedHistory:
    """``rows`` rows, one minute apart, cycling through ``tracks`` (default: TRACKS
    generated ones named after ``tag``, which keeps two histories' plays distinct)."""
    first = start or datetime(2020, 1, 1, tzinfo=UTC)
    played = list(tracks) if tracks is not None else _generated_tracks(tag)
    document = []
    podcasts = 0
    for index in range(rows):
        podcast = index % podcast_every == podcast_every - 1
        podcasts += podcast
        track = None if podcast else played[index % len(played)]
        ts = first + timedelta(minutes=index)
        document.append(_row(ts=ts, index=index, tag=tag, track=track))
    data = json.dumps(document).encode()
    name = f"Streaming_History_Audio_{tag}_{rows}.json"
    return GeneratedHistory(name=name, data=data, plays=rows - podcasts, podcasts=podcasts)
