"""Fixtures for the predictor tests: a small synthetic dataset and a model trained on it."""

from __future__ import annotations

import pytest

from predictor.ml.synthetic import SyntheticDataset, synthetic_dataset
from predictor.ml.training import TrainingConfig, TrainingResult, model_train


@pytest.fixture(scope="session")
def synthetic() -> SyntheticDataset:
    return synthetic_dataset(rows=800, seed=3)


@pytest.fixture(scope="session")
def quick_result(synthetic: SyntheticDataset) -> TrainingResult:
    return model_train(
        frame=synthetic.frame, target=synthetic.target, config=TrainingConfig(grid="quick")
    )
