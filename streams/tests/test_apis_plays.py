from __future__ import annotations

import hashlib
from datetime import UTC, datetime

import pytest

from streams.models import Play, PlayFormat, ResolutionStatus, Track

pytestmark = pytest.mark.django_db


def _play(user, day: int, track: Track | None = None, name: str = "Song", ms: int = 60_000):
    played_at = datetime(2024, 5, day, 12, tzinfo=UTC)
    return Play.objects.create(
        user=user,
        played_at=played_at,
        ms_played=ms,
        track_name=track.name if track else name,
        artist_name=track.primary_artist if track else "Someone",
        source_format=PlayFormat.EXTENDED,
        dedupe_key=hashlib.sha1(f"{user.pk}{played_at}{name}{ms}".encode()).hexdigest(),
        track=track,
        resolution_status=ResolutionStatus.RESOLVED if track else ResolutionStatus.PENDING,
    )


@pytest.fixture
def track():
    return Track.objects.create(
        spotify_id="4uLU6hMCjMI75M1A2tKUQC",
        name="Never Gonna Give You Up",
        artists=[{"name": "Rick Astley", "id": None}],
        primary_artist="Rick Astley",
        album_name="Whenever You Need Somebody",
        release_date="1987-07-27",
        release_date_precision="day",
        danceability=0.72,
        energy=0.94,
        key=8,
        field_sources={"danceability": "catalog"},
    )


def test_plays_are_paginated_newest_first(owner_client, user):
    for day in range(1, 8):
        _play(user, day, name=f"Song {day}")
    body = owner_client.get("/api/plays/", {"limit": 3}).json()
    assert body["count"] == 7
    assert [p["track_name"] for p in body["results"]] == ["Song 7", "Song 6", "Song 5"]
    assert "offset=3" in body["next"]
    assert body["results"][0]["track"] is None
    assert body["results"][0]["resolution_status"] == "pending"


def test_plays_filter_by_date_range_and_track(owner_client, user, track):
    for day in range(1, 6):
        _play(user, day, name=f"Song {day}")
    _play(user, 3, track=track)
    in_range = owner_client.get("/api/plays/", {"start": "2024-05-02", "end": "2024-05-03"})
    assert in_range.json()["count"] == 3  # days 2 and 3, plus the resolved play on day 3
    by_track = owner_client.get("/api/plays/", {"track": track.pk}).json()
    assert by_track["count"] == 1
    assert by_track["results"][0]["track"] == {
        "id": track.pk,
        "spotify_id": "4uLU6hMCjMI75M1A2tKUQC",
        "name": "Never Gonna Give You Up",
        "primary_artist": "Rick Astley",
    }


def test_bad_play_filters_are_400(owner_client):
    response = owner_client.get("/api/plays/", {"start": "yesterday", "track": "x"})
    assert response.status_code == 400
    assert set(response.json()["fields"]) == {"start", "track"}


def test_another_users_plays_are_never_listed(owner_client, other_client, user, other_user):
    _play(user, 1)
    _play(other_user, 2, name="Bob's")
    assert [p["track_name"] for p in other_client.get("/api/plays/").json()["results"]] == [
        "Bob's"
    ]
    assert owner_client.get("/api/plays/").json()["count"] == 1


@pytest.mark.parametrize("plays", [2, 40])
def test_listing_plays_costs_the_same_queries_for_any_number(
    owner_client, user, track, plays, process_local_cache, django_assert_num_queries
):
    for day in range(plays):
        _play(user, 1 + day % 28, track=track if day % 2 else None, name=f"S{day}")
    # token lookup, count, one page with its tracks joined
    with django_assert_num_queries(3):
        assert owner_client.get("/api/plays/").status_code == 200


def test_plays_need_authentication(api_client):
    assert api_client.get("/api/plays/").status_code == 401


def test_a_track_i_played_with_my_listening(owner_client, user, track):
    _play(user, 1, track=track, ms=200_000)
    _play(user, 9, track=track, ms=10_000)
    body = owner_client.get(f"/api/tracks/{track.pk}/").json()
    assert body["name"] == "Never Gonna Give You Up"
    assert body["spotify_url"] == "https://open.spotify.com/track/4uLU6hMCjMI75M1A2tKUQC"
    assert body["audio_features"]["danceability"] == 0.72
    assert body["audio_features"]["tempo"] is None
    assert body["field_sources"] == {"danceability": "catalog"}
    assert body["listening"]["plays"] == 2
    assert body["listening"]["streams"] == 1
    assert body["listening"]["first_played_at"].startswith("2024-05-01")


def test_a_track_only_another_user_played_is_404(owner_client, other_client, user, track):
    _play(user, 1, track=track)
    assert owner_client.get(f"/api/tracks/{track.pk}/").status_code == 200
    response = other_client.get(f"/api/tracks/{track.pk}/")
    assert response.status_code == 404
    assert response.json()["code"] == "not_found"


def test_unknown_and_unplayed_tracks_are_404(owner_client, track):
    assert owner_client.get(f"/api/tracks/{track.pk}/").status_code == 404
    assert owner_client.get("/api/tracks/987654/").status_code == 404


def test_out_of_range_numbers_are_400_or_empty_never_500(owner_client, user):
    _play(user, 1)
    huge = str(10**30)
    assert owner_client.get("/api/plays/", {"track": huge}).status_code == 400
    past_the_end = owner_client.get("/api/plays/", {"offset": huge})
    assert past_the_end.status_code == 200
    assert past_the_end.json()["results"] == []
