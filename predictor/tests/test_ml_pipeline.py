"""The one Pipeline: every input may be missing, predictions are positive counts."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn.linear_model import LinearRegression

from predictor.ml.features import feature_names
from predictor.ml.pipeline import (
    PREDICTION_FLOOR,
    LogCounts,
    PositiveRegressor,
    estimator_name,
    pipeline_build,
    pipeline_feature_names,
)
from predictor.ml.records import TrackSample, samples_frame


def test_pipeline_trains_and_predicts_when_every_input_is_missing(synthetic):
    frame = synthetic.frame.copy()
    # A source that never returns markets, and one row with nothing at all.
    frame["available_markets_count"] = None
    blank = samples_frame(samples=[TrackSample()])
    pipeline = pipeline_build(include_context=True).fit(frame, synthetic.target)
    predicted = pipeline.predict(blank)
    assert predicted.shape == (1,)
    assert predicted[0] > 0
    assert np.isfinite(predicted[0])
    assert pipeline_feature_names(pipeline=pipeline) == feature_names(include_context=True)


def test_a_model_without_context_ignores_the_context_columns(synthetic):
    pipeline = pipeline_build(include_context=False).fit(synthetic.frame, synthetic.target)
    changed = synthetic.frame.head(20).copy()
    changed["artist_streams_other"] = 10_000
    np.testing.assert_allclose(
        pipeline.predict(changed), pipeline.predict(synthetic.frame.head(20))
    )
    assert "artist_streams_other" not in pipeline_feature_names(pipeline=pipeline)


def test_positive_regressor_clips_negative_predictions_to_the_floor():
    x = np.arange(10, dtype=float).reshape(-1, 1)
    y = np.arange(10, dtype=float)
    model = PositiveRegressor(LinearRegression()).fit(x, y)
    predicted = model.predict(np.array([[-50.0], [5.0]]))
    assert predicted[0] == PREDICTION_FLOOR
    assert predicted[1] == 5.0
    assert model.predict(np.array([[1e6]]))[0] == 10 * 9.0 + 1
    assert estimator_name(model) == "LinearRegression"


def test_a_feature_missing_only_for_streamed_tracks_is_blanked_for_everyone(synthetic):
    frame = synthetic.frame.copy()
    streamed = synthetic.target > 0
    # As if streamed tracks came from a source without popularity, the catalog with it.
    frame["popularity"] = frame["popularity"].astype(object).where(~streamed, None)
    pipeline = pipeline_build(include_context=True).fit(frame, synthetic.target)
    assert pipeline.named_steps["guard"].neutralised_ == ["popularity"]
    low, high = frame.head(5).copy(), frame.head(5).copy()
    low["popularity"], high["popularity"] = 0, 100
    np.testing.assert_allclose(pipeline.predict(low), pipeline.predict(high))


def test_missingness_shared_by_both_sides_is_kept(synthetic):
    pipeline = pipeline_build(include_context=True).fit(synthetic.frame, synthetic.target)
    assert pipeline.named_steps["guard"].neutralised_ == []


def test_hurdle_model_multiplies_the_chance_of_streaming_by_the_streamed_mean():
    from sklearn.linear_model import LogisticRegression

    from predictor.ml.pipeline import HurdleRegressor

    x = np.array([[0.0], [0.1], [0.2], [0.9], [1.0], [1.1]])
    y = np.array([0, 0, 0, 2, 4, 6], dtype=float)
    model = HurdleRegressor(LogisticRegression(C=100.0)).fit(x, y)
    predicted = model.predict(np.array([[-1.0], [2.0]]))
    assert model.mean_streamed_ == 4.0
    assert predicted[0] < 0.1
    assert predicted[1] == pytest.approx(4.0, rel=0.05)


def test_count_features_are_logged_for_the_model_and_left_alone_elsewhere():
    frame = pd.DataFrame(
        {
            "artist_streams_other": [0.0, 1.0, 1023.0, np.nan, -2.0],
            "artist_tracks_other": [0.0, 3.0, 7.0, 1.0, 0.0],
            "popularity": [50.0, 60.0, 70.0, 80.0, 90.0],
        }
    )
    original = frame.copy()
    out = LogCounts().fit(frame).transform(frame)
    expected = [0.0, np.log(2.0), np.log(1024.0), np.nan, np.nan]  # a negative count is junk
    np.testing.assert_allclose(out["artist_streams_other"], expected)
    np.testing.assert_allclose(out["artist_tracks_other"], np.log1p(frame["artist_tracks_other"]))
    pd.testing.assert_series_equal(out["popularity"], frame["popularity"])
    pd.testing.assert_frame_equal(frame, original)  # the input is not mutated
