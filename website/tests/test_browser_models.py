"""In a real browser: ask for a prediction; an admin activates an older model version."""

from __future__ import annotations

import pytest

from predictor.models import ModelVersion
from streams.models import Track, TrackNameKey
from streams.resolution.normalize import name_key
from website.tests.conftest import model_version_store

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

BANDS = (
    "This song needs to grow on me!",
    "Nice track!",
    "Cool track!",
    "OMG, how did I not know this song?",
    "What a banger!",
)


@pytest.fixture
def known_song(db):
    track = Track.objects.create(
        spotify_id="0VjIjW4GlUZAMYd2vXMi3b",
        name="Blinding Lights",
        artists=[{"name": "The Weeknd", "id": None}],
        primary_artist="The Weeknd",
        album_name="After Hours",
        release_date="2020-03-20",
        release_date_precision="day",
        duration_ms=200_040,
        explicit=False,
        popularity=90,
        danceability=0.51,
        energy=0.73,
        key=1,
        loudness=-5.9,
        mode=1,
        speechiness=0.06,
        acousticness=0.001,
        instrumentalness=0.0001,
        liveness=0.09,
        valence=0.33,
        tempo=171.0,
        time_signature=4,
    )
    TrackNameKey.objects.create(key=name_key(track.name, track.primary_artist), track=track)
    return track


def test_anyone_asks_for_a_songs_prediction(browsing, known_song, site_model):
    page = browsing.page

    page.goto(browsing.url("/"))
    page.get_by_label("Song", exact=True).fill("blinding lights")
    page.get_by_label("Artist", exact=True).fill("the weeknd")
    page.get_by_role("button", name="Predict").click()
    card = page.get_by_test_id("prediction-card")
    card.wait_for()
    browsing.shot("prediction")

    assert page.get_by_test_id("prediction-text").inner_text() in BANDS
    assert float(page.get_by_test_id("prediction-value").inner_text()) >= 0
    assert "After Hours" in card.inner_text()
    assert "2020-03-20" in card.inner_text()
    assert page.get_by_test_id("prediction-why").locator("li").count() >= 1
    # A known song is answered from the database: nothing was asked of Spotify.
    assert browsing.fake.counts() == {}


def test_an_admin_activates_an_older_version(
    browsing, fitted_model, model_caches, django_user_model
):
    admin = django_user_model.objects.create_superuser("root", "", "root-pass-123")
    listener = django_user_model.objects.create_user("listener", password="listener-pass-1")
    older = model_version_store(fitted=fitted_model, owner=listener, version=1, active=False)
    model_version_store(fitted=fitted_model, owner=listener, version=2, active=True)
    page = browsing.page

    page.goto(browsing.url("/admin/login/?next=/admin/predictor/modelversion/"))
    page.get_by_label("Username").fill(admin.username)
    page.get_by_label("Password").fill("root-pass-123")
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url("**/admin/predictor/modelversion/")
    page.locator(f'input[name="_selected_action"][value="{older.pk}"]').check()
    page.locator('select[name="action"]').select_option("activate_version")
    page.get_by_role("button", name="Go").click()
    page.locator(".messagelist").wait_for()
    browsing.shot("admin-activated", fits=False)  # Django's own admin layout

    assert "is now active" in page.locator(".messagelist").inner_text()
    assert ModelVersion.objects.get(owner=listener, is_active=True).pk == older.pk

    # The owner's models page now marks v1 as the active one.
    page.context.clear_cookies()
    page.goto(browsing.url("/accounts/login/"))
    page.get_by_label("Username", exact=True).fill("listener")
    page.get_by_label("Password", exact=True).fill("listener-pass-1")
    page.get_by_role("button", name="Log in", exact=True).click()
    page.goto(browsing.url("/dashboard/models/"))
    page.wait_for_function("() => document.querySelectorAll('canvas').length === 2")
    browsing.shot("models-page")
    assert "active" in page.get_by_test_id("model-version-1").inner_text().lower()
    assert "Activate v2" in page.get_by_test_id("model-version-2").inner_text()
