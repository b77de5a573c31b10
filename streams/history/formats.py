"""Which export file a JSON document is, decided from its keys, never from its name.

Spotify has renamed its files several times (StreamingHistory0.json,
StreamingHistory_music_0.json, endsong_0.json, Streaming_History_Audio_2024_0.json),
while the keys of each kind have stayed recognisable.
"""

from __future__ import annotations

from typing import Any

from .records import FileFormat

ACCOUNT_MUSIC_KEYS = frozenset({"endTime", "artistName", "trackName", "msPlayed"})
ACCOUNT_PODCAST_KEYS = frozenset({"endTime", "podcastName", "episodeName", "msPlayed"})
ACCOUNT_AUDIOBOOK_KEYS = frozenset({"endTime", "audiobookName", "chapterName", "msPlayed"})
# Present in both extended schemas (current Streaming_History_Audio_* and old endsong_*).
EXTENDED_KEYS = frozenset(
    {
        "ts",
        "ms_played",
        "master_metadata_track_name",
        "master_metadata_album_artist_name",
        "spotify_track_uri",
    }
)
# Only the old (endsong) schema has these; we recognise them and never read them.
LEGACY_ONLY_KEYS = frozenset({"username", "ip_addr_decrypted", "user_agent_decrypted"})
LIBRARY_TRACK_KEYS = frozenset({"artist", "track", "uri"})


def file_format_detect(document: Any) -> FileFormat:
    """The kind of export file `document` (parsed JSON) is.

    Lists are classified by the keys of their first row; `parsing` then holds every
    row to the shape of that kind, so a file cannot mix kinds unnoticed.
    """
    if isinstance(document, dict):
        return _dict_format(document)
    if not isinstance(document, list):
        return FileFormat.OTHER
    if not document:
        return FileFormat.EMPTY
    first = document[0]
    if not isinstance(first, dict):
        return FileFormat.OTHER
    return _row_format(first.keys())


def _dict_format(document: dict[str, Any]) -> FileFormat:
    tracks = document.get("tracks")
    if isinstance(tracks, list) and (
        not tracks or (isinstance(tracks[0], dict) and tracks[0].keys() >= LIBRARY_TRACK_KEYS)
    ):
        return FileFormat.LIBRARY
    return FileFormat.OTHER


def _row_format(keys: Any) -> FileFormat:
    keys = frozenset(keys)
    if keys >= ACCOUNT_MUSIC_KEYS:
        return FileFormat.ACCOUNT_MUSIC
    if keys >= ACCOUNT_PODCAST_KEYS:
        return FileFormat.ACCOUNT_PODCAST
    if keys >= ACCOUNT_AUDIOBOOK_KEYS:
        return FileFormat.ACCOUNT_AUDIOBOOK
    if any("video" in key for key in keys):
        return FileFormat.VIDEO
    if keys >= EXTENDED_KEYS:
        return FileFormat.EXTENDED_LEGACY if keys & LEGACY_ONLY_KEYS else FileFormat.EXTENDED
    if {"ts", "ms_played"} <= keys:
        # Extended-export rows with no track fields: the video history file.
        return FileFormat.VIDEO
    return FileFormat.OTHER
