"""Predictions with their features and a per-feature "why"; catalog percentiles."""

from __future__ import annotations

import numpy as np
import pytest

from predictor.ml.features import feature_names
from predictor.ml.predict import (
    percentile_of,
    prediction_explain,
    prediction_percentiles,
    predictions_make,
)


def test_explanation_returns_the_pipelines_prediction_and_every_feature(quick_result, synthetic):
    row = synthetic.frame.iloc[[7]]
    explained = prediction_explain(pipeline=quick_result.pipeline, frame=row)
    assert explained.value == pytest.approx(float(quick_result.pipeline.predict(row)[0]))
    assert list(explained.features) == feature_names(include_context=True)
    groups = [e.feature for e in explained.effects]
    # The key one-hot is explained as one feature, everything else once each.
    assert groups.count("key") == 1
    assert not any(g.startswith("key_") for g in groups)
    assert len(groups) == len(set(groups))
    assert all(e.direction in {"up", "down", "none"} for e in explained.effects)


def test_a_count_features_effect_is_measured_against_its_median_count(quick_result, synthetic):
    """The model reads log(1 + count); the shown value and the "median" variant are counts."""
    pipeline = quick_result.pipeline
    frame = synthetic.frame
    loved = frame["artist_streams_other"].idxmax()
    row = frame.iloc[[loved]]
    explained = prediction_explain(pipeline=pipeline, frame=row)
    assert explained.features["artist_streams_other"] == float(row["artist_streams_other"].iloc[0])
    names = feature_names(include_context=True)
    logged_median = pipeline.named_steps["impute"].statistics_[names.index("artist_streams_other")]
    at_median = row.assign(artist_streams_other=float(np.expm1(logged_median)))
    expected = float(pipeline.predict(row)[0] - pipeline.predict(at_median)[0])
    effect = next(e for e in explained.effects if e.feature == "artist_streams_other")
    assert effect.effect == pytest.approx(expected, abs=1e-4)
    assert abs(effect.effect) > 1e-3


def test_familiar_artists_push_the_prediction_up(quick_result, synthetic):
    frame = synthetic.frame
    loved = frame["artist_streams_other"].idxmax()
    explained = prediction_explain(pipeline=quick_result.pipeline, frame=frame.iloc[[loved]])
    context = {e.feature: e for e in explained.effects if e.feature.startswith("artist_")}
    assert any(e.direction == "up" for e in context.values())
    assert (
        explained.effects[0].effect == max(explained.effects, key=lambda e: abs(e.effect)).effect
    )


def test_percentiles_place_predictions_within_the_users_catalog(quick_result, synthetic):
    points = prediction_percentiles(pipeline=quick_result.pipeline, frame=synthetic.frame)
    assert len(points) == 101
    assert points == sorted(points)
    predicted = predictions_make(pipeline=quick_result.pipeline, frame=synthetic.frame)
    assert points[0] == pytest.approx(predicted.min(), abs=1e-6)  # stored rounded to 6 decimals
    assert percentile_of(value=points[-1] * 2, percentiles=points) == 100.0
    assert percentile_of(value=0.0, percentiles=points) == 0.0
    assert percentile_of(value=points[50], percentiles=points) == pytest.approx(50.5, abs=1.0)


def test_ties_take_the_middle_of_their_run():
    flat = [1.0] * 101
    assert percentile_of(value=1.0, percentiles=flat) == 50.0
    assert percentile_of(value=5.0, percentiles=[]) == 50.0
