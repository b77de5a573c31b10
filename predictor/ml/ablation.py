"""Measuring what each user-context signal adds, so only the ones that help are kept.

One fixed model (by default Poisson gradient boosting) is cross-validated with no context, with
each signal alone, with all of them, and with all but one. A signal that helps raises
D^2 / AUC when added alone and lowers them when it is the one left out. Given a `base`
set (say, the play signals in use) and `additions` (say, the library signals), it also
tries the base alone, the base plus each addition and plus all of them: what a new
kind of signal is worth on top of the ones in use.
"""

from __future__ import annotations

import logging
from dataclasses import asdict, dataclass

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, clone
from sklearn.ensemble import HistGradientBoostingRegressor

from predictor.ml.context import CONTEXT_SIGNALS
from predictor.ml.metrics import Metrics, metrics_compute, metrics_spread
from predictor.ml.pipeline import pipeline_build
from predictor.ml.training import stratified_folds

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class SignalEffect:
    variant: str
    signals: tuple[str, ...]
    d2_mean: float | None
    d2_std: float | None
    auc_mean: float | None
    auc_std: float | None
    spearman_mean: float | None

    def as_dict(self) -> dict[str, object]:
        return asdict(self)


def _variants(
    signals: tuple[str, ...], base: tuple[str, ...] = (), additions: tuple[str, ...] = ()
) -> list[tuple[str, tuple[str, ...]]]:
    variants = [("no context", ())]
    variants += [(f"only {s}", (s,)) for s in signals]
    variants.append(("all context", signals))
    variants += [(f"all but {s}", tuple(x for x in signals if x != s)) for s in signals]
    added = tuple(s for s in additions if s not in base)
    if base and added:
        variants.append(("base", base))
        variants += [(f"base + {s}", (*base, s)) for s in added]
        if len(added) > 1:
            variants.append((f"base + {' + '.join(added)}", (*base, *added)))
    return variants


def _default_estimator() -> BaseEstimator:
    return HistGradientBoostingRegressor(
        loss="poisson", learning_rate=0.05, max_leaf_nodes=15, max_iter=150, random_state=0
    )


def _cross_validate(
    frame: pd.DataFrame,
    y: np.ndarray,
    folds: list[tuple[np.ndarray, np.ndarray]],
    estimator: BaseEstimator,
    signals: tuple[str, ...],
) -> list[Metrics]:
    model = pipeline_build(estimator=clone(estimator), include_context=True, context=signals)
    scores = []
    for train, test in folds:
        fitted = clone(model).fit(frame.iloc[train], y[train])
        scores.append(metrics_compute(y_true=y[test], y_pred=fitted.predict(frame.iloc[test])))
    return scores


def context_signal_effects(
    *,
    frame: pd.DataFrame,
    target: np.ndarray,
    signals: tuple[str, ...] = CONTEXT_SIGNALS,
    folds: int = 5,
    random_state: int = 0,
    estimator: BaseEstimator | None = None,
    base: tuple[str, ...] = (),
    additions: tuple[str, ...] = (),
) -> list[SignalEffect]:
    """Cross-validated D^2, AUC and Spearman for each combination of context signals.

    Signals left out are blanked (all missing), which the pipeline turns into one
    constant, so every variant sees the same rows, folds and model.
    """
    y = np.asarray(target, dtype=float)
    estimator = estimator if estimator is not None else _default_estimator()
    splits = stratified_folds(y, folds, random_state)
    effects = []
    for label, kept in _variants(tuple(signals), tuple(base), tuple(additions)):
        blanked = frame.copy()
        for name in CONTEXT_SIGNALS:
            if name not in kept:
                blanked[name] = np.nan
        spread = metrics_spread(
            folds=_cross_validate(
                blanked.reset_index(drop=True), y, splits, estimator, tuple(signals)
            )
        )
        effects.append(
            SignalEffect(
                variant=label,
                signals=kept,
                d2_mean=spread["d2"].mean,
                d2_std=spread["d2"].std,
                auc_mean=spread["roc_auc"].mean,
                auc_std=spread["roc_auc"].std,
                spearman_mean=spread["spearman"].mean,
            )
        )
        logger.info("context ablation %s: %s", label, effects[-1].as_dict())
    return effects
