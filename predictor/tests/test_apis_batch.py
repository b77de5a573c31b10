from __future__ import annotations

import pytest

from predictor.models import ModelVersion

pytestmark = pytest.mark.django_db


def _item(track) -> dict[str, str]:
    return {"song": track.name, "artist": track.primary_artist}


def _batch(client, items):
    return client.post("/api/predictions/", {"items": items}, format="json")


def test_each_item_carries_its_own_status(owner_client, site_model, settings):
    settings.SPOTIFY_CLIENT_ID = ""
    known = site_model.tracks[:2]
    items = [_item(known[0]), {"song": "No Such Song", "artist": "Nobody"}, _item(known[1])]
    response = _batch(owner_client, items)
    assert response.status_code == 200
    results = response.json()["results"]
    assert [r["status"] for r in results] == [200, 404, 200]
    assert [r["query"] for r in results] == items
    assert results[0]["result"]["song"] == known[0].name
    assert results[0]["error"] is None
    assert results[1]["result"] is None
    assert results[1]["error"]["code"] == "track_not_found"


def test_a_batch_answers_like_single_predictions(owner_client, site_model):
    track = site_model.tracks[5]
    single = owner_client.get("/api/prediction/", _item(track)).json()
    batched = _batch(owner_client, [_item(track)]).json()["results"][0]["result"]
    assert batched == single


def test_unknown_songs_beyond_the_network_budget_are_deferred(owner_client, site_model, settings):
    settings.MUSICFLOW_BATCH_NETWORK_LOOKUPS = 0
    results = _batch(owner_client, [{"song": "Unknown", "artist": "Band"}]).json()["results"]
    assert results[0]["status"] == 503
    assert results[0]["error"]["code"] == "lookup_deferred"


def test_unknown_songs_beyond_the_time_budget_are_deferred(owner_client, site_model, settings):
    settings.MUSICFLOW_LOOKUP_NETWORK_SECONDS = 0
    items = [_item(site_model.tracks[0]), {"song": "Unknown", "artist": "Band"}]
    results = _batch(owner_client, items).json()["results"]
    assert [r["status"] for r in results] == [200, 503]
    assert results[1]["error"]["code"] == "lookup_deferred"


@pytest.mark.parametrize("count", [0, 101])
def test_batch_size_is_1_to_100(owner_client, site_model, count):
    items = [_item(site_model.tracks[i % 10]) for i in range(count)]
    response = _batch(owner_client, items)
    assert response.status_code == 400
    assert list(response.json()["fields"]) == ["items"]


def test_one_bad_item_is_a_400_naming_it(owner_client, site_model):
    response = _batch(owner_client, [_item(site_model.tracks[0]), {"song": "x"}])
    assert response.status_code == 400
    assert list(response.json()["fields"]) == ["items.1.artist"]


def test_a_hundred_known_songs_are_answered(owner_client, site_model):
    items = [_item(site_model.tracks[i]) for i in range(100)]
    results = _batch(owner_client, items).json()["results"]
    assert len(results) == 100
    assert {r["status"] for r in results} == {200}


def test_no_active_model_fails_the_whole_batch_with_503(owner_client, site_model):
    ModelVersion.objects.update(is_active=False)
    response = _batch(owner_client, [_item(site_model.tracks[0])])
    assert response.status_code == 503
    assert response.json()["code"] == "no_active_model"


def test_batches_need_authentication(api_client, site_model):
    assert _batch(api_client, [_item(site_model.tracks[0])]).status_code == 401


@pytest.mark.parametrize("count", [1, 20])
def test_known_songs_cost_two_queries_each(
    owner_client, site_model, count, process_local_cache, django_assert_num_queries
):
    items = [_item(site_model.tracks[i]) for i in range(count)]
    _batch(owner_client, items)  # predictions memoised, model loaded
    # token, the serving-model check, then per item: name index + serving version
    with django_assert_num_queries(2 + 2 * count):
        assert _batch(owner_client, items).status_code == 200


def test_batches_have_their_own_throttle(owner_client, site_model, throttle_rates):
    throttle_rates(prediction_batch="2/min")
    codes = [_batch(owner_client, [_item(site_model.tracks[0])]).status_code for _ in range(3)]
    assert codes == [200, 200, 429]
