"""Admin for imports, tracks (search, provenance) and plays (read-only)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from django.urls import reverse

from streams.models import HistoryImport, Play, PlayFormat, Track

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff(admin_client):
    return admin_client


@pytest.fixture
def tracks():
    return Track.objects.bulk_create(
        [
            Track(
                name="Waterloo",
                primary_artist="ABBA",
                artists=[{"name": "ABBA", "id": None}],
                danceability=0.5,
                energy=0.7,
                metadata_source="catalog",
                features_source="reccobeats",
                field_sources={"danceability": "reccobeats", "name": "catalog"},
            ),
            Track(name="Believe", primary_artist="Cher", artists=[{"name": "Cher", "id": None}]),
        ]
    )


@pytest.fixture
def play(user, tracks):
    return Play.objects.create(
        user=user,
        played_at=datetime(2024, 1, 1, tzinfo=UTC),
        ms_played=180_000,
        track_name="Waterloo",
        artist_name="ABBA",
        source_format=PlayFormat.EXTENDED,
        dedupe_key="k1",
        track=tracks[0],
        resolution_status="resolved",
    )


def test_tracks_are_searchable_by_artist(staff, tracks):
    response = staff.get(reverse("admin:streams_track_changelist"), {"q": "cher"})

    assert response.status_code == 200
    assert b"Believe" in response.content
    assert b"Waterloo" not in response.content


def test_tracks_are_searchable_by_name(staff, tracks):
    response = staff.get(reverse("admin:streams_track_changelist"), {"q": "waterl"})

    assert b"Waterloo" in response.content
    assert b"Believe" not in response.content


def test_a_track_shows_which_source_supplied_what(staff, tracks):
    response = staff.get(reverse("admin:streams_track_change", args=[tracks[0].pk]))

    html = response.content.decode()
    assert "Provenance: which source supplied what" in html
    assert "&quot;danceability&quot;: &quot;reccobeats&quot;" in html


def test_tracks_filter_by_missing_features(staff, tracks):
    response = staff.get(reverse("admin:streams_track_changelist"), {"features": "no"})

    assert b"Believe" in response.content
    assert b"Waterloo" not in response.content


def test_plays_are_read_only(staff, play):
    change_url = reverse("admin:streams_play_change", args=[play.pk])

    view = staff.get(change_url)
    post = staff.post(change_url, {"track_name": "Changed"})
    add = staff.get(reverse("admin:streams_play_add"))

    assert view.status_code == 200
    assert b'name="_save"' not in view.content
    assert post.status_code == 403
    assert add.status_code == 403
    play.refresh_from_db()
    assert play.track_name == "Waterloo"


def test_imports_list_their_status_and_counts(staff, user):
    HistoryImport.objects.create(
        owner=user,
        file_names=["StreamingHistory_music_0.json"],
        status="failed",
        rows_read=12,
        plays_created=0,
        error="StreamingHistory_music_0.json: not JSON",
    )

    changelist = staff.get(reverse("admin:streams_historyimport_changelist"))

    html = changelist.content.decode()
    assert "StreamingHistory_music_0.json: not JSON" in html
    assert "failed" in html.lower()


def test_non_staff_users_cannot_open_the_admin(client, user):
    client.force_login(user)

    response = client.get(reverse("admin:streams_play_changelist"))

    assert response.status_code == 302


def test_saved_tracks_are_listed_searchable_and_read_only(staff, user, tracks):
    from streams.models import SavedTrack

    saved = SavedTrack.objects.create(user=user, track=tracks[0])
    listing = staff.get(reverse("admin:streams_savedtrack_changelist"), {"q": "ABBA"})
    assert listing.status_code == 200
    assert "Waterloo" in listing.content.decode()
    assert "Believe" not in listing.content.decode()
    change = staff.post(
        reverse("admin:streams_savedtrack_delete", args=[saved.pk]), {"post": "yes"}
    )
    assert change.status_code == 403
    assert SavedTrack.objects.filter(pk=saved.pk).exists()
