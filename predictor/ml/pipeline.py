"""The one sklearn Pipeline that is trained, saved and served.

Raw samples go in (any field may be missing), predicted stream counts come out. The
feature step, imputation and scaling are fitted with the model and saved with it, so
serving cannot drift from training.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, RegressorMixin, TransformerMixin, clone
from sklearn.ensemble import HistGradientBoostingRegressor, RandomForestClassifier
from sklearn.impute import SimpleImputer
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler

from predictor.ml.context import CONTEXT_FEATURES, CONTEXT_SIGNALS
from predictor.ml.features import features_build

# The Poisson deviance is undefined for a prediction of 0 or less; a count model
# predicting "never" means "almost never".
PREDICTION_FLOOR = 1e-6


class PositiveRegressor(RegressorMixin, BaseEstimator):
    """Wraps any regressor so its predictions are strictly positive counts.

    Forests can predict exactly 0 and an MLP can go negative; both are clipped to
    `floor` so every candidate can be scored by Poisson deviance and served as a count.
    Predictions are also capped at ten times the largest training count (plus one).
    """

    def __init__(self, estimator: BaseEstimator | None = None, floor: float = PREDICTION_FLOOR):
        self.estimator = estimator
        self.floor = floor

    def fit(self, X: np.ndarray, y: np.ndarray) -> PositiveRegressor:
        base = self.estimator if self.estimator is not None else HistGradientBoostingRegressor()
        self.estimator_ = clone(base).fit(X, y)
        # A log-link model extrapolating outside the training range can predict
        # astronomically; nobody streams a song ten times more than their favourite.
        self.ceiling_ = 10.0 * float(np.max(y)) + 1.0
        if hasattr(self.estimator_, "n_features_in_"):
            self.n_features_in_ = self.estimator_.n_features_in_
        return self

    def predict(self, X: np.ndarray) -> np.ndarray:
        return np.clip(self.estimator_.predict(X), self.floor, self.ceiling_)


# Heavy-tailed counts of the user's other plays (one artist can have thousands of
# streams). A log-link model reads a raw count as "each extra stream multiplies the
# prediction", so its fit is driven by a few favourite artists; on log(1 + count) each
# doubling counts the same. Trees are unaffected by the transform.
LOG_COUNT_FEATURES: tuple[str, ...] = (
    "artist_streams_other",
    "artist_tracks_other",
    "album_streams_other",
    "artist_saved_tracks_other",
)


class LogCounts(TransformerMixin, BaseEstimator):
    """log(1 + x) of the count features present (negative counts, impossible, become NaN).

    It sits after the feature step, so the features a user is shown stay plain counts.
    """

    def __init__(self, columns: Sequence[str] = LOG_COUNT_FEATURES) -> None:
        self.columns = columns

    def fit(self, X: pd.DataFrame, y: object = None) -> LogCounts:
        return self

    def transform(self, X: pd.DataFrame) -> pd.DataFrame:
        present = [c for c in self.columns if c in X.columns]
        if not present:
            return X
        out = X.copy()
        counts = out[present].astype(float)
        out[present] = np.log1p(counts.where(counts >= 0))
        return out


class MissingnessGuard(TransformerMixin, BaseEstimator):
    """Blanks features whose *missingness* would teach the model where a track came from.

    Streamed tracks and never-streamed catalog tracks often come from different
    sources (e.g. Spotify in Development mode returns no popularity, the CSV catalog
    does). If a feature is missing far more often on one side, "is it missing?"
    predicts the label without saying anything about taste, so that feature is
    blanked for every row, at training and at serving alike. The user-context
    features are computed the same way for every track and are left alone.
    """

    def __init__(self, max_gap: float = 0.25) -> None:
        self.max_gap = max_gap

    def fit(self, X: pd.DataFrame, y: np.ndarray | None = None) -> MissingnessGuard:
        self.neutralised_: list[str] = []
        if y is None:
            return self
        streamed = np.asarray(y) > 0
        if streamed.all() or not streamed.any():
            return self
        missing = X.isna()
        gap = (missing[streamed].mean() - missing[~streamed].mean()).abs()
        self.neutralised_ = [
            str(c) for c in X.columns if gap[c] > self.max_gap and c not in CONTEXT_SIGNALS
        ]
        return self

    def transform(self, X: pd.DataFrame) -> pd.DataFrame:
        out = X.copy()
        if self.neutralised_:
            out[self.neutralised_] = np.nan
        return out


class HurdleRegressor(RegressorMixin, BaseEstimator):
    """A two-part count model: P(streamed at all) x E[streams | streamed].

    Most tracks are never streamed, and what decides *whether* someone streams a song
    (do they know the artist?) differs from what decides *how often*. A classifier
    learns the first on every row; the second is the mean of the streamed rows, or a
    regressor fitted on them when one is given.
    """

    def __init__(
        self, classifier: BaseEstimator | None = None, regressor: BaseEstimator | None = None
    ) -> None:
        self.classifier = classifier
        self.regressor = regressor

    def fit(self, X: np.ndarray, y: np.ndarray) -> HurdleRegressor:
        y = np.asarray(y, dtype=float)
        streamed = y > 0
        base = self.classifier if self.classifier is not None else RandomForestClassifier()
        self.classifier_ = clone(base).fit(X, streamed)
        self.mean_streamed_ = float(y[streamed].mean()) if streamed.any() else 1.0
        self.regressor_ = None
        if self.regressor is not None and streamed.sum() >= 2:
            self.regressor_ = clone(self.regressor).fit(X[streamed], y[streamed])
        return self

    def predict(self, X: np.ndarray) -> np.ndarray:
        classes = list(self.classifier_.classes_)
        probability = (
            self.classifier_.predict_proba(X)[:, classes.index(True)]
            if True in classes
            else np.zeros(len(X))
        )
        if self.regressor_ is None:
            return probability * self.mean_streamed_
        # Given that a track is streamed, it is streamed at least once.
        return probability * np.maximum(self.regressor_.predict(X), 1.0)


def estimator_name(estimator: BaseEstimator) -> str:
    """The wrapped estimator's class name ("HistGradientBoostingRegressor", ...)."""
    if isinstance(estimator, PositiveRegressor) and estimator.estimator is not None:
        estimator = estimator.estimator
    return type(estimator).__name__


def pipeline_build(
    *,
    estimator: BaseEstimator | None = None,
    include_context: bool = True,
    context: Sequence[str] = CONTEXT_FEATURES,
) -> Pipeline:
    """features -> log counts -> missingness guard -> median imputation (+ flags) ->
    scaling -> model."""
    model = estimator if isinstance(estimator, PositiveRegressor) else PositiveRegressor(estimator)
    return Pipeline(
        [
            ("features", features_build(include_context=include_context, context=context)),
            ("counts", LogCounts()),
            ("guard", MissingnessGuard()),
            (
                "impute",
                # keep_empty_features: a field no source returned (e.g. markets) stays
                # a column, so the feature list never depends on the training data.
                SimpleImputer(strategy="median", add_indicator=True, keep_empty_features=True),
            ),
            ("scale", StandardScaler()),
            ("model", model),
        ]
    )


def pipeline_feature_names(*, pipeline: Pipeline) -> list[str]:
    """The processed feature names a fitted pipeline's model consumes (before flags)."""
    selector = pipeline.named_steps["features"].steps[-1][1]
    return [str(name) for name in selector.get_feature_names_out()]


def pipeline_model_input(*, pipeline: Pipeline, processed: pd.DataFrame) -> pd.DataFrame:
    """What the fitted pipeline's guard step receives, from the feature step's output
    (`processed`): the counts logged.

    `pipeline[pipeline_model_start(pipeline=pipeline):]` predicts from this frame.
    Artifacts trained before the count step existed have none: `processed` is returned.
    """
    model_input = processed
    for _, step in pipeline.steps[1 : pipeline_model_start(pipeline=pipeline)]:
        model_input = step.transform(model_input)
    return model_input


def pipeline_model_start(*, pipeline: Pipeline) -> int:
    """Index of the first step after the feature transforms (the missingness guard)."""
    return [name for name, _ in pipeline.steps].index("guard")


def pipeline_processed(*, pipeline: Pipeline, frame: pd.DataFrame) -> pd.DataFrame:
    """The processed features of `frame`, as the fitted pipeline computes them."""
    return pipeline.named_steps["features"].transform(frame)
