"""Measuring what each user-context signal adds, so only the ones that help are kept.

One fixed model (by default Poisson gradient boosting) is cross-validated with no context, with
each signal alone, with all of them, and with all but one. A signal that helps raises
D^2 / AUC when added alone and lowers them when it is the one left out. Given a `base`
set (say, the signals in use) and `additions` (say, candidates), it also tries the
base alone, the base plus each addition and plus all of them: what a new kind of
signal is worth on top of the ones in use. Each variant's pipeline sees exactly its
signals, as training would.

Leave-one-track-out is not enough on its own. A signal that sums the user's streams
over a group the model can pin down (a release year, a big genre) gives every unplayed
track of the group one value and every streamed one that value minus its own streams:
the model learns the deficit, not taste, and cross-validation rewards it because the
test rows carry the same deficit. So, given `fold_context`, every variant is also
cross-validated on frames whose context was computed without the test fold's own
plays ("fold-out"): there a streamed test track and an unplayed one of the same group
get the same value, as a song the user has not played yet would at serving time. A
signal that helps only in the first measure is a leak. Given `holdout`, the base
variants are also trained with it (the full grid search, the training split) and
report the holdout metrics the training report would.

Forests draw features at random, and one more or one fewer column moves a 5-fold AUC
by about 0.01 by chance alone. With `repeats` > 1 every cross-validation is run with
the model's random_state set to 0, 1, ... and the means and spreads are averaged, so
a difference that big is not mistaken for an effect.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import asdict, dataclass, replace

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, clone
from sklearn.ensemble import HistGradientBoostingRegressor

from predictor.ml.context import CONTEXT_SIGNALS
from predictor.ml.metrics import Metrics, metrics_compute, metrics_spread
from predictor.ml.pipeline import pipeline_build
from predictor.ml.training import TrainingConfig, model_train, stratified_folds

logger = logging.getLogger(__name__)

Folds = list[tuple[np.ndarray, np.ndarray]]


@dataclass(frozen=True)
class SignalEffect:
    variant: str
    signals: tuple[str, ...]
    d2_mean: float | None
    d2_std: float | None
    auc_mean: float | None
    auc_std: float | None
    spearman_mean: float | None
    # The same folds with context computed without the test fold's plays (None: not run).
    fold_out_d2_mean: float | None = None
    fold_out_d2_std: float | None = None
    fold_out_auc_mean: float | None = None
    fold_out_auc_std: float | None = None
    # The training report's holdout metrics with these signals (base variants only).
    holdout_d2: float | None = None
    holdout_auc: float | None = None

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


def _with_seed(estimator: BaseEstimator, seed: int) -> BaseEstimator:
    params = [k for k in estimator.get_params() if k.split("__")[-1] == "random_state"]
    return clone(estimator).set_params(**dict.fromkeys(params, seed))


def _cross_validate(
    frames: list[pd.DataFrame],
    y: np.ndarray,
    folds: Folds,
    estimator: BaseEstimator,
    signals: tuple[str, ...],
) -> dict[str, tuple[float | None, float | None]]:
    """(mean, std) of D^2, AUC and Spearman; frames[k] is the frame fold k is scored on."""
    model = pipeline_build(estimator=clone(estimator), include_context=True, context=signals)
    scores: list[Metrics] = []
    for frame, (train, test) in zip(frames, folds, strict=True):
        fitted = clone(model).fit(frame.iloc[train], y[train])
        scores.append(metrics_compute(y_true=y[test], y_pred=fitted.predict(frame.iloc[test])))
    spread = metrics_spread(folds=scores)
    return {name: (spread[name].mean, spread[name].std) for name in ("d2", "roc_auc", "spearman")}


def _repeated(
    frames: list[pd.DataFrame],
    y: np.ndarray,
    folds: Folds,
    estimator: BaseEstimator,
    signals: tuple[str, ...],
    repeats: int,
) -> dict[str, tuple[float | None, float | None]]:
    """_cross_validate averaged over the model seeds 0 .. repeats - 1."""
    runs = [
        _cross_validate(frames, y, folds, _with_seed(estimator, seed), signals)
        for seed in range(max(repeats, 1))
    ]
    return {
        name: (_mean([r[name][0] for r in runs]), _mean([r[name][1] for r in runs]))
        for name in runs[0]
    }


def _mean(values: list[float | None]) -> float | None:
    known = [v for v in values if v is not None]
    return float(np.mean(known)) if known else None


def _holdout(
    frame: pd.DataFrame, y: np.ndarray, config: TrainingConfig, signals: tuple[str, ...]
) -> tuple[float | None, float | None]:
    result = model_train(
        frame=frame,
        target=y,
        config=replace(config, include_context=bool(signals), context=signals),
    )
    return result.holdout["model"].d2, result.holdout["model"].roc_auc


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
    fold_context: Callable[[np.ndarray], pd.DataFrame] | None = None,
    holdout: TrainingConfig | None = None,
    repeats: int = 1,
) -> list[SignalEffect]:
    """Cross-validated D^2, AUC and Spearman for each combination of context signals.

    `frame` holds every signal (computed leave-one-track-out, as for training).
    `fold_context(test_positions)` returns the same rows with their context computed
    without the plays of the rows at `test_positions`; `holdout` is the training
    configuration the base variants are also trained with; `repeats` how many model
    seeds every cross-validation is averaged over.
    """
    y = np.asarray(target, dtype=float)
    estimator = estimator if estimator is not None else _default_estimator()
    splits = stratified_folds(y, folds, random_state)
    frame = frame.reset_index(drop=True)
    loo = [frame] * len(splits)
    fold_out = (
        [fold_context(test).reset_index(drop=True) for _, test in splits]
        if fold_context is not None
        else None
    )
    measured: dict[tuple[str, ...], SignalEffect] = {}
    effects = []
    for label, kept in _variants(tuple(signals), tuple(base), tuple(additions)):
        if kept not in measured:
            measured[kept] = _measure(kept, loo, fold_out, y, splits, estimator, repeats)
        effect = replace(measured[kept], variant=label)
        if holdout is not None and label.startswith("base"):
            d2, auc = _holdout(frame, y, holdout, kept)
            effect = replace(effect, holdout_d2=d2, holdout_auc=auc)
        effects.append(effect)
        logger.info("context ablation %s: %s", label, effect.as_dict())
    return effects


def _measure(
    kept: tuple[str, ...],
    loo: list[pd.DataFrame],
    fold_out: list[pd.DataFrame] | None,
    y: np.ndarray,
    splits: Folds,
    estimator: BaseEstimator,
    repeats: int,
) -> SignalEffect:
    scores = _repeated(loo, y, splits, estimator, kept, repeats)
    held = _repeated(fold_out, y, splits, estimator, kept, repeats) if fold_out else None
    return SignalEffect(
        variant="",
        signals=kept,
        d2_mean=scores["d2"][0],
        d2_std=scores["d2"][1],
        auc_mean=scores["roc_auc"][0],
        auc_std=scores["roc_auc"][1],
        spearman_mean=scores["spearman"][0],
        fold_out_d2_mean=held["d2"][0] if held else None,
        fold_out_d2_std=held["d2"][1] if held else None,
        fold_out_auc_mean=held["roc_auc"][0] if held else None,
        fold_out_auc_std=held["roc_auc"][1] if held else None,
    )
