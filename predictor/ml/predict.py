"""Predictions with the features behind them and a short, cheap "why".

The "why" asks the fitted pipeline one question per feature: how would the prediction
change if this feature were ordinary (its training median, which the imputer already
stores)? All the variants go through the model in a single predict call.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd
from sklearn.pipeline import Pipeline

from predictor.ml.features import KEY_FEATURES, KEY_NAMES
from predictor.ml.pipeline import (
    pipeline_feature_names,
    pipeline_model_input,
    pipeline_model_start,
)

# Effects smaller than this (in predicted streams) are reported as "none".
EFFECT_TOLERANCE = 0.005


@dataclass(frozen=True)
class FeatureEffect:
    feature: str
    value: float | str | None
    effect: float
    direction: str  # "up", "down" or "none"


@dataclass(frozen=True)
class Prediction:
    value: float
    features: dict[str, float | None]
    effects: list[FeatureEffect]

    def top_effects(self, *, count: int = 5) -> list[FeatureEffect]:
        return [e for e in self.effects if e.direction != "none"][:count]


def predictions_make(*, pipeline: Pipeline, frame: pd.DataFrame) -> np.ndarray:
    """Predicted streams for every row of a raw sample frame."""
    return np.asarray(pipeline.predict(frame), dtype=float)


def _value(x: float) -> float | None:
    return None if x is None or not math.isfinite(x) else float(x)


def _groups(names: list[str]) -> dict[str, list[str]]:
    groups: dict[str, list[str]] = {}
    for name in names:
        groups.setdefault("key" if name in KEY_FEATURES else name, []).append(name)
    return groups


def _group_value(group: str, row: pd.Series) -> float | str | None:
    if group != "key":
        return _value(row[group])
    for name in KEY_NAMES:
        if row.get(f"key_{name}") == 1.0:
            return name
    return None


def prediction_explain(*, pipeline: Pipeline, frame: pd.DataFrame) -> Prediction:
    """The prediction for a one-row raw frame, its processed features and their effects."""
    names = pipeline_feature_names(pipeline=pipeline)
    processed = pipeline.named_steps["features"].transform(frame.iloc[:1])
    row = processed.iloc[0]
    # The medians are of what the guard step sees (counts logged), so the variants are
    # built in that space too; the values shown stay those of `processed`.
    model_input = pipeline_model_input(pipeline=pipeline, processed=processed)
    medians = np.asarray(pipeline.named_steps["impute"].statistics_[: len(names)], dtype=float)
    groups = _groups(names)
    position = {name: i for i, name in enumerate(names)}
    # Row 0 is the track as it is; row i+1 has group i set to its training median.
    variants = np.tile(model_input.to_numpy(dtype=float)[0], (len(groups) + 1, 1))
    for i, columns in enumerate(groups.values(), start=1):
        where = [position[c] for c in columns]
        variants[i, where] = medians[where]
    start = pipeline_model_start(pipeline=pipeline)
    predicted = pipeline[start:].predict(pd.DataFrame(variants, columns=names))
    effects = [
        _effect(group, _group_value(group, row), float(predicted[0] - predicted[i + 1]))
        for i, group in enumerate(groups)
    ]
    effects.sort(key=lambda e: -abs(e.effect))
    return Prediction(
        value=float(predicted[0]),
        features={name: _value(row[name]) for name in names},
        effects=effects,
    )


def _effect(group: str, value: float | str | None, delta: float) -> FeatureEffect:
    direction = "none"
    if delta > EFFECT_TOLERANCE:
        direction = "up"
    elif delta < -EFFECT_TOLERANCE:
        direction = "down"
    return FeatureEffect(feature=group, value=value, effect=round(delta, 4), direction=direction)


def prediction_percentiles(*, pipeline: Pipeline, frame: pd.DataFrame) -> list[float]:
    """Percentiles 0..100 of the model's predictions over a frame (the user's catalog)."""
    predicted = predictions_make(pipeline=pipeline, frame=frame)
    return [round(float(v), 6) for v in np.percentile(predicted, np.arange(101))]


def percentile_of(*, value: float, percentiles: list[float]) -> float:
    """Where `value` falls among stored percentiles, 0-100.

    Ties (many tracks predicted alike) take the middle of their run, so a value equal to
    the most common prediction is not called the best or the worst.
    """
    if not percentiles:
        return 50.0
    points = np.sort(np.asarray(percentiles, dtype=float))
    below = np.searchsorted(points, value, side="left")
    not_above = np.searchsorted(points, value, side="right")
    return round(float((below + not_above) / 2.0 / len(points) * 100.0), 2)
