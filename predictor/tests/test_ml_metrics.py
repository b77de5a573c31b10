"""Metrics of a count prediction, including the cases where one is undefined."""

from __future__ import annotations

import numpy as np
import pytest

from predictor.ml.metrics import metrics_compute, metrics_spread


def test_perfect_ranking_and_mean_prediction_bracket_the_scores():
    truth = np.array([0, 0, 0, 1, 3, 8], dtype=float)
    perfect = metrics_compute(y_true=truth, y_pred=truth)
    assert perfect.d2 == pytest.approx(1.0, abs=1e-4)
    assert perfect.roc_auc == 1.0
    assert perfect.spearman == pytest.approx(1.0)
    assert perfect.positives == 3
    mean = metrics_compute(y_true=truth, y_pred=np.full(6, truth.mean()))
    assert mean.d2 == pytest.approx(0.0, abs=1e-9)
    assert mean.roc_auc == 0.5
    assert mean.spearman is None
    assert mean.mae == pytest.approx(np.mean(np.abs(truth - truth.mean())))


def test_undefined_metrics_are_none_not_nan():
    nothing_streamed = metrics_compute(y_true=[0, 0, 0], y_pred=[0.1, 0.2, 0.3])
    assert nothing_streamed.roc_auc is None
    assert nothing_streamed.d2 is None
    assert nothing_streamed.spearman is None
    assert nothing_streamed.poisson_deviance > 0


def test_zero_and_negative_predictions_are_scored_not_crashed():
    got = metrics_compute(y_true=[0, 1, 2], y_pred=[0.0, -1.0, 2.0])
    assert np.isfinite(got.poisson_deviance)


def test_spread_reports_mean_std_and_how_many_folds_had_the_metric():
    folds = [
        metrics_compute(y_true=[0, 1, 2, 0], y_pred=[0.1, 1, 2, 0.2]),
        metrics_compute(y_true=[0, 1, 3, 0], y_pred=[0.3, 0.5, 2, 0.2]),
        metrics_compute(y_true=[0, 0, 0, 0], y_pred=[0.3, 0.5, 2, 0.2]),
    ]
    spread = metrics_spread(folds=folds)
    assert spread["roc_auc"].folds == 2
    assert spread["mae"].folds == 3
    assert spread["mae"].mean == pytest.approx(np.mean([f.mae for f in folds]))
    assert spread["mae"].std == pytest.approx(np.std([f.mae for f in folds]))
