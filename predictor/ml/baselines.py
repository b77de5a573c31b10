"""The two baselines every model must beat: the mean, and popularity alone."""

from __future__ import annotations

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, RegressorMixin
from sklearn.linear_model import PoissonRegressor

from predictor.ml.pipeline import PREDICTION_FLOOR


class MeanBaseline(RegressorMixin, BaseEstimator):
    """Predicts the training mean for every track."""

    def fit(self, X: pd.DataFrame, y: np.ndarray) -> MeanBaseline:
        self.mean_ = max(float(np.mean(y)), PREDICTION_FLOOR)
        return self

    def predict(self, X: pd.DataFrame) -> np.ndarray:
        return np.full(len(X), self.mean_)


class PopularityBaseline(RegressorMixin, BaseEstimator):
    """A Poisson GLM on Spotify popularity only (missing popularity -> training median).

    This is what "the user streams what everybody streams" predicts; with no
    popularity at all it degrades to the mean.
    """

    def fit(self, X: pd.DataFrame, y: np.ndarray) -> PopularityBaseline:
        popularity = self._popularity(X)
        observed = popularity.dropna()
        self.median_ = float(observed.median()) if len(observed) else 0.0
        self.model_ = PoissonRegressor(alpha=1e-4, max_iter=1000)
        self.model_.fit(self._matrix(popularity), np.asarray(y, dtype=float))
        return self

    def predict(self, X: pd.DataFrame) -> np.ndarray:
        predicted = self.model_.predict(self._matrix(self._popularity(X)))
        return np.clip(predicted, PREDICTION_FLOOR, None)

    def _matrix(self, popularity: pd.Series) -> np.ndarray:
        return popularity.fillna(self.median_).to_numpy(dtype=float).reshape(-1, 1) / 100.0

    @staticmethod
    def _popularity(X: pd.DataFrame) -> pd.Series:
        if "popularity" not in X.columns:
            return pd.Series(np.nan, index=X.index, dtype=float)
        return pd.to_numeric(X["popularity"], errors="coerce").astype(float)


def baselines_build() -> dict[str, BaseEstimator]:
    return {"mean": MeanBaseline(), "popularity": PopularityBaseline()}
