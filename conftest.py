"""Fixtures shared by every app's tests."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

# The fake Spotify / ReccoBeats servers, for every app's tests.
pytest_plugins = [
    "tests_support.fakes.fixtures",
    # Real qcluster / gunicorn processes sharing the test database (fault tests).
    "tests_support.live",
]

PROJECT_ROOT = Path(__file__).resolve().parent
SHARED_DATA = PROJECT_ROOT.parent / "shared" / "data"


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """The real exports and catalogs in ../shared/data.

    A user's fresh clone has no ../shared, so those tests skip there; CI always has
    it, so on CI a missing folder is a failure, never a silent skip.
    """
    if SHARED_DATA.is_dir():
        return SHARED_DATA
    if os.environ.get("CI", "").lower() in {"1", "true", "yes"}:
        pytest.fail(f"../shared/data is missing on CI (looked in {SHARED_DATA})")
    pytest.skip("../shared/data is not present next to the project (real-data tests skipped)")


@pytest.fixture(autouse=True)
def _fresh_shared_cache() -> None:
    """Each test starts with an empty shared cache.

    With the database cache this is implied by the test transaction; with Redis the
    cache outlives tests, and stale throttle or rate-limit counters would leak between them.
    """
    from django.conf import settings
    from django.core.cache import cache

    if settings.REDIS_URL:
        cache.clear()


@pytest.fixture(scope="session", autouse=True)
def _empty_task_queue(django_db_setup, django_db_blocker) -> None:
    """A Redis broker keeps tasks across runs; none from an earlier run may leak into this one."""
    from django.conf import settings

    if settings.REDIS_URL:
        from django_q.brokers import get_broker

        with django_db_blocker.unblock():
            get_broker().purge_queue()


@pytest.fixture
def empty_task_queues(settings) -> None:
    """The test starts with nothing queued on either cluster, whatever the broker."""
    from tests_support.queues import queued_tasks_purge

    queued_tasks_purge()


@pytest.fixture
def user(django_user_model):
    return django_user_model.objects.create_user(username="alice", password="alice-pass-123")


@pytest.fixture
def other_user(django_user_model):
    return django_user_model.objects.create_user(username="bob", password="bob-pass-123")


# --- api ---
@pytest.fixture
def api_client():
    """An anonymous DRF test client."""
    from rest_framework.test import APIClient

    return APIClient()


@pytest.fixture
def owner_client(user):
    """`user` (alice) calling with her API token, as a program would."""
    from rest_framework.test import APIClient

    from musicflow_site.api.services import api_token_get_or_create

    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {api_token_get_or_create(user=user).key}")
    return client


@pytest.fixture
def other_client(other_user):
    """`other_user` (bob), with his own token: he must never see alice's data."""
    from rest_framework.test import APIClient

    from musicflow_site.api.services import api_token_get_or_create

    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {api_token_get_or_create(user=other_user).key}")
    return client


@pytest.fixture
def process_local_cache(settings):
    """A private in-memory cache, so query counts do not depend on the cache backend
    (throttle counters cost queries with the database cache, none with Redis)."""
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
            "LOCATION": f"api-tests-{id(settings)}",
        }
    }


@pytest.fixture
def throttle_rates(settings):
    """Set throttle rates for one test: `throttle_rates(anon="2/min")`."""

    def apply(**rates: str) -> None:
        rest = dict(settings.REST_FRAMEWORK)
        rest["DEFAULT_THROTTLE_RATES"] = {**rest["DEFAULT_THROTTLE_RATES"], **rates}
        settings.REST_FRAMEWORK = rest

    return apply


@pytest.fixture(scope="session")
def trained_site_model_fields(django_db_setup, django_db_blocker):
    """One real (quick-grid) training of a site-default model for the whole session.

    Trained inside a transaction that is rolled back, so no test sees its rows; what
    survives is the artifact in the test media folder and the version's fields, which
    `site_model` re-inserts for each test that needs a model.
    """
    from django.contrib.auth import get_user_model
    from django.db import transaction

    from predictor.ml.training import TrainingConfig
    from predictor.models import ModelVersion
    from predictor.services import model_version_train
    from predictor.tests.factories import catalog_create, history_create

    skipped = {"id", "owner_id", "dataset_user_id", "trained_by_id", "promoted_by_id"}
    with django_db_blocker.unblock(), transaction.atomic():
        listener = get_user_model().objects.create_user(username="api-session-trainer")
        history_create(user=listener, library=catalog_create())
        outcome = model_version_train(
            owner=None,
            dataset_user=listener,
            config=TrainingConfig(include_context=False, grid="quick"),
        )
        fields = {
            f.attname: getattr(outcome.version, f.attname)
            for f in ModelVersion._meta.concrete_fields
            if f.attname not in skipped
        }
        transaction.set_rollback(True)
    fields["artifact"] = outcome.version.artifact.name
    return fields


@pytest.fixture
def site_model(db, trained_site_model_fields):
    """The active site-default model and the catalog it knows (240 synthetic tracks)."""
    from types import SimpleNamespace

    from musicflow_site.api.serving import prediction_memo_clear
    from predictor.models import ModelVersion
    from predictor.services import model_cache_clear
    from predictor.services.prediction import context_cache_clear
    from predictor.tests.factories import catalog_create
    from streams.resolution.index import name_index_add

    # Version ids repeat across rolled-back tests: no cache may outlive one.
    for clear in (model_cache_clear, context_cache_clear, prediction_memo_clear):
        clear()
    library = catalog_create()
    # What the catalog import does: index the tracks by name, so they are known songs.
    name_index_add(tracks=library.tracks)
    version = ModelVersion.objects.create(**trained_site_model_fields)
    yield SimpleNamespace(version=version, tracks=library.tracks)
    for clear in (model_cache_clear, context_cache_clear, prediction_memo_clear):
        clear()
