"""Generated Spotify exports with counts known by construction (for fault tests).

Rows follow the current extended schema (``Streaming_History_Audio_*.json``). Every music
row ends in its own minute, so none is a duplicate of another and the
import must store exactly ``plays`` plays; every ``podcast_every``-th row is a podcast
episode, which the import counts as skipped ("podcast").
"""

from __future__ import annotations

import json
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


def _row(*, ts: datetime, index: int, tag: str, podcast: bool) -> dict[str, object]:
    track = index % TRACKS
    return {
        "ts": ts.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "platform": "android",
        "ms_played": 30_000 + index % 200_000,
        "conn_country": "DE",
        "ip_addr": "192.0.2.1",
        "master_metadata_track_name": None if podcast else f"{tag} song {track}",
        "master_metadata_album_artist_name": None if podcast else f"{tag} artist {track % 97}",
        "master_metadata_album_album_name": None if podcast else f"{tag} album {track % 101}",
        "spotify_track_uri": None if podcast else f"spotify:track:{_spotify_id(track)}",
        "episode_name": f"{tag} episode {index}" if podcast else None,
        "episode_show_name": f"{tag} show" if podcast else None,
        "spotify_episode_uri": f"spotify:episode:{_spotify_id(index)}" if podcast else None,
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
    *, rows: int, tag: str = "gen", podcast_every: int = 50, start: datetime | None = None
) -> GeneratedHistory:
    """``rows`` rows, one minute apart; the tag keeps two histories' plays distinct."""
    first = start or datetime(2020, 1, 1, tzinfo=UTC)
    document = []
    podcasts = 0
    for index in range(rows):
        podcast = index % podcast_every == podcast_every - 1
        podcasts += podcast
        ts = first + timedelta(minutes=index)
        document.append(_row(ts=ts, index=index, tag=tag, podcast=podcast))
    data = json.dumps(document).encode()
    name = f"Streaming_History_Audio_{tag}_{rows}.json"
    return GeneratedHistory(name=name, data=data, plays=rows - podcasts, podcasts=podcasts)
