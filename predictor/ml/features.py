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

from predictor.ml.context import CONTEXT_FEATURES, CONTEXT_SIGNALS
from predictor.ml.records import AUDIO_INPUTS

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
# Every audio feature is used as it comes but the key, which is one-hot encoded.
_AUDIO_NUMERIC: tuple[str, ...] = tuple(name for name in AUDIO_INPUTS if name != "key")
AUDIO_FEATURES: tuple[str, ...] = (
    *_AUDIO_NUMERIC,
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
    "artist_skip_rate_other": "Share of your plays of these artists' other tracks under 30 s.",
    "album_streams_other": "Your streams of other tracks from the same album.",
    "is_saved": "1 if the track is in your saved library (Liked Songs), else 0.",
    "artist_saved_tracks_other": "How many other tracks by these artists you saved.",
}

_NUMERIC_INPUTS: tuple[str, ...] = ("duration_ms", "popularity", *_AUDIO_NUMERIC)


def feature_names(
    *, include_context: bool, context: Sequence[str] = CONTEXT_FEATURES
) -> list[str]:
    """The processed feature columns, in the order the model sees them."""
    names = [*TRACK_FEATURES, *RELEASE_FEATURES, *AUDIO_FEATURES]
    return [*names, *context] if include_context else names


def _column(frame: pd.DataFrame, name: str) -> pd.Series:
    if name in frame.columns:
        return frame[name]
    return pd.Series(np.nan, index=frame.index, dtype=float)


def _numeric(values: pd.Series) -> pd.Series:
    return pd.to_numeric(values, errors="coerce").astype(float)


def _numeric_frame(X: pd.DataFrame, names: Sequence[str]) -> pd.DataFrame:
    frame = X.reindex(columns=list(names))
    try:
        return frame.astype(float)
    except (TypeError, ValueError):
        # Some cell is text: coerce column by column, unparseable values become NaN.
        return frame.apply(lambda column: _numeric(column))


class _FrameTransformer(TransformerMixin, BaseEstimator):
    """A stateless DataFrame -> DataFrame step that adds columns to a copy."""

    def fit(self, X: pd.DataFrame, y: object = None) -> _FrameTransformer:
        return self

    def transform(self, X: pd.DataFrame) -> pd.DataFrame:
        added = self._columns(X)
        kept = X.drop(columns=[name for name in added if name in X.columns])
        # One concat builds the new frame: no column of X is written in place, and it
        # is far cheaper than inserting columns one by one (serving predicts one row).
        return pd.concat([kept, pd.DataFrame(added, index=X.index)], axis=1)

    def _columns(self, X: pd.DataFrame) -> dict[str, pd.Series]:
        raise NotImplementedError


_PRECISION_BY_LENGTH = {4: "year", 7: "month", 10: "day"}
_NO_DATE = (np.nan, np.nan, np.nan, 0.0)


def _int_part(text: str, start: int, stop: int, low: int, high: int) -> float:
    part = text[start:stop]
    if not part.isdigit():
        return np.nan
    value = int(part)
    return float(value) if low <= value <= high else np.nan


def release_parts(date: object, precision: object) -> tuple[float, float, float, float]:
    """(year, month, day, date_is_complete) of a release date, NaN for unknown parts.

    The precision wins over the string: a "2019-01-01" stored with precision "year"
    only tells us the year. Without a precision it is read from the string's length.
    """
    if not isinstance(date, str) or not date.strip():
        return _NO_DATE
    text = date.strip()[:10]
    known = precision.lower() if isinstance(precision, str) else ""
    known = known if known in ("year", "month", "day") else _PRECISION_BY_LENGTH.get(len(text))
    year = _int_part(text, 0, 4, 1000, 2999)
    if np.isnan(year):
        return _NO_DATE
    month = _int_part(text, 5, 7, 1, 12) if known in ("month", "day") else np.nan
    day = _int_part(text, 8, 10, 1, 31) if known == "day" and not np.isnan(month) else np.nan
    return year, month, day, float(known == "day" and not np.isnan(day))


class ReleaseDateFeatures(_FrameTransformer):
    """release_date + precision -> release_year/month/day and date_is_complete."""

    def _columns(self, X: pd.DataFrame) -> dict[str, pd.Series]:
        parts = [
            release_parts(date, precision)
            for date, precision in zip(
                _column(X, "release_date"), _column(X, "release_date_precision"), strict=True
            )
        ]
        table = np.array(parts, dtype=float).reshape(len(parts), 4)
        names = ("release_year", "release_month", "release_day", "date_is_complete")
        return {name: pd.Series(table[:, i], index=X.index) for i, name in enumerate(names)}


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
        columns = dict(_numeric_frame(X, _NUMERIC_INPUTS).items())
        columns["num_artists"] = _column(X, "artists").map(_artist_count).astype(float)
        columns["explicit"] = _numeric(_column(X, "explicit").map(_flag))
        columns["number_of_available_markets"] = _numeric(_column(X, "available_markets_count"))
        return columns


class ContextColumns(_FrameTransformer):
    """Coerces the user-context columns (computed by predictor.ml.context) to floats."""

    def _columns(self, X: pd.DataFrame) -> dict[str, pd.Series]:
        return dict(_numeric_frame(X, CONTEXT_SIGNALS).items())


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


def features_build(
    *, include_context: bool = True, context: Sequence[str] = CONTEXT_FEATURES
) -> Pipeline:
    """The raw-frame -> processed-feature-frame step of every model pipeline.

    `context` picks which user-context signals the model sees (the ablation tries
    others; production uses CONTEXT_FEATURES).
    """
    names = feature_names(include_context=include_context, context=tuple(context))
    return Pipeline(
        [
            ("release_date", ReleaseDateFeatures()),
            ("key", KeyOneHot()),
            ("basics", TrackBasics()),
            ("context", ContextColumns()),
            (
                "select",
                FeatureSelector(names=tuple(names)),
            ),
        ]
    )
