"""Raw samples -> the processed feature set the model (and the /features/ API) uses.

Each transformer copies its input and never mutates it, so the same raw frame can be
fed to several pipelines (model, baselines, explanations) without surprises.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.pipeline import Pipeline

from predictor.ml.context import CONTEXT_FEATURES

KEY_NAMES: tuple[str, ...] = ("C", "C#", "D", "D#", "E", "F", "F#", "G", "G#", "A", "A#", "B")
KEY_FEATURES: tuple[str, ...] = (*(f"key_{name}" for name in KEY_NAMES), "key_unknown")

TRACK_FEATURES: tuple[str, ...] = (
    "num_artists",
    "duration_ms",
    "explicit",
    "popularity",
    "number_of_available_markets",
)
RELEASE_FEATURES: tuple[str, ...] = (
    "release_year",
    "release_month",
    "release_day",
    "date_is_complete",
)
AUDIO_FEATURES: tuple[str, ...] = (
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
    *KEY_FEATURES,
)

# Grouping used by the API's /features/ response and the explanation of a prediction.
FEATURE_GROUPS: dict[str, tuple[str, ...]] = {
    "track": TRACK_FEATURES,
    "release": RELEASE_FEATURES,
    "audio": AUDIO_FEATURES,
    "context": CONTEXT_FEATURES,
}

FEATURE_DESCRIPTIONS: dict[str, str] = {
    "num_artists": "Number of credited artists.",
    "duration_ms": "Track length in milliseconds.",
    "explicit": "1 if the track is marked explicit, else 0.",
    "popularity": "Spotify popularity, 0-100, when a source still returns it.",
    "number_of_available_markets": "Countries the track is available in.",
    "release_year": "Year of release.",
    "release_month": "Month of release, when the release date has one.",
    "release_day": "Day of release, when the release date has one.",
    "date_is_complete": "1 if the release date is known to the day, else 0.",
    "danceability": "Spotify audio feature, 0-1.",
    "energy": "Spotify audio feature, 0-1.",
    "loudness": "Average loudness in dB.",
    "mode": "1 major, 0 minor.",
    "speechiness": "Spotify audio feature, 0-1.",
    "acousticness": "Spotify audio feature, 0-1.",
    "instrumentalness": "Spotify audio feature, 0-1.",
    "liveness": "Spotify audio feature, 0-1.",
    "valence": "Spotify audio feature, 0-1 (musical positiveness).",
    "tempo": "Beats per minute.",
    "time_signature": "Beats per bar.",
    **{f"key_{name}": f"1 if the track is in {name}, else 0." for name in KEY_NAMES},
    "key_unknown": "1 if the key is missing or undetected (-1), else 0.",
    "artist_streams_other": "Your streams of this track's artists' other tracks.",
    "artist_tracks_other": "How many other tracks by these artists you streamed.",
    "artist_stream_share": "Share of all your streams that went to these artists' other tracks.",
    "artist_skip_rate_other": "Share of your plays of these artists' other tracks under 30 s.",
    "album_streams_other": "Your streams of other tracks from the same album.",
}

_NUMERIC_INPUTS: tuple[str, ...] = (
    "duration_ms",
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
)


def feature_names(*, include_context: bool) -> list[str]:
    """The processed feature columns, in the order the model sees them."""
    names = [*TRACK_FEATURES, *RELEASE_FEATURES, *AUDIO_FEATURES]
    return [*names, *CONTEXT_FEATURES] if include_context else names


def _column(frame: pd.DataFrame, name: str) -> pd.Series:
    if name in frame.columns:
        return frame[name]
    return pd.Series(np.nan, index=frame.index, dtype=float)


def _numeric(values: pd.Series) -> pd.Series:
    return pd.to_numeric(values, errors="coerce").astype(float)


class _FrameTransformer(TransformerMixin, BaseEstimator):
    """A stateless DataFrame -> DataFrame step that adds columns to a copy."""

    def fit(self, X: pd.DataFrame, y: object = None) -> _FrameTransformer:
        return self

    def transform(self, X: pd.DataFrame) -> pd.DataFrame:
        out = X.copy()
        for name, values in self._columns(X).items():
            out[name] = values
        return out

    def _columns(self, X: pd.DataFrame) -> dict[str, pd.Series]:
        raise NotImplementedError


class ReleaseDateFeatures(_FrameTransformer):
    """release_date + precision -> release_year/month/day and date_is_complete.

    The precision wins over the string: a "2019-01-01" stored with precision "year"
    only tells us the year. Without a precision it is read from the string's length.
    """

    def _columns(self, X: pd.DataFrame) -> dict[str, pd.Series]:
        text = _column(X, "release_date").astype("string").str.strip().str.slice(0, 10)
        precision = _column(X, "release_date_precision").astype("string").str.lower()
        inferred = text.str.len().map({4: "year", 7: "month", 10: "day"})
        precision = precision.where(precision.isin(["year", "month", "day"]), inferred)
        year = _numeric(text.str.slice(0, 4))
        month = _numeric(text.str.slice(5, 7)).where(precision.isin(["month", "day"]))
        day = _numeric(text.str.slice(8, 10)).where(precision.eq("day"))
        month = month.where(month.between(1, 12))
        day = day.where(day.between(1, 31) & month.notna())
        year = year.where(year.between(1000, 2999))
        complete = (precision.eq("day") & year.notna() & day.notna()).astype(float)
        return {
            "release_year": year,
            "release_month": month.where(year.notna()),
            "release_day": day.where(year.notna()),
            "date_is_complete": complete.fillna(0.0),
        }


class KeyOneHot(_FrameTransformer):
    """Pitch class 0-11 -> key_C ... key_B; -1, missing or nonsense -> key_unknown."""

    def _columns(self, X: pd.DataFrame) -> dict[str, pd.Series]:
        key = _numeric(_column(X, "key"))
        known = key.isin(range(12))
        columns = {f"key_{n}": key.eq(i).astype(float) for i, n in enumerate(KEY_NAMES)}
        columns["key_unknown"] = (~known).astype(float)
        return columns


class TrackBasics(_FrameTransformer):
    """Counts and flags: num_artists, explicit, markets, and numeric coercion."""

    def _columns(self, X: pd.DataFrame) -> dict[str, pd.Series]:
        columns = {name: _numeric(_column(X, name)) for name in _NUMERIC_INPUTS}
        columns["num_artists"] = _column(X, "artists").map(_artist_count).astype(float)
        columns["explicit"] = _numeric(_column(X, "explicit").map(_flag))
        columns["number_of_available_markets"] = _numeric(_column(X, "available_markets_count"))
        return columns


class ContextColumns(_FrameTransformer):
    """Coerces the user-context columns (computed by predictor.ml.context) to floats."""

    def _columns(self, X: pd.DataFrame) -> dict[str, pd.Series]:
        return {name: _numeric(_column(X, name)) for name in CONTEXT_FEATURES}


class FeatureSelector(TransformerMixin, BaseEstimator):
    """Keeps exactly the named processed features, in order, as floats."""

    def __init__(self, names: Sequence[str] = ()) -> None:
        self.names = names

    def fit(self, X: pd.DataFrame, y: object = None) -> FeatureSelector:
        self.feature_names_in_ = np.asarray(list(X.columns), dtype=object)
        return self

    def transform(self, X: pd.DataFrame) -> pd.DataFrame:
        return X.loc[:, list(self.names)].astype(float)

    def get_feature_names_out(self, input_features: object = None) -> np.ndarray:
        return np.asarray(list(self.names), dtype=object)


def _artist_count(value: object) -> float:
    if isinstance(value, str):
        return 1.0 if value.strip() else np.nan
    if isinstance(value, list | tuple):
        return float(len(value)) if value else np.nan
    return np.nan


def _flag(value: object) -> float:
    if isinstance(value, bool | np.bool_):
        return float(value)
    if isinstance(value, int | float) and value in (0, 1):
        return float(value)
    return np.nan


def features_build(*, include_context: bool = True) -> Pipeline:
    """The raw-frame -> processed-feature-frame step of every model pipeline."""
    return Pipeline(
        [
            ("release_date", ReleaseDateFeatures()),
            ("key", KeyOneHot()),
            ("basics", TrackBasics()),
            ("context", ContextColumns()),
            (
                "select",
                FeatureSelector(names=tuple(feature_names(include_context=include_context))),
            ),
        ]
    )
