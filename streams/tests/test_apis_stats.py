from __future__ import annotations

import hashlib
from datetime import UTC, datetime

import pytest

from streams.models import Play, PlayFormat

pytestmark = pytest.mark.django_db

MIN = 60_000


def _play(user, played_at: datetime, track: str, artist: str, ms: int) -> Play:
    digest = hashlib.sha1(f"{played_at}{track}{artist}{ms}".encode()).hexdigest()
    return Play.objects.create(
        user=user,
        played_at=played_at,
        ms_played=ms,
        track_name=track,
        artist_name=artist,
        source_format=PlayFormat.EXTENDED,
        dedupe_key=digest,
    )


@pytest.fixture
def alice_history(user):
    """Alice: "Short" streamed 3x briefly, "Long" once for an hour; a skip; two years."""
    _play(user, datetime(2024, 1, 5, 8, 0, tzinfo=UTC), "Short", "A", 3 * MIN)
    _play(user, datetime(2024, 1, 6, 8, 0, tzinfo=UTC), "Short", "A", 3 * MIN)
    _play(user, datetime(2024, 2, 7, 23, 30, tzinfo=UTC), "Short", "A", 3 * MIN)
    _play(user, datetime(2024, 2, 8, 12, 0, tzinfo=UTC), "Long", "B", 60 * MIN)
    _play(user, datetime(2024, 2, 8, 13, 0, tzinfo=UTC), "Long", "B", 5_000)  # a skip
    _play(user, datetime(2023, 12, 31, 23, 30, tzinfo=UTC), "Old", "C", 4 * MIN)


@pytest.fixture
def bob_history(other_user):
    for day in range(1, 11):
        _play(other_user, datetime(2024, 3, day, 9, tzinfo=UTC), "Bob Song", "Bob Band", 4 * MIN)


def test_stats_need_authentication(api_client):
    response = api_client.get("/api/stats/")
    assert response.status_code == 401
    assert response.json()["code"] == "not_authenticated"
    assert response["WWW-Authenticate"] == "Token"


def test_top_lists_by_count_and_by_time(owner_client, alice_history, bob_history):
    by_count = owner_client.get("/api/stats/").json()
    # Ties on streams ("Long", "Old": one each) go to the longer listening time.
    assert [t["track_name"] for t in by_count["top_tracks"]] == ["Short", "Long", "Old"]
    assert by_count["top_tracks"][0] | {"track_id": None} == {
        "track_name": "Short",
        "artist_name": "A",
        "track_id": None,
        "plays": 3,
        "streams": 3,
        "ms_played": 9 * MIN,
    }
    long = by_count["top_tracks"][1]
    assert (long["plays"], long["streams"]) == (2, 1)  # the 5-second play is not a stream
    by_time = owner_client.get("/api/stats/", {"by": "time"}).json()
    assert [a["artist_name"] for a in by_time["top_artists"]] == ["B", "A", "C"]


def test_another_users_plays_never_count(owner_client, other_client, alice_history, bob_history):
    mine = owner_client.get("/api/stats/").json()
    assert "Bob Band" not in {a["artist_name"] for a in mine["top_artists"]}
    theirs = other_client.get("/api/stats/").json()
    assert [a["artist_name"] for a in theirs["top_artists"]] == ["Bob Band"]


def test_date_range_is_inclusive_and_in_the_time_zone(owner_client, alice_history):
    # 2023-12-31 23:30 UTC is already 2024-01-01 in Berlin.
    utc = owner_client.get("/api/stats/", {"start": "2024-01-01", "end": "2024-01-05"}).json()
    assert [t["track_name"] for t in utc["top_tracks"]] == ["Short"]
    berlin = owner_client.get(
        "/api/stats/", {"start": "2024-01-01", "end": "2024-01-05", "tz": "Europe/Berlin"}
    ).json()
    assert {t["track_name"] for t in berlin["top_tracks"]} == {"Short", "Old"}
    assert berlin["tz"] == "Europe/Berlin"


def test_months_hours_and_weekdays(owner_client, alice_history):
    body = owner_client.get("/api/stats/").json()
    assert [(m["month"], m["plays"]) for m in body["plays_per_month"]] == [
        ("2023-12-01", 1),
        ("2024-01-01", 2),
        ("2024-02-01", 3),
    ]
    hours = {h["bucket"]: h["plays"] for h in body["hour_of_day"]}
    assert len(body["hour_of_day"]) == 24
    assert (hours[8], hours[23], hours[0]) == (2, 2, 0)
    weekdays = {d["bucket"]: d["plays"] for d in body["weekday"]}
    # 2024-02-08 was a Thursday (ISO 4): two plays.
    assert len(weekdays) == 7
    assert weekdays[4] == 2
    # In Berlin the two 23:30 UTC plays fall at 00:30 the next day.
    berlin = owner_client.get("/api/stats/", {"tz": "Europe/Berlin"}).json()
    berlin_hours = {h["bucket"]: h["plays"] for h in berlin["hour_of_day"]}
    assert (berlin_hours[0], berlin_hours[23]) == (2, 0)


def test_bad_filters_are_400_with_field_messages(owner_client):
    response = owner_client.get(
        "/api/stats/", {"start": "2024-13-01", "by": "loudness", "tz": "Mars/Olympus", "limit": 0}
    )
    assert response.status_code == 400
    assert set(response.json()["fields"]) == {"start", "by", "tz", "limit"}
    reversed_range = owner_client.get("/api/stats/", {"start": "2024-02-01", "end": "2024-01-01"})
    assert reversed_range.status_code == 400
    assert "end" in reversed_range.json()["fields"]


def test_stats_cost_a_fixed_number_of_queries(
    owner_client, alice_history, process_local_cache, django_assert_num_queries
):
    # 1 token lookup + top tracks + top artists + months + hours + weekdays.
    with django_assert_num_queries(6):
        assert owner_client.get("/api/stats/").status_code == 200


def test_yearly_recap(owner_client, alice_history, bob_history):
    body = owner_client.get("/api/stats/recap/").json()
    assert body["year"] == 2024
    assert body["years"] == [2024, 2023]
    assert (body["plays"], body["streams"]) == (5, 4)
    assert body["ms_played"] == 69 * MIN + 5_000
    assert (body["distinct_tracks"], body["distinct_artists"], body["new_artists"]) == (2, 2, 2)
    assert body["top_tracks"][0]["track_name"] == "Short"
    assert body["top_month"]["month"] == "2024-02-01"
    assert body["busiest_day"] == "2024-02-08"
    old = owner_client.get("/api/stats/recap/", {"year": 2023}).json()
    assert (old["plays"], old["new_artists"]) == (1, 1)


def test_recap_with_no_plays_is_empty_not_an_error(owner_client):
    body = owner_client.get("/api/stats/recap/").json()
    assert body["years"] == []
    assert body["plays"] == 0
    assert body["top_month"] is None
    assert body["busiest_day"] is None


def test_extreme_dates_are_open_bounds_not_errors(owner_client, alice_history):
    for tz in ("UTC", "Pacific/Kiritimati", "Etc/GMT+12"):
        response = owner_client.get(
            "/api/stats/", {"start": "0001-01-01", "end": "9999-12-31", "tz": tz}
        )
        assert response.status_code == 200, tz
        assert sum(m["plays"] for m in response.json()["plays_per_month"]) == 6
