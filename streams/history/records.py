"""Records that cross the boundary between export parsing and the import service."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum


class FileFormat(StrEnum):
    """What an export file is, decided from its keys (see `formats.file_format_detect`)."""

    ACCOUNT_MUSIC = "account_music"
    ACCOUNT_PODCAST = "account_podcast"
    ACCOUNT_AUDIOBOOK = "account_audiobook"
    EXTENDED = "extended"
    EXTENDED_LEGACY = "extended_legacy"
    LIBRARY = "library"
    VIDEO = "video"
    EMPTY = "empty"
    OTHER = "other"


# Files whose rows are plays (or podcast/audiobook rows counted as skipped).
PLAY_FORMATS: frozenset[FileFormat] = frozenset(
    {
        FileFormat.ACCOUNT_MUSIC,
        FileFormat.ACCOUNT_PODCAST,
        FileFormat.ACCOUNT_AUDIOBOOK,
        FileFormat.EXTENDED,
        FileFormat.EXTENDED_LEGACY,
    }
)


class SkipReason(StrEnum):
    """Why a row (or a whole file) was not stored as a play; the import report counts each."""

    # Rows.
    PODCAST = "podcast"
    AUDIOBOOK = "audiobook"
    ALL_NULL = "all_null"
    NO_TRACK_NAME = "no_track_name"
    UNKNOWN_TRACK = "unknown_track"
    ZERO_MS = "zero_ms"
    # Whole files.
    VIDEO_FILE = "video_file"
    OTHER_FILE = "other_file"
    EMPTY_FILE = "empty_file"
    NON_JSON_FILE = "non_json_file"


@dataclass(slots=True)
class PlayRecord:
    """One music play as exported, cleaned: names trimmed to the model's lengths.

    `played_at` is when the play ended, aware and in UTC. Fields the export kind does
    not have are empty / None. Nothing identifying the listener's device or network
    (IP address, user agent, username) ever gets here.
    """

    played_at: datetime
    ms_played: int
    track_name: str
    artist_name: str
    album_name: str
    spotify_track_uri: str
    platform: str
    reason_start: str
    reason_end: str
    shuffle: bool | None
    skipped: bool | None
    offline: bool | None
    incognito_mode: bool | None
    dedupe_key: str


@dataclass(frozen=True, slots=True)
class LibraryTrack:
    """A saved track from YourLibrary.json: the only Spotify ids an account-data export has."""

    spotify_id: str
    name: str
    artist: str
    album: str


@dataclass(frozen=True, slots=True)
class JsonSource:
    """A JSON document to read: `name` is a label for messages, never a file-system path."""

    name: str
    data: bytes


@dataclass(frozen=True, slots=True)
class SkippedSource:
    """A file the reader did not read (not JSON); counted in the report."""

    name: str
    reason: SkipReason
