"""The parser's shortcut for Spotify's usual time spelling agrees with the long way."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from streams.errors import ImportRejected
from streams.history.identity import play_dedupe_key, play_minute
from streams.history.parsing import rows_parse
from streams.history.records import FileFormat, PlayRecord
from streams.tests.history_samples import extended_row

instants = st.datetimes(
    min_value=datetime(1990, 1, 1), max_value=datetime(2100, 1, 1), timezones=st.just(UTC)
)


def parse_one(row: dict) -> PlayRecord:
    (play,) = rows_parse(source_name="h.json", file_format=FileFormat.EXTENDED, rows=[row])
    assert isinstance(play, PlayRecord)
    return play


def expected_key(played_at: datetime, row: dict) -> str:
    return play_dedupe_key(
        minute=play_minute(played_at),
        track_name=row["master_metadata_track_name"],
        artist_name=row["master_metadata_album_artist_name"],
        ms_played=row["ms_played"],
    )


@given(instant=instants)
@example(instant=datetime(2024, 12, 31, 23, 59, 59, tzinfo=UTC))
def test_every_spelling_of_an_instant_gives_the_same_play(instant: datetime) -> None:
    whole = instant.replace(microsecond=0)
    spellings = [
        whole.strftime("%Y-%m-%dT%H:%M:%SZ"),  # Spotify's: the shortcut
        whole.isoformat(),  # "+00:00"
        whole.astimezone(timezone(timedelta(hours=-7))).isoformat(),
        whole.replace(tzinfo=None).isoformat(" "),  # no offset: UTC
    ]
    plays = [parse_one(extended_row(ts=ts)) for ts in spellings]
    for play in plays:
        assert play.played_at == whole
        assert play.played_at.utcoffset() == timedelta(0)
        assert play.dedupe_key == expected_key(whole, extended_row())


@pytest.mark.parametrize(
    "ts",
    [
        "2024-02-30T10:00:00Z",  # no such day
        "2024-07-03T24:00:00Z",  # no such hour
        "2024-07-03T14:26:60Z",  # no such second
        "2024-07-03T14:26:57z",
        "\uff12\uff10\uff12\uff14-07-03T14:26:57Z",  # full-width digits
    ],
)
def test_a_time_that_only_looks_usual_is_still_refused_by_name(ts: str) -> None:
    with pytest.raises(ImportRejected, match=r"^h.json: row 0 .*'ts' must be an ISO-8601 time"):
        parse_one(extended_row(ts=ts))


def test_a_week_date_of_the_usual_length_is_read_the_long_way() -> None:
    # Same length and the same "T" and "Z" as Spotify's spelling, but not its layout:
    # the shortcut would take the wrong minute from it.
    play = parse_one(extended_row(ts="2024-W27-3T14:26:57Z"))
    assert play.played_at == datetime(2024, 7, 3, 14, 26, 57, tzinfo=UTC)
    assert play.dedupe_key == parse_one(extended_row()).dedupe_key


@pytest.mark.parametrize(
    ("override", "words"),
    [
        ({"master_metadata_album_album_name": 5}, "'master_metadata_album_album_name'"),
        ({"spotify_track_uri": ["x"]}, "'spotify_track_uri' must be text or null"),
        ({"reason_end": 1}, "'reason_end' must be text or null"),
        ({"incognito_mode": "no"}, "'incognito_mode' must be true, false or null"),
        ({"master_metadata_album_artist_name": 3}, "'master_metadata_album_artist_name'"),
    ],
)
def test_a_field_of_the_wrong_type_is_named_even_among_usual_ones(override, words) -> None:
    with pytest.raises(ImportRejected) as caught:
        parse_one(extended_row(**override))
    assert words in str(caught.value)


def test_null_fields_take_the_long_way_and_come_out_empty() -> None:
    play = parse_one(
        extended_row(
            master_metadata_album_album_name=None,
            platform=None,
            reason_start=None,
            shuffle=None,
            offline=None,
        )
    )
    assert (play.album_name, play.platform, play.reason_start) == ("", "", "")
    assert (play.shuffle, play.offline, play.skipped) == (None, None, False)


def test_the_first_bad_row_is_named_after_good_ones() -> None:
    rows = [extended_row(ts=f"2024-07-03T14:{m:02d}:00Z") for m in range(50)]
    rows.insert(37, extended_row(ms_played=-1))
    with pytest.raises(ImportRejected, match=r"^h.json: row 37 \(counting from 0\)"):
        rows_parse(source_name="h.json", file_format=FileFormat.EXTENDED, rows=rows)
