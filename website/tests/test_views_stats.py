"""The stats page: top lists by count or by time, a date range, charts' data, a recap."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest
from django.urls import reverse

from streams.models import Play, PlayFormat

pytestmark = pytest.mark.django_db

MINUTE = 60_000


def _play(user, n, artist, track, ms, when, fmt=PlayFormat.EXTENDED):
    return Play(
        user=user,
        played_at=when,
        ms_played=ms,
        track_name=track,
        artist_name=artist,
        source_format=fmt,
        dedupe_key=f"{user.pk}-{n}",
    )


@pytest.fixture
def history(user):
    """Short Abba plays (most streams) vs long Bach plays (most time), 2023 vs 2024."""
    plays = [
        _play(user, i, "Abba", "Waterloo", 1 * MINUTE, datetime(2024, 3, 1, 8, i, tzinfo=UTC))
        for i in range(5)
    ]
    plays += [
        _play(
            user,
            10 + i,
            "Bach",
            "Mass in B minor",
            90 * MINUTE,
            datetime(2024, 3, 2, 21, tzinfo=UTC),
        )
        for i in range(1)
    ]
    plays += [
        _play(
            user,
            20 + i,
            "Bach",
            "Goldberg Variations",
            60 * MINUTE,
            datetime(2024, 3, 3, 21, i, tzinfo=UTC),
        )
        for i in range(2)
    ]
    plays += [
        _play(user, 30 + i, "Cher", "Believe", 4 * MINUTE, datetime(2023, 6, 1, 12, i, tzinfo=UTC))
        for i in range(9)
    ]
    Play.objects.bulk_create(plays)
    return user


def _top_artist(content: bytes) -> str:
    html = content.decode()
    start = html.index('data-testid="top-artist">') + len('data-testid="top-artist">')
    return html[start : html.index("<", start)]


def _charts(response) -> dict:
    html = response.content.decode()
    start = html.index('<script id="stats-charts" type="application/json">') + len(
        '<script id="stats-charts" type="application/json">'
    )
    return json.loads(html[start : html.index("</script>", start)])


def test_top_artist_by_streams_all_time(client, history):
    client.force_login(history)

    response = client.get(reverse("website:stats"))

    assert response.status_code == 200
    assert _top_artist(response.content) == "Cher"


def test_a_date_range_and_ranking_by_time_change_the_top_artist(client, history):
    client.force_login(history)
    in_2024 = {"start": "2024-01-01", "end": "2024-12-31"}

    by_count = client.get(reverse("website:stats"), {**in_2024, "by": "count"})
    by_time = client.get(reverse("website:stats"), {**in_2024, "by": "time"})

    assert _top_artist(by_count.content) == "Abba"
    assert _top_artist(by_time.content) == "Bach"
    assert _charts(by_time)["top_artists"] == {
        "labels": ["Bach", "Abba"],
        "values": [3.5, 0.08],
        "label": "hours listened",
    }


def test_chart_data_covers_months_hours_and_weekdays(client, history):
    client.force_login(history)

    charts = _charts(client.get(reverse("website:stats")))

    assert charts["per_month"]["labels"] == ["2023-06", "2024-03"]
    assert charts["per_month"]["values"] == [9, 8]
    assert len(charts["hour_of_day"]["values"]) == 24
    assert charts["hour_of_day"]["values"][8] == 5
    assert charts["weekday"]["labels"][0] == "Mon"
    assert sum(charts["weekday"]["values"]) == 17


def test_the_recap_shows_the_chosen_year(client, history):
    client.force_login(history)

    latest = client.get(reverse("website:stats"))
    older = client.get(reverse("website:stats"), {"year": "2023"})

    assert b"Your 2024 in music" in latest.content
    assert b"Your 2023 in music" in older.content
    assert b"Believe" in older.content


def test_an_end_before_the_start_is_explained(client, history):
    client.force_login(history)

    response = client.get(reverse("website:stats"), {"start": "2024-05-01", "end": "2024-01-01"})

    assert b"The end date is before the start date." in response.content


def test_without_plays_the_page_says_to_import(client, user):
    client.force_login(user)

    response = client.get(reverse("website:stats"))

    assert b"No listening history yet" in response.content


def test_synthetic_plays_are_labelled(client, user):
    Play.objects.bulk_create(
        [
            _play(
                user,
                1,
                "Demo",
                "Song",
                MINUTE,
                datetime(2024, 1, 1, tzinfo=UTC),
                PlayFormat.SYNTHETIC,
            )
        ]
    )
    client.force_login(user)

    response = client.get(reverse("website:stats"))

    assert b">synthetic<" in response.content


def test_only_the_users_own_plays_count(client, history, other_user):
    client.force_login(other_user)

    response = client.get(reverse("website:stats"))

    assert b"No listening history yet" in response.content
