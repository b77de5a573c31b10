"""The home page: anyone asks about a song and gets the prediction card, or a clear reason."""

from __future__ import annotations

import pytest
from django.urls import reverse

from streams.models import Track, TrackNameKey
from streams.resolution.normalize import name_key

pytestmark = pytest.mark.django_db


@pytest.fixture
def known_song(db):
    track = Track.objects.create(
        spotify_id="4uLU6hMCjMI75M1A2tKUQC",
        name="Never Gonna Give You Up",
        artists=[{"name": "Rick Astley", "id": None}],
        primary_artist="Rick Astley",
        album_name="Whenever You Need Somebody",
        release_date="1987-11-12",
        release_date_precision="day",
        duration_ms=213_573,
        explicit=False,
        popularity=78,
        danceability=0.72,
        energy=0.94,
        key=8,
        loudness=-11.8,
        mode=1,
        speechiness=0.05,
        acousticness=0.02,
        instrumentalness=0.0,
        liveness=0.15,
        valence=0.91,
        tempo=113.3,
        time_signature=4,
    )
    TrackNameKey.objects.create(key=name_key(track.name, track.primary_artist), track=track)
    return track


def test_the_page_explains_the_product_and_links_the_api_docs(client):
    response = client.get(reverse("website:home"))

    assert response.status_code == 200
    assert b"How often would you stream this song?" in response.content
    assert b'href="/api/docs/"' in response.content
    assert b'<label for="id_song">Song</label>' in response.content


def test_anyone_gets_a_prediction_card_from_the_site_model(client, known_song, site_model):
    response = client.get(
        reverse("website:home"), {"song": "never gonna give you up", "artist": "rick astley"}
    )

    html = response.content.decode()
    assert response.status_code == 200
    assert 'data-testid="prediction-card"' in html
    assert "Whenever You Need Somebody" in html
    assert "1987-11-12" in html
    assert "the site&#x27;s default model" in html
    assert any(
        text in html
        for text in (
            "Nice track!",
            "What a banger!",
            "Cool track!",
            "This song needs to grow on me!",
            "OMG, how did I not know this song?",
        )
    )
    assert 'data-testid="prediction-why"' in html


def test_a_logged_in_user_is_answered_by_their_own_model(
    client, user, known_song, site_model, trained_versions
):
    client.force_login(user)

    response = client.get(
        reverse("website:home"), {"song": known_song.name, "artist": "Rick Astley"}
    )

    assert "your model" in response.content.decode()
    assert "v2 · your model" in response.content.decode()


def test_blank_fields_are_refused_with_messages(client):
    response = client.get(reverse("website:home"), {"song": "", "artist": ""})

    assert response.status_code == 400
    assert response.content.count(b"This field is required.") == 2


def test_an_over_long_song_name_is_refused(client):
    response = client.get(reverse("website:home"), {"song": "x" * 201, "artist": "a"})

    assert response.status_code == 400
    assert b"at most 200 characters" in response.content


def test_a_known_song_makes_no_outbound_request(client, known_song, site_model, fake_services):
    response = client.get(
        reverse("website:home"), {"song": known_song.name, "artist": "Rick Astley"}
    )

    assert response.status_code == 200
    assert fake_services.counts() == {}


def test_an_unknown_song_is_searched_once_then_reported(client, site_model, fake_services):
    response = client.get(
        reverse("website:home"), {"song": "Zzyzx Road Blues", "artist": "Nobody"}
    )

    assert response.status_code == 404
    assert b"We could not find that song" in response.content
    assert fake_services.count("spotify.search") == 1


def test_without_any_model_the_page_says_what_to_do(client, known_song):
    response = client.get(
        reverse("website:home"), {"song": known_song.name, "artist": "Rick Astley"}
    )

    assert response.status_code == 503
    assert b"No model yet" in response.content


def test_a_model_file_missing_from_storage_is_a_503_page_not_a_crash(
    client, known_song, site_model
):
    site_model.artifact = "models/site-default/v1-gone.joblib"
    site_model.save(update_fields=["artifact"])

    response = client.get(
        reverse("website:home"), {"song": known_song.name, "artist": "Rick Astley"}
    )

    assert response.status_code == 503
    assert b"The model could not be loaded" in response.content


def test_synthetic_tracks_and_models_are_labelled(client, known_song, site_model, user):
    from datetime import UTC, datetime

    from streams.models import Play, PlayFormat

    Track.objects.filter(pk=known_song.pk).update(is_synthetic=True)
    Play.objects.create(
        user=user,
        played_at=datetime(2024, 1, 1, tzinfo=UTC),
        ms_played=60_000,
        track_name="Demo",
        artist_name="Demo",
        source_format=PlayFormat.SYNTHETIC,
        dedupe_key="demo-1",
    )
    site_model.dataset_user = user
    site_model.save(update_fields=["dataset_user"])

    response = client.get(
        reverse("website:home"), {"song": known_song.name, "artist": "Rick Astley"}
    )

    assert response.content.count(b">synthetic</span>") == 2
