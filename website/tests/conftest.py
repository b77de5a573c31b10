"""Fixtures for the website's tests."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit, urlunsplit

import pytest
import requests
from django.test import Client
from django.urls import reverse

from tests_support.fakes import fixtures as _fake_fixtures
from tests_support.fakes.server import FakeMusicServices


def spotify_authorize(*, client: Client) -> str:
    """Press "Log in with Spotify"; returns where MusicFlow sends the browser."""
    response = client.post(reverse("website:spotify_begin"))
    assert response.status_code == 302, response.content
    return response["Location"]


def spotify_consent(*, authorize_url: str) -> str:
    """What the user's browser does at Spotify: returns the callback URL Spotify redirects to."""
    response = requests.get(authorize_url, allow_redirects=False, timeout=5)
    assert response.status_code == 302, response.text
    return response.headers["Location"]


def with_query(url: str, **changes: str) -> str:
    parts = urlsplit(url)
    query = {key: values[0] for key, values in parse_qs(parts.query).items()}
    query.update(changes)
    return urlunsplit(parts._replace(query=urlencode(query)))


# TEMP: until the root conftest registers tests_support.fakes.fixtures as a plugin.
fake_services_running = _fake_fixtures.fake_services_running
fake_services = _fake_fixtures.fake_services


@pytest.fixture
def spotify_login(client: Client, fake_services: FakeMusicServices):
    """Log `client` in through the whole Spotify round trip; returns the user."""

    def login():
        callback = spotify_consent(authorize_url=spotify_authorize(client=client))
        response = client.get(callback)
        assert response.status_code == 302, response.content
        return response.wsgi_request.user

    return login


@pytest.fixture
def q_sync(monkeypatch):
    """Run django-q2 tasks in the calling thread, as soon as they are queued.

    The task functions are the real ones; only the hand-over to a cluster is skipped,
    because the test database lives in this process and a cluster process cannot see it.
    """
    from django_q.conf import Conf

    monkeypatch.setattr(Conf, "SYNC", True)


@pytest.fixture
def account_data(shared_data):
    """The real account-data export's JSON files."""
    return sorted((shared_data / "history" / "account-data").glob("*.json"))


@dataclass(frozen=True)
class FittedModel:
    """One small fitted pipeline as the registry stores it, shared by the whole session."""

    data: bytes
    sha256: str
    fields: dict[str, Any]


@pytest.fixture(scope="session")
def fitted_model() -> FittedModel:
    """Trained once (a few seconds), stored as many versions as tests need.

    Built without user context, like the site default model, so it serves anyone.
    """
    from predictor.ml.artifact import artifact_dump
    from predictor.ml.predict import prediction_percentiles
    from predictor.ml.synthetic import synthetic_dataset
    from predictor.ml.training import TrainingConfig, model_train

    data = synthetic_dataset(rows=300, seed=5)
    config = TrainingConfig(grid="quick", include_context=False, search_folds=2, eval_folds=2)
    result = model_train(frame=data.frame, target=data.target, config=config)
    summary = result.summary()
    artifact = artifact_dump(obj=result.pipeline)
    fields = {
        "estimator": result.estimator,
        "params": result.params,
        "metrics": summary["holdout"]["model"],
        "baselines": {k: v for k, v in summary["holdout"].items() if k != "model"},
        "judgeable": result.judgeable,
        "judgement": result.judgement[:255],
        "feature_names": result.feature_names,
        "include_context": False,
        "importances": result.importances,
        "holdout_points": [list(p) for p in result.holdout_points],
        "prediction_percentiles": prediction_percentiles(
            pipeline=result.pipeline, frame=data.frame
        ),
        "dataset_rows": result.rows,
        "dataset_positives": result.positives,
    }
    return FittedModel(data=artifact.data, sha256=artifact.sha256, fields=fields)


def model_version_store(*, fitted: FittedModel, owner: Any, version: int, active: bool) -> Any:
    """A ready registry row whose artifact is the fitted pipeline."""
    from django.core.files.base import ContentFile
    from django.utils import timezone

    from predictor.models import ModelVersion

    row = ModelVersion(
        owner=owner,
        version=version,
        status="ready",
        is_active=active,
        artifact_sha256=fitted.sha256,
        trained_at=timezone.now(),
        **fitted.fields,
    )
    row.artifact.save(f"{fitted.sha256[:16]}.joblib", ContentFile(fitted.data), save=False)
    row.save()
    return row


@pytest.fixture
def model_caches():
    from predictor.services.prediction import context_cache_clear
    from predictor.services.registry import model_cache_clear

    model_cache_clear()
    context_cache_clear()
    yield
    model_cache_clear()
    context_cache_clear()


@pytest.fixture
def trained_versions(db, user, fitted_model, model_caches):
    """Two ready versions of `user`'s model: v1 inactive, v2 active."""
    return [
        model_version_store(fitted=fitted_model, owner=user, version=1, active=False),
        model_version_store(fitted=fitted_model, owner=user, version=2, active=True),
    ]


@pytest.fixture
def site_model(db, fitted_model, model_caches):
    """The site-wide default model, active."""
    return model_version_store(fitted=fitted_model, owner=None, version=1, active=True)
