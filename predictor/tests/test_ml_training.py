"""GridSearch training: candidates, untouched holdout, baselines, CV spread, honesty flags."""

from __future__ import annotations

import json

import numpy as np
import pytest

from predictor.ml.errors import DatasetTooSmall
from predictor.ml.synthetic import synthetic_dataset
from predictor.ml.training import TrainingConfig, candidate_grid, model_train

FAMILIES = {
    "HurdleRegressor",
    "HistGradientBoostingRegressor",
    "PoissonRegressor",
    "RandomForestRegressor",
    "MLPRegressor",
    "VotingRegressor",
}


def test_every_model_family_is_a_candidate_and_scored(quick_result):
    assert {c.estimator for c in quick_result.candidates} == FAMILIES
    assert all(c.mean_poisson_deviance is not None for c in quick_result.candidates)
    assert [c.rank for c in quick_result.candidates] == sorted(
        c.rank for c in quick_result.candidates
    )
    assert quick_result.estimator == quick_result.candidates[0].estimator


def test_standard_grid_has_the_four_families_and_their_blend_with_poisson_losses():
    grid = candidate_grid(config=TrainingConfig())
    estimators = [g["model__estimator"][0] for g in grid]
    assert {type(e).__name__ for e in estimators} == FAMILIES
    by_name = {type(e).__name__: e for e in estimators}
    assert by_name["HistGradientBoostingRegressor"].loss == "poisson"
    assert by_name["MLPRegressor"].loss == "poisson"
    assert type(by_name["HurdleRegressor"].classifier).__name__ == "RandomForestClassifier"
    # The blend averages the hurdle (with its forest for "how often") and the GLM.
    blended = dict(by_name["VotingRegressor"].estimators)
    assert type(blended["hurdle"]).__name__ == "HurdleRegressor"
    assert blended["hurdle"].regressor is not None
    assert type(blended["glm"]).__name__ == "PoissonRegressor"


def test_the_holdout_is_never_seen_by_the_search(quick_result, synthetic):
    assert quick_result.train_rows + quick_result.holdout_rows == len(synthetic.target)
    assert quick_result.holdout_rows == pytest.approx(0.25 * len(synthetic.target), abs=1)
    # The refitted winner was fitted on the training part only.
    scaler = quick_result.pipeline.named_steps["scale"]
    assert scaler.n_samples_seen_ == quick_result.train_rows
    assert quick_result.holdout["model"].n == quick_result.holdout_rows


def test_model_beats_both_baselines_on_data_with_a_known_signal(quick_result):
    model = quick_result.holdout["model"]
    assert model.d2 > quick_result.holdout["popularity"].d2
    assert model.d2 > 0.1
    assert model.roc_auc > 0.7
    assert quick_result.holdout["mean"].d2 == pytest.approx(0.0, abs=0.02)


def test_cross_validated_metrics_come_with_their_spread(quick_result):
    d2 = quick_result.cv["model"]["d2"]
    assert d2.folds == 5
    assert d2.std > 0
    assert abs(d2.mean - quick_result.holdout["model"].d2) < 0.25
    assert set(quick_result.cv) == {"model", "mean", "popularity"}


def test_summary_is_plain_json_and_judges_enough_positives(quick_result):
    summary = json.loads(json.dumps(quick_result.summary()))
    assert summary["judgeable"] is True
    assert summary["positives"] == quick_result.positives
    assert summary["importances"]
    assert max(summary["importances"], key=summary["importances"].get) in {
        "artist_streams_other",
        "artist_skip_rate_other",
        "popularity",
    }


def test_a_history_with_few_streamed_tracks_is_flagged_as_too_few_to_judge():
    data = synthetic_dataset(rows=200, seed=5)
    target = data.target.copy()
    streamed = np.flatnonzero(target > 0)
    target[streamed[12:]] = 0
    result = model_train(
        frame=data.frame, target=target, config=TrainingConfig(grid="quick", threads=1)
    )
    assert result.positives == 12
    assert result.judgeable is False
    assert "too few streamed tracks to judge" in result.judgement


def test_a_dataset_without_streamed_tracks_cannot_be_trained():
    data = synthetic_dataset(rows=100, seed=6)
    with pytest.raises(DatasetTooSmall, match="0 streamed"):
        model_train(
            frame=data.frame, target=np.zeros(100), config=TrainingConfig(grid="quick", threads=1)
        )
    with pytest.raises(DatasetTooSmall):
        model_train(frame=data.frame.head(10), target=data.target[:10])
