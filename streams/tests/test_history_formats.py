"""Export files are recognised from their keys, whatever they are called."""

from __future__ import annotations

import pytest

from streams.history.formats import file_format_detect
from streams.history.records import FileFormat
from streams.tests.history_samples import (
    account_row,
    all_null_row,
    extended_row,
    legacy_row,
    podcast_row,
)


@pytest.mark.parametrize(
    ("document", "expected"),
    [
        ([account_row()], FileFormat.ACCOUNT_MUSIC),
        (
            [
                {
                    "endTime": "2023-10-03 21:56",
                    "podcastName": "P",
                    "episodeName": "E",
                    "msPlayed": 1,
                }
            ],
            FileFormat.ACCOUNT_PODCAST,
        ),
        (
            [
                {
                    "endTime": "2023-10-20 18:58",
                    "audiobookName": "B",
                    "chapterName": "C",
                    "authorName": "A",
                    "msPlayed": 41192,
                }
            ],
            FileFormat.ACCOUNT_AUDIOBOOK,
        ),
        ([extended_row()], FileFormat.EXTENDED),
        # A file starting with a podcast or an all-null row still has the schema's keys.
        ([podcast_row(), extended_row()], FileFormat.EXTENDED),
        ([all_null_row()], FileFormat.EXTENDED),
        ([legacy_row()], FileFormat.EXTENDED_LEGACY),
        (
            {"tracks": [{"artist": "A", "album": "B", "track": "T", "uri": "spotify:track:x"}]},
            FileFormat.LIBRARY,
        ),
        ({"tracks": []}, FileFormat.LIBRARY),
        ([{"ts": "2024-01-01T00:00:00Z", "ms_played": 1000, "platform": "tv"}], FileFormat.VIDEO),
        ([extended_row(video_title="A video")], FileFormat.VIDEO),
        ([], FileFormat.EMPTY),
        ({"username": "someone", "country": "SE"}, FileFormat.OTHER),
        ([{"searchTime": "2024-01-01", "searchQuery": "x"}], FileFormat.OTHER),
        (["just", "strings"], FileFormat.OTHER),
        ("a string", FileFormat.OTHER),
    ],
)
def test_each_export_kind_is_recognised_by_its_keys(document, expected):
    assert file_format_detect(document) == expected


def test_extra_keys_do_not_hide_a_music_file():
    row = {**account_row(), "episodeName": None, "somethingNew": 1}
    assert file_format_detect([row]) == FileFormat.ACCOUNT_MUSIC
