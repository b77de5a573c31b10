"""Rows -> PlayRecord or a skip reason; the first bad row rejects the file by index."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime, timedelta, timezone

import pytest

from streams.errors import ImportRejected
from streams.history.identity import play_minute
from streams.history.parsing import library_tracks_parse, rows_parse
from streams.history.records import FileFormat, PlayRecord, SkipReason
from streams.tests.history_samples import (
    account_row,
    all_null_row,
    audiobook_row,
    extended_row,
    legacy_row,
    podcast_row,
)


def parse(rows, file_format=FileFormat.EXTENDED, name="history.json"):
    return list(rows_parse(source_name=name, file_format=file_format, rows=rows))


def test_an_extended_row_becomes_a_play_ending_at_an_aware_utc_time():
    (play,) = parse([extended_row()])
    assert isinstance(play, PlayRecord)
    assert play.played_at == datetime(2024, 7, 3, 14, 26, 57, tzinfo=UTC)
    assert play.played_at.utcoffset().total_seconds() == 0
    assert (play.track_name, play.artist_name, play.album_name) == (
        "Tera Fitoor",
        "Arijit Singh",
        "Genius",
    )
    assert play.spotify_track_uri == "spotify:track:1YMLgvsQdE27r30q0fsLeV"
    assert (play.platform, play.reason_start, play.reason_end) == (
        "android",
        "clickrow",
        "trackdone",
    )
    assert (play.shuffle, play.skipped, play.offline, play.incognito_mode) == (
        False,
        False,
        False,
        False,
    )
    assert play.ms_played == 180_000
    assert len(play.dedupe_key) == 40


def test_a_time_with_an_offset_is_converted_to_utc():
    (play,) = parse([extended_row(ts="2024-07-03T16:26:57+02:00")])
    assert play.played_at == datetime(2024, 7, 3, 14, 26, 57, tzinfo=UTC)


def test_a_legacy_row_keeps_nothing_about_the_listener():
    row = legacy_row()
    (play,) = parse([row], FileFormat.EXTENDED_LEGACY)
    assert isinstance(play, PlayRecord)
    stored = [str(v) for v in dataclasses.astuple(play)]
    for secret in (row["username"], row["ip_addr_decrypted"], row["user_agent_decrypted"]):
        assert all(secret not in value for value in stored)
    assert play.platform == "iOS 14.7.1 (iPhone10,3)"
    assert play.skipped is None
    # offline_timestamp (ms in this schema) is not what dates a play: ts is.
    assert play.played_at == datetime(2019, 11, 5, 14, 21, 1, tzinfo=UTC)


def test_a_legacy_time_without_an_offset_is_taken_as_utc():
    (play,) = parse([legacy_row(ts="2019-11-05 14:21:01")], FileFormat.EXTENDED_LEGACY)
    assert play.played_at == datetime(2019, 11, 5, 14, 21, 1, tzinfo=UTC)


@pytest.mark.parametrize(
    ("row", "reason"),
    [
        (podcast_row(), SkipReason.PODCAST),
        (podcast_row(ms_played=0), SkipReason.PODCAST),
        (audiobook_row(), SkipReason.AUDIOBOOK),
        (all_null_row(), SkipReason.ALL_NULL),
        (extended_row(master_metadata_track_name=None), SkipReason.NO_TRACK_NAME),
        (extended_row(ms_played=0), SkipReason.ZERO_MS),
        (
            extended_row(
                master_metadata_track_name="Unknown Track",
                master_metadata_album_artist_name="Unknown Artist",
            ),
            SkipReason.UNKNOWN_TRACK,
        ),
    ],
)
def test_rows_that_are_not_music_plays_are_counted_by_reason(row, reason):
    assert parse([row]) == [reason]


@pytest.mark.parametrize(
    ("row", "reason"),
    [
        (account_row(ms=0), SkipReason.ZERO_MS),
        (account_row(track=""), SkipReason.NO_TRACK_NAME),
        (account_row(track="Unknown Track", artist="Unknown Artist"), SkipReason.UNKNOWN_TRACK),
        # What it is wins over how long it lasted.
        (
            account_row(track="Unknown Track", artist="Unknown Artist", ms=0),
            SkipReason.UNKNOWN_TRACK,
        ),
    ],
)
def test_account_data_rows_that_are_not_plays_are_counted_by_reason(row, reason):
    assert parse([row], FileFormat.ACCOUNT_MUSIC) == [reason]


def test_account_data_podcast_and_audiobook_files_count_every_row():
    podcast = {
        "endTime": "2023-10-03 21:56",
        "podcastName": "P",
        "episodeName": "E",
        "msPlayed": 9,
    }
    book = {"endTime": "2023-10-20 18:58", "audiobookName": "B", "chapterName": "C", "msPlayed": 0}
    assert parse([podcast, podcast], FileFormat.ACCOUNT_PODCAST) == [SkipReason.PODCAST] * 2
    assert parse([book], FileFormat.ACCOUNT_AUDIOBOOK) == [SkipReason.AUDIOBOOK]


def test_an_account_data_play_has_minute_precision_in_utc():
    (play,) = parse([account_row()], FileFormat.ACCOUNT_MUSIC)
    assert play.played_at == datetime(2023, 10, 2, 23, 43, tzinfo=UTC)
    assert (play.spotify_track_uri, play.album_name, play.shuffle) == ("", "", None)


def test_the_same_play_in_both_export_kinds_has_the_same_identity():
    (extended,) = parse([extended_row(ts="2024-07-03T14:26:57Z")])
    (account,) = parse(
        [account_row("2024-07-03 14:26", track="TERA FITOOR", artist="arijit singh", ms=180_000)],
        FileFormat.ACCOUNT_MUSIC,
    )
    assert extended.dedupe_key == account.dedupe_key


@pytest.mark.parametrize(
    "change",
    [
        {"ts": "2024-07-03T14:27:00Z"},  # another minute
        {"ms_played": 180_001},
        {"master_metadata_track_name": "Tera Fitoor (Live)"},
        {"master_metadata_album_artist_name": "Someone Else"},
    ],
)
def test_a_different_minute_duration_or_name_is_a_different_play(change):
    (base,) = parse([extended_row()])
    (other,) = parse([extended_row(**change)])
    assert base.dedupe_key != other.dedupe_key


def test_long_names_are_cut_to_the_column_length():
    (play,) = parse([extended_row(master_metadata_track_name="x" * 600, platform="p" * 300)])
    assert (len(play.track_name), len(play.platform)) == (512, 255)


@pytest.mark.parametrize(
    ("bad_row", "words"),
    [
        ("not an object", "expected an object"),
        ({"ts": "2024-07-03T14:26:57Z"}, "missing key(s)"),
        (extended_row(ms_played="12"), "'ms_played' must be a whole number"),
        (extended_row(ms_played=-5), "'ms_played' must be a whole number"),
        (extended_row(ms_played=1.5), "'ms_played' must be a whole number"),
        (extended_row(ts="yesterday"), "'ts' must be an ISO-8601 time"),
        (extended_row(ts=None), "'ts' must be an ISO-8601 time"),
        (extended_row(shuffle="yes"), "'shuffle' must be true, false or null"),
        (extended_row(master_metadata_track_name=42), "must be text"),
        (extended_row(platform=["android"]), "'platform' must be text or null"),
        (podcast_row(ts="soon"), "'ts' must be an ISO-8601 time"),
    ],
)
def test_the_first_bad_extended_row_rejects_the_file_naming_it(bad_row, words):
    rows = [extended_row(), extended_row(ts="2024-07-03T15:00:00Z"), bad_row, "also bad"]
    with pytest.raises(ImportRejected) as caught:
        parse(rows, name="Streaming_History_Audio_2024.json")
    message = str(caught.value)
    assert message.startswith("Streaming_History_Audio_2024.json: row 2 (counting from 0)")
    assert words in message


@pytest.mark.parametrize(
    ("bad_row", "words"),
    [
        ({"endTime": "2023-10-02 23:43", "artistName": "A", "trackName": "T"}, "'msPlayed'"),
        (account_row(end_time="2023-10-02T23:43:00Z"), "'endTime' must look like"),
        (account_row(end_time="2023-13-45 99:99"), "'endTime' is not a valid time"),
        ({**account_row(), "trackName": None}, "'trackName' must be text"),
    ],
)
def test_the_first_bad_account_data_row_rejects_the_file_naming_it(bad_row, words):
    with pytest.raises(ImportRejected) as caught:
        parse([account_row(), bad_row], FileFormat.ACCOUNT_MUSIC, name="StreamingHistory0.json")
    assert str(caught.value).startswith("StreamingHistory0.json: row 1 (counting from 0)")
    assert words in str(caught.value)


def test_library_keeps_saved_tracks_with_a_spotify_id_once():
    document = {
        "tracks": [
            {
                "artist": "Cults",
                "album": "Cults",
                "track": "Go Outside",
                "uri": "spotify:track:2C0KFbb4v9CNWR5c9jWcKC",
            },
            {
                "artist": "Cults",
                "album": "Cults",
                "track": "Again",
                "uri": "spotify:track:2C0KFbb4v9CNWR5c9jWcKC",
            },
            {"artist": "Me", "album": "", "track": "Demo", "uri": "spotify:local:Me::Demo:120"},
        ]
    }
    (track,) = library_tracks_parse(source_name="YourLibrary.json", document=document)
    assert (track.spotify_id, track.name, track.artist) == (
        "2C0KFbb4v9CNWR5c9jWcKC",
        "Go Outside",
        "Cults",
    )


def test_a_malformed_saved_track_rejects_the_library_naming_it():
    document = {
        "tracks": [
            {"artist": "A", "track": "T", "uri": "spotify:track:2C0KFbb4v9CNWR5c9jWcKC"},
            {"artist": 1},
        ]
    }
    with pytest.raises(
        ImportRejected, match=r"^YourLibrary.json: saved track 1 \(counting from 0\)"
    ):
        library_tracks_parse(source_name="YourLibrary.json", document=document)


def test_the_identity_minute_is_the_utc_minute():
    paris_summer = timezone(timedelta(hours=2))
    assert play_minute(datetime(2024, 7, 3, 16, 26, 59, tzinfo=paris_summer)) == "2024-07-03T14:26"
    assert play_minute(datetime(2024, 1, 1, 0, 0, tzinfo=UTC)) == "2024-01-01T00:00"
