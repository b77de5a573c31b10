"""The processed feature set: release date parts, key one-hot, flags, no mutation."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from predictor.ml.features import (
    FEATURE_DESCRIPTIONS,
    KEY_FEATURES,
    feature_names,
    features_build,
)
from predictor.ml.records import TrackSample, samples_frame


def _processed(*samples: TrackSample, include_context: bool = False) -> pd.DataFrame:
    frame = samples_frame(samples=samples)
    return features_build(include_context=include_context).fit_transform(frame)


@pytest.mark.parametrize(
    ("date", "precision", "expected"),
    [
        ("2019", "year", (2019, None, None, 0.0)),
        ("2019-05", "month", (2019, 5, None, 0.0)),
        ("2019-05-17", "day", (2019, 5, 17, 1.0)),
        ("2019-05-17", None, (2019, 5, 17, 1.0)),
        ("2019-05", None, (2019, 5, None, 0.0)),
        # The precision wins: a padded date stored as "year" only knows the year.
        ("2019-01-01", "year", (2019, None, None, 0.0)),
        (None, None, (None, None, None, 0.0)),
        ("not a date", None, (None, None, None, 0.0)),
        ("2019-13-45", "day", (2019, None, None, 0.0)),
    ],
)
def test_release_date_becomes_year_month_day_and_completeness(date, precision, expected):
    row = _processed(TrackSample(release_date=date, release_date_precision=precision)).iloc[0]
    got = tuple(
        None if math.isnan(row[c]) else row[c]
        for c in ("release_year", "release_month", "release_day", "date_is_complete")
    )
    assert got == expected


@pytest.mark.parametrize(
    ("key", "column"),
    [
        (0, "key_C"),
        (1, "key_C#"),
        (6, "key_F#"),
        (11, "key_B"),
        (-1, "key_unknown"),
        (None, "key_unknown"),
        (15, "key_unknown"),
    ],
)
def test_key_is_one_hot_with_readable_names(key, column):
    row = _processed(TrackSample(key=key)).iloc[0]
    assert row[column] == 1.0
    assert row[list(KEY_FEATURES)].sum() == 1.0


def test_each_key_column_appears_exactly_once_in_the_feature_list():
    names = feature_names(include_context=True)
    keys = [n for n in names if n.startswith("key_")]
    assert keys == list(KEY_FEATURES)
    assert len(keys) == 13
    assert len(names) == len(set(names))


def test_feature_list_matches_the_original_api_plus_context():
    names = feature_names(include_context=False)
    for expected in (
        "number_of_available_markets",
        "release_year",
        "release_month",
        "release_day",
        "date_is_complete",
        "num_artists",
        "duration_ms",
        "explicit",
        "popularity",
        "danceability",
        "energy",
        "loudness",
        "mode",
        "speechiness",
        "acousticness",
        "instrumentalness",
        "liveness",
        "valence",
        "tempo",
        "time_signature",
    ):
        assert expected in names
    assert "artist_streams_other" not in names
    assert "artist_streams_other" in feature_names(include_context=True)
    # Every feature is documented for the API schema.
    assert set(feature_names(include_context=True)) <= set(FEATURE_DESCRIPTIONS)


def test_flags_and_counts_are_numbers_and_missing_stays_missing():
    rows = _processed(
        TrackSample(artists=("A", "B"), explicit=True, available_markets_count=180),
        TrackSample(artists=(), explicit=False),
        TrackSample(),
    )
    assert rows["num_artists"].tolist()[0] == 2.0
    assert np.isnan(rows["num_artists"].tolist()[1])
    assert rows["explicit"].tolist()[:2] == [1.0, 0.0]
    assert np.isnan(rows["explicit"].tolist()[2])
    assert rows["number_of_available_markets"].tolist()[0] == 180.0
    assert all(dtype == np.float64 for dtype in rows.dtypes)


def test_transformers_copy_and_never_mutate_their_input():
    frame = samples_frame(
        samples=[
            TrackSample(release_date="2020-02", key=3, explicit=True, artists=("A",)),
            TrackSample(),
        ]
    )
    before = frame.copy(deep=True)
    features = features_build(include_context=True)
    features.fit(frame)
    out = features.transform(frame)
    pd.testing.assert_frame_equal(frame, before)
    assert out is not frame
    assert list(out.columns) == feature_names(include_context=True)
