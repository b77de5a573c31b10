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


@pytest.fixture
def user(django_user_model):
    return django_user_model.objects.create_user(username="alice", password="alice-pass-123")


@pytest.fixture
def other_user(django_user_model):
    return django_user_model.objects.create_user(username="bob", password="bob-pass-123")
