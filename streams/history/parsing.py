"""Rows of an export file -> `PlayRecord`s and `SkipReason`s.

Every row of a file is held to the shape of the file's kind; the first row that does
not fit rejects the whole import with the file's name and the row's index, because a
file that is wrong in one row cannot be trusted in the others.

This runs once per exported row (millions for a long history), so the row functions
avoid per-row overhead: plain dict access, `type(...) is` checks, no regexes, and a
row whose fields all have their usual types is checked in one expression; anything
else goes through the field-by-field checks, which name the first bad field.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from streams.errors import ImportRejected

from .formats import EXTENDED_KEYS
from .identity import play_dedupe_key, play_minute
from .records import FileFormat, LibraryTrack, PlayRecord, SkipReason

# Column lengths of streams.models.Play; longer values are cut so every database
# stores the same text (SQLite would not enforce the limit, PostgreSQL would fail).
NAME_MAX = 512
URI_MAX = 64
PLATFORM_MAX = 255
REASON_MAX = 64

# What Spotify writes when it lost a play's metadata (local files, removed tracks).
UNKNOWN_TRACK = "Unknown Track"
UNKNOWN_ARTIST = "Unknown Artist"

_SPOTIFY_TRACK_URI = re.compile(r"^spotify:track:([0-9A-Za-z]{22})$")

RowOutcome = PlayRecord | SkipReason


class _BadRow(Exception):
    """A row does not have the shape of its file's kind (message says how)."""


def rows_parse(*, source_name: str, file_format: FileFormat, rows: list[Any]) -> list[RowOutcome]:
    """One outcome per row, in order; ImportRejected at the first bad row."""
    parse_row = _ROW_PARSERS[file_format]
    try:
        return [parse_row(row) for row in rows]
    except _BadRow:
        pass
    # Rare: find which row it was, for the message (rows before it parse again).
    for index, row in enumerate(rows):
        try:
            parse_row(row)
        except _BadRow as exc:
            raise ImportRejected(
                f"{source_name}: row {index} (counting from 0) is not a valid "
                f"{_FORMAT_LABELS[file_format]} row: {exc}"
            ) from None
    raise AssertionError("a row failed to parse once and not the second time")


def library_tracks_parse(*, source_name: str, document: dict[str, Any]) -> list[LibraryTrack]:
    """The saved tracks of YourLibrary.json that carry a Spotify track id, first one wins."""
    tracks: dict[str, LibraryTrack] = {}
    for index, entry in enumerate(document["tracks"]):
        try:
            track = _library_track(entry)
        except _BadRow as exc:
            raise ImportRejected(
                f"{source_name}: saved track {index} (counting from 0) is not valid: {exc}"
            ) from None
        if track is not None:
            tracks.setdefault(track.spotify_id, track)
    return list(tracks.values())


def _library_track(entry: Any) -> LibraryTrack | None:
    if type(entry) is not dict:
        raise _BadRow("expected an object")
    name = _required_str(entry, "track")
    artist = _required_str(entry, "artist")
    uri = _required_str(entry, "uri")
    album = _optional_str(entry, "album", NAME_MAX)
    match = _SPOTIFY_TRACK_URI.match(uri)
    if match is None or not name.strip():
        return None  # a local file or an episode: nothing to resolve against
    return LibraryTrack(
        spotify_id=match.group(1), name=name[:NAME_MAX], artist=artist[:NAME_MAX], album=album
    )


# --- extended streaming history (both schemas) ----------------------------------------


def _extended_row(row: Any) -> RowOutcome:
    if type(row) is not dict:
        raise _BadRow("expected an object")
    if not row.keys() >= EXTENDED_KEYS:
        missing = ", ".join(sorted(EXTENDED_KEYS - row.keys()))
        raise _BadRow(f"missing key(s) {missing}")
    track = row["master_metadata_track_name"]
    if not track:
        return _extended_non_music(row)
    if type(track) is not str:
        raise _BadRow("'master_metadata_track_name' must be text")
    played_at, minute = _extended_time(row)
    ms_played = row["ms_played"]
    if type(ms_played) is not int or ms_played < 0:
        ms_played = _milliseconds(row, "ms_played")  # raises, naming the problem
    artist = row["master_metadata_album_artist_name"]
    artist = (
        artist[:NAME_MAX]
        if type(artist) is str
        else _optional_str(row, "master_metadata_album_artist_name", NAME_MAX)
    )
    track = track[:NAME_MAX]
    if track == UNKNOWN_TRACK and artist == UNKNOWN_ARTIST:
        return SkipReason.UNKNOWN_TRACK
    if ms_played == 0:
        return SkipReason.ZERO_MS
    get = row.get
    album, uri, platform = (
        get("master_metadata_album_album_name"),
        row["spotify_track_uri"],
        get("platform"),
    )
    reason_start, reason_end = get("reason_start"), get("reason_end")
    if (
        type(album) is str
        and type(uri) is str
        and type(platform) is str
        and type(reason_start) is str
        and type(reason_end) is str
    ):
        album, uri, platform = album[:NAME_MAX], uri[:URI_MAX], platform[:PLATFORM_MAX]
        reason_start, reason_end = reason_start[:REASON_MAX], reason_end[:REASON_MAX]
    else:
        album = _optional_str(row, "master_metadata_album_album_name", NAME_MAX)
        uri = _optional_str(row, "spotify_track_uri", URI_MAX)
        platform = _optional_str(row, "platform", PLATFORM_MAX)
        reason_start = _optional_str(row, "reason_start", REASON_MAX)
        reason_end = _optional_str(row, "reason_end", REASON_MAX)
    shuffle, skipped, offline = get("shuffle"), get("skipped"), get("offline")
    incognito = get("incognito_mode")
    if not (
        type(shuffle) is bool
        and type(skipped) is bool
        and type(offline) is bool
        and type(incognito) is bool
    ):
        shuffle = _optional_bool(row, "shuffle")
        skipped = _optional_bool(row, "skipped")
        offline = _optional_bool(row, "offline")
        incognito = _optional_bool(row, "incognito_mode")
    return PlayRecord(
        played_at,
        ms_played,
        track,
        artist,
        album,
        uri,
        platform,
        reason_start,
        reason_end,
        shuffle,
        skipped,
        offline,
        incognito,
        play_dedupe_key(minute=minute, track_name=track, artist_name=artist, ms_played=ms_played),
    )


def _extended_time(row: dict[str, Any]) -> tuple[datetime, str]:
    """The play's end time and its identity minute.

    Spotify writes "2024-07-03T14:26:57Z": already UTC, so the minute is the text's
    first 16 characters, without formatting the datetime again. Every other spelling
    goes the long way.
    """
    value = row["ts"]
    if type(value) is str and len(value) == 20 and value[4::3] == "--T::Z":
        try:
            return datetime.fromisoformat(value), value[:16]
        except ValueError:
            pass  # _timestamp says what is wrong with it
    played_at = _timestamp(row, "ts")
    return played_at, play_minute(played_at)


def _extended_non_music(row: dict[str, Any]) -> SkipReason:
    if row.get("episode_name") or row.get("episode_show_name") or row.get("spotify_episode_uri"):
        reason = SkipReason.PODCAST
    elif (
        row.get("audiobook_title")
        or row.get("audiobook_uri")
        or row.get("audiobook_chapter_uri")
        or row.get("audiobook_chapter_title")
    ):
        reason = SkipReason.AUDIOBOOK
    elif row.get("spotify_track_uri"):
        reason = SkipReason.NO_TRACK_NAME
    else:
        # Real exports contain rare rows with no content at all; their time and
        # duration may be null too, so they are counted without further checks.
        return SkipReason.ALL_NULL
    _timestamp(row, "ts")
    _milliseconds(row, "ms_played")
    return reason


# --- account data ---------------------------------------------------------------------


def _account_music_row(row: Any) -> RowOutcome:
    if type(row) is not dict:
        raise _BadRow("expected an object")
    played_at = _minute_timestamp(row, "endTime")
    ms_played = _milliseconds(row, "msPlayed")
    track = _required_str(row, "trackName")[:NAME_MAX]
    artist = _required_str(row, "artistName")[:NAME_MAX]
    if not track.strip():
        return SkipReason.NO_TRACK_NAME
    if track == UNKNOWN_TRACK and artist == UNKNOWN_ARTIST:
        return SkipReason.UNKNOWN_TRACK
    if ms_played == 0:
        return SkipReason.ZERO_MS
    return PlayRecord(
        played_at=played_at,
        ms_played=ms_played,
        track_name=track,
        artist_name=artist,
        album_name="",
        spotify_track_uri="",
        platform="",
        reason_start="",
        reason_end="",
        shuffle=None,
        skipped=None,
        offline=None,
        incognito_mode=None,
        dedupe_key=play_dedupe_key(
            minute=play_minute(played_at),
            track_name=track,
            artist_name=artist,
            ms_played=ms_played,
        ),
    )


def _account_other_row(reason: SkipReason) -> Callable[[Any], RowOutcome]:
    def parse(row: Any) -> RowOutcome:
        if type(row) is not dict:
            raise _BadRow("expected an object")
        _minute_timestamp(row, "endTime")
        _milliseconds(row, "msPlayed")
        return reason

    return parse


# --- field checks ---------------------------------------------------------------------


def _required_str(row: dict[str, Any], key: str) -> str:
    value = row.get(key)
    if type(value) is not str:
        raise _BadRow(f"'{key}' must be text, got {_describe(value, key in row)}")
    return value


def _optional_str(row: dict[str, Any], key: str, max_length: int) -> str:
    value = row.get(key)
    if value is None:
        return ""
    if type(value) is not str:
        raise _BadRow(f"'{key}' must be text or null, got {_describe(value, True)}")
    return value[:max_length]


def _optional_bool(row: dict[str, Any], key: str) -> bool | None:
    value = row.get(key)
    if value is None or type(value) is bool:
        return value
    raise _BadRow(f"'{key}' must be true, false or null, got {_describe(value, True)}")


def _milliseconds(row: dict[str, Any], key: str) -> int:
    value = row.get(key)
    if type(value) is not int or value < 0:
        raise _BadRow(
            f"'{key}' must be a whole number of milliseconds, got {_describe(value, key in row)}"
        )
    return value


def _timestamp(row: dict[str, Any], key: str) -> datetime:
    """An ISO-8601 time; without an offset it is UTC (Spotify's exports are in UTC)."""
    value = row.get(key)
    try:
        parsed = datetime.fromisoformat(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        raise _BadRow(
            f"'{key}' must be an ISO-8601 time, got {_describe(value, key in row)}"
        ) from None
    if parsed.tzinfo is None:
        return parsed.replace(tzinfo=UTC)
    return parsed.astimezone(UTC)


def _minute_timestamp(row: dict[str, Any], key: str) -> datetime:
    """Account data's "2023-10-02 23:43": UTC, to the minute."""
    value = row.get(key)
    if type(value) is not str or len(value) != 16:
        raise _BadRow(
            f"'{key}' must look like '2023-10-02 23:43', got {_describe(value, key in row)}"
        )
    try:
        return datetime.fromisoformat(value).replace(tzinfo=UTC)
    except ValueError:
        raise _BadRow(f"'{key}' is not a valid time: {value!r}") from None


def _describe(value: Any, present: bool) -> str:
    if not present:
        return "nothing (the key is missing)"
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


_ROW_PARSERS: dict[FileFormat, Callable[[Any], RowOutcome]] = {
    FileFormat.EXTENDED: _extended_row,
    FileFormat.EXTENDED_LEGACY: _extended_row,
    FileFormat.ACCOUNT_MUSIC: _account_music_row,
    FileFormat.ACCOUNT_PODCAST: _account_other_row(SkipReason.PODCAST),
    FileFormat.ACCOUNT_AUDIOBOOK: _account_other_row(SkipReason.AUDIOBOOK),
}

_FORMAT_LABELS: dict[FileFormat, str] = {
    FileFormat.EXTENDED: "extended streaming history",
    FileFormat.EXTENDED_LEGACY: "extended streaming history (endsong)",
    FileFormat.ACCOUNT_MUSIC: "account-data music history",
    FileFormat.ACCOUNT_PODCAST: "account-data podcast history",
    FileFormat.ACCOUNT_AUDIOBOOK: "account-data audiobook history",
}
