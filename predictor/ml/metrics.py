"""How good a count prediction is: deviance, deviance explained, ranking and detection."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import asdict, dataclass

import numpy as np
from scipy.stats import spearmanr
from sklearn.metrics import mean_absolute_error, mean_poisson_deviance, roc_auc_score

from predictor.ml.pipeline import PREDICTION_FLOOR

METRIC_NAMES: tuple[str, ...] = ("poisson_deviance", "d2", "mae", "spearman", "roc_auc")


@dataclass(frozen=True)
class Metrics:
    """Holdout (or one fold's) metrics; None where a metric is undefined for the data."""

    n: int
    positives: int
    poisson_deviance: float
    d2: float | None
    mae: float
    spearman: float | None
    roc_auc: float | None

    def as_dict(self) -> dict[str, float | int | None]:
        return asdict(self)


@dataclass(frozen=True)
class Spread:
    """A metric across cross-validation folds."""

    mean: float | None
    std: float | None
    folds: int

    def as_dict(self) -> dict[str, float | int | None]:
        return asdict(self)


def _finite(value: float) -> float | None:
    return float(value) if value is not None and math.isfinite(value) else None


def metrics_compute(*, y_true: Sequence[float], y_pred: Sequence[float]) -> Metrics:
    """All metrics for one set of predictions.

    D^2 is the share of Poisson deviance explained relative to predicting the mean of
    `y_true` (1 is perfect, 0 is no better than the mean, negative is worse). ROC AUC
    scores how well the prediction ranks streamed tracks above never-streamed ones.
    """
    truth = np.asarray(y_true, dtype=float)
    pred = np.clip(np.asarray(y_pred, dtype=float), PREDICTION_FLOOR, None)
    streamed = truth > 0
    deviance = float(mean_poisson_deviance(truth, pred))
    null = float(
        mean_poisson_deviance(truth, np.full_like(truth, max(truth.mean(), PREDICTION_FLOOR)))
    )
    # With a constant truth the mean is already perfect and D^2 means nothing.
    d2 = 1.0 - deviance / null if np.ptp(truth) > 0 and null > 0 else None
    both_classes = 0 < streamed.sum() < len(truth)
    auc = float(roc_auc_score(streamed, pred)) if both_classes else None
    spearman = None
    if np.ptp(truth) > 0 and np.ptp(pred) > 0:
        spearman = _finite(float(spearmanr(truth, pred).statistic))
    return Metrics(
        n=len(truth),
        positives=int(streamed.sum()),
        poisson_deviance=deviance,
        d2=d2,
        mae=float(mean_absolute_error(truth, pred)),
        spearman=spearman,
        roc_auc=auc,
    )


def metrics_spread(*, folds: Sequence[Metrics]) -> dict[str, Spread]:
    """Mean and standard deviation of each metric over the folds where it is defined."""
    spread: dict[str, Spread] = {}
    for name in METRIC_NAMES:
        values = [getattr(m, name) for m in folds if getattr(m, name) is not None]
        if not values:
            spread[name] = Spread(mean=None, std=None, folds=0)
            continue
        spread[name] = Spread(
            mean=float(np.mean(values)), std=float(np.std(values)), folds=len(values)
        )
    return spread
