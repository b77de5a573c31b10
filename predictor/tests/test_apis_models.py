from __future__ import annotations

import pytest

from predictor.models import ModelStatus, ModelVersion

pytestmark = pytest.mark.django_db


def _version(owner, version: int, status: str = ModelStatus.READY, active: bool = False):
    return ModelVersion.objects.create(
        owner=owner,
        version=version,
        status=status,
        is_active=active,
        estimator="HistGradientBoostingRegressor",
        metrics={"d2": 0.1 * version, "roc_auc": 0.8},
        baselines={"mean": {"d2": 0.0}},
    )


def test_list_shows_only_my_versions_newest_first(owner_client, user, other_user):
    for n in (1, 2, 3):
        _version(user, n, active=n == 2)
    _version(other_user, 1)
    _version(None, 1, active=True)  # the site default is nobody's
    body = owner_client.get("/api/models/").json()
    assert body["count"] == 3
    assert [v["version"] for v in body["results"]] == [3, 2, 1]
    assert [v["is_active"] for v in body["results"]] == [False, True, False]
    assert body["results"][0]["metrics"] == {"d2": pytest.approx(0.3), "roc_auc": 0.8}
    assert body["results"][0]["baselines"] == {"mean": {"d2": 0.0}}


def test_detail_and_another_users_version_is_404(owner_client, other_client, user):
    mine = _version(user, 1)
    body = owner_client.get(f"/api/models/{mine.pk}/").json()
    assert body["estimator"] == "HistGradientBoostingRegressor"
    assert "candidates" in body
    response = other_client.get(f"/api/models/{mine.pk}/")
    assert response.status_code == 404
    assert response.json()["code"] == "not_found"


def test_activating_a_ready_version_rolls_back_to_it(owner_client, user):
    old = _version(user, 1)
    current = _version(user, 2, active=True)
    response = owner_client.post(f"/api/models/{old.pk}/activate/")
    assert response.status_code == 200
    assert response.json()["is_active"] is True
    current.refresh_from_db()
    old.refresh_from_db()
    assert (old.is_active, current.is_active) == (True, False)
    assert old.promoted_by == user


@pytest.mark.parametrize("status", [ModelStatus.FAILED, ModelStatus.ARCHIVED])
def test_a_version_that_is_not_ready_cannot_be_activated(owner_client, user, status):
    version = _version(user, 1, status=status)
    response = owner_client.post(f"/api/models/{version.pk}/activate/")
    assert response.status_code == 409
    assert response.json()["code"] == "model_version_state"
    version.refresh_from_db()
    assert version.is_active is False


def test_another_user_cannot_activate_my_version(other_client, user):
    version = _version(user, 1)
    assert other_client.post(f"/api/models/{version.pk}/activate/").status_code == 404
    version.refresh_from_db()
    assert version.is_active is False


def test_models_need_authentication(api_client, user):
    version = _version(user, 1)
    assert api_client.get("/api/models/").status_code == 401
    assert api_client.post(f"/api/models/{version.pk}/activate/").status_code == 401


@pytest.mark.parametrize("versions", [1, 15])
def test_listing_versions_costs_the_same_queries_for_any_number(
    owner_client, user, versions, process_local_cache, django_assert_num_queries
):
    for n in range(1, versions + 1):
        _version(user, n)
    # token lookup, count, page
    with django_assert_num_queries(3):
        assert owner_client.get("/api/models/").status_code == 200
