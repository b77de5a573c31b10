"""Export rows and files for the history-import tests, shaped like Spotify's."""

from __future__ import annotations

import io
import json
import zipfile
from pathlib import Path
from typing import Any


def extended_row(**overrides: Any) -> dict[str, Any]:
    """A music row of the current extended schema (23 keys, like the real files)."""
    row: dict[str, Any] = {
        "ts": "2024-07-03T14:26:57Z",
        "platform": "android",
        "ms_played": 180_000,
        "conn_country": "PK",
        "ip_addr": "192.0.2.2",
        "master_metadata_track_name": "Tera Fitoor",
        "master_metadata_album_artist_name": "Arijit Singh",
        "master_metadata_album_album_name": "Genius",
        "spotify_track_uri": "spotify:track:1YMLgvsQdE27r30q0fsLeV",
        "episode_name": None,
        "episode_show_name": None,
        "spotify_episode_uri": None,
        "audiobook_title": None,
        "audiobook_uri": None,
        "audiobook_chapter_uri": None,
        "audiobook_chapter_title": None,
        "reason_start": "clickrow",
        "reason_end": "trackdone",
        "shuffle": False,
        "skipped": False,
        "offline": False,
        "offline_timestamp": 1720016800,
        "incognito_mode": False,
    }
    row.update(overrides)
    return row


def legacy_row(**overrides: Any) -> dict[str, Any]:
    """A row of the old endsong schema: username, decrypted IP and user agent, ms offline."""
    row: dict[str, Any] = {
        "ts": "2019-11-05T14:21:01Z",
        "username": "listener-secret-name",
        "platform": "iOS 14.7.1 (iPhone10,3)",
        "ms_played": 215_000,
        "conn_country": "SI",
        "ip_addr_decrypted": "198.51.100.77",
        "user_agent_decrypted": "unknown-secret-agent",
        "master_metadata_track_name": "Andromeda (feat. DRAM)",
        "master_metadata_album_artist_name": "Gorillaz",
        "master_metadata_album_album_name": "Humanz",
        "spotify_track_uri": "spotify:track:2C0KFbb4v9CNWR5c9jWcKC",
        "episode_name": None,
        "episode_show_name": None,
        "spotify_episode_uri": None,
        "reason_start": "trackdone",
        "reason_end": "trackdone",
        "shuffle": False,
        "skipped": None,
        "offline": False,
        "offline_timestamp": 1572964071330,
        "incognito_mode": False,
    }
    row.update(overrides)
    return row


def account_row(
    end_time: str = "2023-10-02 23:43",
    track: str = "Go Outside",
    artist: str = "Cults",
    ms: int = 51_223,
) -> dict[str, Any]:
    return {"endTime": end_time, "artistName": artist, "trackName": track, "msPlayed": ms}


def podcast_row(**overrides: Any) -> dict[str, Any]:
    return extended_row(
        master_metadata_track_name=None,
        master_metadata_album_artist_name=None,
        master_metadata_album_album_name=None,
        spotify_track_uri=None,
        episode_name="An episode",
        episode_show_name="A show",
        spotify_episode_uri="spotify:episode:5hGyOm4PLJXlHWJVnMbAcX",
        **overrides,
    )


def audiobook_row(**overrides: Any) -> dict[str, Any]:
    return extended_row(
        master_metadata_track_name=None,
        master_metadata_album_artist_name=None,
        master_metadata_album_album_name=None,
        spotify_track_uri=None,
        audiobook_title="A book",
        audiobook_uri="spotify:show:0A0A0A0A0A0A0A0A0A0A0A",
        audiobook_chapter_uri="spotify:episode:0B0B0B0B0B0B0B0B0B0B0B",
        audiobook_chapter_title="Chapter 1",
        **overrides,
    )


def all_null_row() -> dict[str, Any]:
    return dict.fromkeys(extended_row())


def distinct_extended_rows(count: int, *, start_minute: int = 0) -> list[dict[str, Any]]:
    """`count` music rows that are all different plays (one per minute)."""
    rows = []
    for n in range(start_minute, start_minute + count):
        day, minute = divmod(n, 1440)
        hour, minute = divmod(minute, 60)
        rows.append(
            extended_row(
                ts=f"2024-07-{3 + day:02d}T{hour:02d}:{minute:02d}:30Z",
                master_metadata_track_name=f"Song {n}",
                ms_played=60_000 + n,
            )
        )
    return rows


def write_json(path: Path, document: Any) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(document), encoding="utf-8")
    return path


def zip_bytes(members: dict[str, bytes | str | list | dict]) -> bytes:
    """A deflated zip; list/dict members are written as JSON."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name, content in members.items():
            if isinstance(content, list | dict):
                content = json.dumps(content)
            archive.writestr(name, content)
    return buffer.getvalue()
