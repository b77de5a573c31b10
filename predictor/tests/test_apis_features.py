from __future__ import annotations

import pytest

from predictor.ml.features import FEATURE_GROUPS
from streams.models import Track

pytestmark = pytest.mark.django_db


def _known(site_model) -> Track:
    track = site_model.tracks[3]
    track.raw_sources = {
        "catalog": {"fetched_at": "2026-01-02T03:04:05+00:00", "data": {"energy": 0.5}},
        "reccobeats": {"fetched_at": "2026-01-03T00:00:00+00:00", "data": {"id": "abc"}},
    }
    track.field_sources = {"energy": "catalog"}
    track.tempo = None
    track.save()
    return track


@pytest.mark.parametrize("path", ["/api/raw_features/", "/raw_features/"])
def test_raw_features_show_each_sources_json(owner_client, site_model, path):
    track = _known(site_model)
    response = owner_client.get(path, {"song": track.name, "artist": track.primary_artist})
    assert response.status_code == 200
    body = response.json()
    assert body["song"] == track.name
    assert body["query"] == {"song": track.name, "artist": track.primary_artist}
    assert body["sources"] == [
        {"source": "catalog", "fetched_at": "2026-01-02T03:04:05+00:00", "data": {"energy": 0.5}},
        {"source": "reccobeats", "fetched_at": "2026-01-03T00:00:00+00:00", "data": {"id": "abc"}},
    ]
    assert body["field_sources"] == {"energy": "catalog"}


@pytest.mark.parametrize("path", ["/api/features/", "/features/"])
def test_features_are_grouped_named_and_missing_ones_listed(owner_client, site_model, path):
    track = _known(site_model)
    response = owner_client.get(path, {"song": track.name, "artist": track.primary_artist})
    assert response.status_code == 200
    body = response.json()
    assert set(body["features"]) == set(FEATURE_GROUPS)
    for group, names in FEATURE_GROUPS.items():
        assert list(body["features"][group]) == list(names)
    assert body["features"]["audio"]["tempo"] is None
    assert "tempo" in body["missing"]
    assert body["features"]["audio"]["energy"] == pytest.approx(track.energy)
    assert body["features"]["track"]["num_artists"] == len(track.artists)
    missing = {n for g in body["features"].values() for n, v in g.items() if v is None}
    assert missing == set(body["missing"])


@pytest.mark.parametrize("path", ["/api/features/", "/api/raw_features/", "/features/"])
def test_feature_endpoints_need_authentication(api_client, site_model, path):
    track = site_model.tracks[0]
    response = api_client.get(path, {"song": track.name, "artist": track.primary_artist})
    assert response.status_code == 401


@pytest.mark.parametrize("path", ["/api/features/", "/api/raw_features/"])
def test_feature_endpoints_validate_and_404(owner_client, site_model, settings, path):
    settings.SPOTIFY_CLIENT_ID = ""
    assert owner_client.get(path, {"song": ""}).status_code == 400
    missing = owner_client.get(path, {"song": "No Such Song", "artist": "No Such Band"})
    assert missing.status_code == 404
    assert missing.json()["code"] == "track_not_found"
