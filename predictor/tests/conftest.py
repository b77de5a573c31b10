"""Fixtures for the predictor tests: a small synthetic dataset and a model trained on it."""

from __future__ import annotations

import pytest
from threadpoolctl import threadpool_limits

from predictor.ml.synthetic import SyntheticDataset, synthetic_dataset
from predictor.ml.training import TrainingConfig, TrainingResult, model_train


@pytest.fixture(autouse=True, scope="session")
def _one_thread_per_fit():
    """The suite shares two cores with other processes: OpenMP threads would fight."""
    with threadpool_limits(limits=1):
        yield


@pytest.fixture(scope="session")
def synthetic() -> SyntheticDataset:
    return synthetic_dataset(rows=800, seed=3)


@pytest.fixture(scope="session")
def quick_result(synthetic: SyntheticDataset) -> TrainingResult:
    return model_train(
        frame=synthetic.frame,
        target=synthetic.target,
        config=TrainingConfig(grid="quick", threads=1),
    )


@pytest.fixture
def predictor_env(settings):
    """Django-side trainings search the one-candidate-per-family grid; caches start empty."""
    settings.MUSICFLOW_TRAINING_GRID = "quick"
    settings.MUSICFLOW_TRAINING_THREADS = 1
    from predictor.services.prediction import context_cache_clear
    from predictor.services.registry import model_cache_clear

    model_cache_clear()
    context_cache_clear()
    yield
    model_cache_clear()
    context_cache_clear()


@pytest.fixture
def library(db, predictor_env):
    from predictor.tests.factories import catalog_create

    return catalog_create()


@pytest.fixture
def listener(user, library):
    """`user` with a resolved synthetic history over the library."""
    from predictor.tests.factories import history_create

    history_create(user=user, library=library)
    return user


@pytest.fixture
def trained(listener):
    """The listener's first trained (and so active) version."""
    from predictor.services import model_version_train

    return model_version_train(owner=listener)
