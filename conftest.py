"""Fixtures shared by every app's tests."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

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
def user(django_user_model):
    return django_user_model.objects.create_user(username="alice", password="alice-pass-123")


@pytest.fixture
def other_user(django_user_model):
    return django_user_model.objects.create_user(username="bob", password="bob-pass-123")
