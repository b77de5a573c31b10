from __future__ import annotations

import time

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from musicflow_site.api.serving import MESSAGE_BANDS, message_for
from predictor.models import ModelVersion
from predictor.selectors import model_version_percentile
from streams.models import Track

pytestmark = pytest.mark.django_db

BANDS = {emoji: text for _, emoji, text in MESSAGE_BANDS}


def _ask(client, song: str, artist: str, path: str = "/api/prediction/"):
    return client.get(path, {"song": song, "artist": artist})


def _known(site_model) -> Track:
    return site_model.tracks[7]


def test_a_known_song_answers_with_the_whole_shape(api_client, site_model):
    track = _known(site_model)
    response = _ask(api_client, track.name.upper(), f"  {track.primary_artist} ")
    assert response.status_code == 200
    body = response.json()
    assert body["query"] == {"song": track.name.upper(), "artist": track.primary_artist}
    assert (body["song"], body["artist"]) == (track.name, track.primary_artist)
    assert body["track_id"] == track.pk
    assert body["matched_by"] == "name_index"
    assert body["prediction"] == round(body["prediction"], 2) >= 0
    assert body["song_metadata"]["song"] == track.name
    assert body["song_metadata"]["album"] == track.album_name
    assert body["song_metadata"]["spotify_url"] == track.spotify_url
    assert body["song_metadata"]["artists"] == [a["name"] for a in track.artists]
    assert BANDS[body["message"]["emoji"]] == body["message"]["text"]
    assert body["model"]["version"] == site_model.version.version
    assert body["model"]["whose"] == "site_default"
    assert "site's default model" in body["description"]
    assert all(effect["direction"] in {"up", "down"} for effect in body["why"])


def test_the_original_path_answers_the_same(api_client, site_model):
    track = _known(site_model)
    original = _ask(api_client, track.name, track.primary_artist, path="/prediction/")
    assert original.status_code == 200
    assert original.json() == _ask(api_client, track.name, track.primary_artist).json()


def test_the_message_is_the_band_of_the_predictions_percentile(api_client, site_model):
    for track in site_model.tracks[:12]:
        body = _ask(api_client, track.name, track.primary_artist).json()
        version = ModelVersion.objects.get(pk=body["model"]["id"])
        # The rounded prediction can sit on a band edge; compare with the unrounded one.
        percentile = body["message"]["percentile"]
        assert message_for(percentile=percentile).emoji == body["message"]["emoji"]
        nearby = model_version_percentile(version=version, prediction=body["prediction"])
        assert abs(nearby - percentile) <= 5


@pytest.mark.parametrize(
    ("percentile", "emoji"),
    [
        (0.0, "😐"),
        (19.9, "😐"),
        (20.0, "🙂"),
        (45.0, "😃"),
        (79.99, "😄"),
        (80.0, "😍"),
        (100, "😍"),
    ],
)
def test_message_bands_are_fifths_of_the_catalog(percentile, emoji):
    assert message_for(percentile=percentile).emoji == emoji


def test_a_known_song_makes_no_outbound_request(api_client, site_model, fake_services):
    track = _known(site_model)
    fake_services.clear_requests()
    assert _ask(api_client, track.name, track.primary_artist).status_code == 200
    assert sum(fake_services.counts().values()) == 0


def test_an_unknown_song_is_found_through_the_sources_then_known(
    api_client, site_model, fake_services, fast_http
):
    first = _ask(api_client, "Blinding Lights", "The Weeknd")
    assert first.status_code == 200, first.json()
    assert first.json()["matched_by"] == "spotify_search"
    assert fake_services.count("spotify.search") == 1
    track = Track.objects.get(pk=first.json()["track_id"])
    assert track.danceability is not None  # audio features came from the chain
    fake_services.clear_requests()
    again = _ask(api_client, "blinding lights", "the weeknd")
    assert again.json()["matched_by"] == "name_index"
    assert sum(fake_services.counts().values()) == 0


def test_a_song_no_source_knows_is_404_and_not_searched_twice(
    api_client, site_model, fake_services, fast_http
):
    response = _ask(api_client, "Nothing Like This Exists", "Nobody At All")
    assert response.status_code == 404
    assert response.json()["code"] == "track_not_found"
    assert fake_services.count("spotify.search") == 1
    assert _ask(api_client, "Nothing Like This Exists", "Nobody At All").status_code == 404
    assert fake_services.count("spotify.search") == 1


def test_unknown_song_without_spotify_credentials_is_404_saying_why(
    api_client, site_model, settings
):
    settings.SPOTIFY_CLIENT_ID = ""
    response = _ask(api_client, "Blinding Lights", "The Weeknd")
    assert response.status_code == 404
    assert "SPOTIFY_CLIENT_ID" in response.json()["detail"]


def test_a_429_from_spotify_is_503_with_retry_after_at_once(
    api_client, site_model, fake_services, fast_http
):
    fake_services.rate_limit("spotify.search", retry_after=3600)
    started = time.monotonic()
    response = _ask(api_client, "Blinding Lights", "The Weeknd")
    assert time.monotonic() - started < 2
    assert response.status_code == 503
    body = response.json()
    assert body["code"] == "source_rate_limited"
    assert 3500 < int(response["Retry-After"]) <= 3600
    assert body["retry_after"] == int(response["Retry-After"])
    # Every worker now knows: the next ask does not even call Spotify.
    fake_services.clear_requests()
    assert _ask(api_client, "Heat Waves", "Glass Animals").status_code == 503
    assert fake_services.count("spotify.search") == 0


def test_spotify_failing_is_503_not_500(api_client, site_model, fake_services, fast_http):
    fake_services.server_error("spotify.search", times=None)
    response = _ask(api_client, "Blinding Lights", "The Weeknd")
    assert response.status_code == 503
    assert response.json()["code"] == "source_unavailable"


def test_no_active_model_is_503(api_client, site_model):
    track = _known(site_model)
    ModelVersion.objects.update(is_active=False)
    response = _ask(api_client, track.name, track.primary_artist)
    assert response.status_code == 503
    assert response.json()["code"] == "no_active_model"


def test_a_model_file_missing_from_storage_is_503_model_unavailable(
    api_client, owner_client, site_model
):
    track = _known(site_model)
    # The registry names a file the storage does not have (deleted, or not shared).
    ModelVersion.objects.filter(pk=site_model.version.pk).update(
        artifact="models/site-default/v1-gone.joblib"
    )
    response = _ask(api_client, track.name, track.primary_artist)
    assert response.status_code == 503
    body = response.json()
    assert set(body) == {"detail", "code"}
    assert body["code"] == "model_unavailable"
    assert "version 1" in body["detail"] and "missing" in body["detail"]
    # A batch answers it per item, in the same shape.
    batch = owner_client.post(
        "/api/predictions/",
        {"items": [{"song": track.name, "artist": track.primary_artist}]},
        format="json",
    )
    assert batch.status_code == 200
    (item,) = batch.json()["results"]
    assert (item["status"], item["error"]) == (503, body)
    # Nothing was cached: once the file is back, predictions are served again.
    ModelVersion.objects.filter(pk=site_model.version.pk).update(
        artifact=site_model.version.artifact.name
    )
    assert _ask(api_client, track.name, track.primary_artist).status_code == 200


def test_a_model_file_that_fails_its_sha256_is_503_model_unavailable(api_client, site_model):
    track = _known(site_model)
    ModelVersion.objects.filter(pk=site_model.version.pk).update(artifact_sha256="0" * 64)
    response = _ask(api_client, track.name, track.primary_artist)
    assert response.status_code == 503
    assert response.json()["code"] == "model_unavailable"
    assert "sha256" in response.json()["detail"]


@pytest.mark.parametrize(
    ("params", "field", "message"),
    [
        ({"artist": "Queen"}, "song", "required"),
        ({"song": "Bohemian Rhapsody"}, "artist", "required"),
        ({"song": "   ", "artist": "Queen"}, "song", "blank"),
        ({"song": "x" * 201, "artist": "Queen"}, "song", "200 characters"),
        ({"song": "Bohemian Rhapsody", "artist": "q" * 201}, "artist", "200 characters"),
    ],
)
def test_bad_parameters_are_400_with_field_messages(api_client, params, field, message):
    response = api_client.get("/api/prediction/", params)
    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "invalid"
    assert message in " ".join(body["fields"][field])


def test_a_user_with_a_model_of_their_own_gets_it(owner_client, api_client, site_model, user):
    mine = ModelVersion.objects.create(
        **{
            **{f: getattr(site_model.version, f) for f in ("artifact", "artifact_sha256")},
            "owner": user,
            "version": 1,
            "status": "ready",
            "is_active": True,
            "include_context": False,
            "prediction_percentiles": site_model.version.prediction_percentiles,
        }
    )
    track = _known(site_model)
    body = _ask(owner_client, track.name, track.primary_artist).json()
    assert body["model"] == {**body["model"], "id": mine.pk, "whose": "yours"}
    assert "your model" in body["description"]
    anonymous = _ask(api_client, track.name, track.primary_artist).json()
    assert anonymous["model"]["whose"] == "site_default"


def test_anonymous_predictions_are_throttled(api_client, site_model, throttle_rates):
    throttle_rates(anon="3/min")
    track = _known(site_model)
    codes = [_ask(api_client, track.name, track.primary_artist).status_code for _ in range(4)]
    assert codes == [200, 200, 200, 429]


def test_a_known_prediction_costs_few_queries(
    api_client, site_model, process_local_cache, django_assert_num_queries
):
    track = _known(site_model)
    _ask(api_client, track.name, track.primary_artist)  # loads the model into this process
    # name index lookup, serving version
    with django_assert_num_queries(2):
        assert _ask(api_client, track.name, track.primary_artist).status_code == 200


def test_serving_a_prediction_never_reads_the_training_reports(
    api_client, site_model, process_local_cache
):
    track = _known(site_model)
    # The first answer in this process: the version is read, its model loaded.
    with CaptureQueriesContext(connection) as queries:
        assert _ask(api_client, track.name, track.primary_artist).status_code == 200
    sql = " ".join(query["sql"] for query in queries.captured_queries)
    assert '"predictor_modelversion"."artifact_sha256"' in sql
    for report in ("metrics", "candidates", "importances", "holdout_points", "params"):
        assert f'"predictor_modelversion"."{report}"' not in sql


def test_anonymous_callers_are_counted_once_not_also_as_users(
    api_client, site_model, throttle_rates
):
    throttle_rates(anon="100/min", user="1/min")
    track = _known(site_model)
    codes = [_ask(api_client, track.name, track.primary_artist).status_code for _ in range(3)]
    assert codes == [200, 200, 200]


def test_activating_another_version_takes_effect_on_the_next_prediction(
    owner_client, site_model, user
):
    def own_version(number: int) -> ModelVersion:
        return ModelVersion.objects.create(
            owner=user,
            version=number,
            status="ready",
            include_context=False,
            artifact=site_model.version.artifact.name,
            artifact_sha256=site_model.version.artifact_sha256,
            prediction_percentiles=site_model.version.prediction_percentiles,
        )

    first, second = own_version(1), own_version(2)
    owner_client.post(f"/api/models/{first.pk}/activate/")
    track = _known(site_model)
    assert _ask(owner_client, track.name, track.primary_artist).json()["model"]["id"] == first.pk
    owner_client.post(f"/api/models/{second.pk}/activate/")
    assert _ask(owner_client, track.name, track.primary_artist).json()["model"]["id"] == second.pk
