"""GridSearch over several count models, judged on a holdout the search never saw.

Flow: split off a stratified holdout (streamed vs never streamed) -> GridSearchCV on the
rest, scored by mean Poisson deviance -> holdout metrics for the winner and both
baselines -> cross-validated metrics of the winner's configuration over the whole
dataset, because one holdout of a few hundred tracks is noisy.
"""

from __future__ import annotations

import logging
import math
import time
import warnings
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, clone
from sklearn.ensemble import (
    HistGradientBoostingRegressor,
    RandomForestClassifier,
    RandomForestRegressor,
    VotingRegressor,
)
from sklearn.exceptions import ConvergenceWarning
from sklearn.inspection import permutation_importance
from sklearn.linear_model import PoissonRegressor
from sklearn.model_selection import GridSearchCV, KFold, StratifiedKFold, train_test_split
from sklearn.neural_network import MLPRegressor
from sklearn.pipeline import Pipeline
from threadpoolctl import threadpool_limits

from predictor.ml.baselines import baselines_build
from predictor.ml.context import CONTEXT_FEATURES
from predictor.ml.errors import DatasetTooSmall
from predictor.ml.metrics import Metrics, Spread, metrics_compute, metrics_spread
from predictor.ml.pipeline import (
    HurdleRegressor,
    estimator_name,
    pipeline_build,
    pipeline_feature_names,
)
from predictor.ml.records import AUDIO_INPUTS

logger = logging.getLogger(__name__)

# Raw input columns whose permutation importance is reported (what a user can read).
IMPORTANCE_COLUMNS: tuple[str, ...] = (
    "artists",
    "release_date",
    "duration_ms",
    "explicit",
    "popularity",
    "available_markets_count",
    *AUDIO_INPUTS,
    *CONTEXT_FEATURES,
)
MIN_ROWS = 20
MAX_PLOT_POINTS = 500
# Permutation importance on more holdout rows than this only costs time.
MAX_IMPORTANCE_ROWS = 2000


@dataclass(frozen=True)
class TrainingConfig:
    test_size: float = 0.25
    search_folds: int = 3
    eval_folds: int = 5
    random_state: int = 0
    n_jobs: int = 1
    include_context: bool = True
    # The user-context signals the model sees when include_context (the ablation
    # trains with others).
    context: tuple[str, ...] = CONTEXT_FEATURES
    # Below this many streamed tracks the metrics are reported but not trusted.
    min_positives: int = 50
    # "standard" for real training, "quick" (one candidate per family) for tests.
    grid: str = "standard"
    # Cap on BLAS/OpenMP threads per fit (None: the libraries' default, all cores).
    # On a busy machine one thread per process beats threads fighting for cores.
    threads: int | None = None


@dataclass(frozen=True)
class CandidateScore:
    estimator: str
    params: dict[str, object]
    mean_poisson_deviance: float | None
    std_poisson_deviance: float | None
    rank: int


@dataclass
class TrainingResult:
    pipeline: Pipeline
    estimator: str
    params: dict[str, object]
    candidates: list[CandidateScore]
    holdout: dict[str, Metrics]
    cv: dict[str, dict[str, Spread]]
    feature_names: list[str]
    rows: int
    positives: int
    train_rows: int
    holdout_rows: int
    judgeable: bool
    judgement: str
    holdout_positions: np.ndarray
    holdout_points: list[tuple[float, float]]
    importances: dict[str, float]
    neutralised: list[str]
    seconds: float
    config: TrainingConfig = field(default_factory=TrainingConfig)

    def summary(self) -> dict[str, object]:
        """Everything but the fitted pipeline, as plain JSON-able values."""
        return {
            "estimator": self.estimator,
            "params": self.params,
            "rows": self.rows,
            "positives": self.positives,
            "train_rows": self.train_rows,
            "holdout_rows": self.holdout_rows,
            "judgeable": self.judgeable,
            "judgement": self.judgement,
            "holdout": {name: m.as_dict() for name, m in self.holdout.items()},
            "cv": {
                name: {metric: s.as_dict() for metric, s in spread.items()}
                for name, spread in self.cv.items()
            },
            "candidates": [c.__dict__ for c in self.candidates],
            "feature_names": self.feature_names,
            "importances": self.importances,
            "neutralised": self.neutralised,
            "seconds": round(self.seconds, 3),
        }


def hurdle_build(*, config: TrainingConfig) -> HurdleRegressor:
    """The grid's hurdle model (forest classifier x streamed mean); the ablation's model too."""
    return HurdleRegressor(
        classifier=RandomForestClassifier(
            n_estimators=40 if config.grid == "quick" else 100,
            min_samples_leaf=5,
            max_features=0.5,
            max_samples=0.5,
            random_state=config.random_state,
        )
    )


def candidate_grid(*, config: TrainingConfig) -> list[dict[str, list[object]]]:
    """The estimators and hyper-parameters GridSearchCV tries.

    Kept small on purpose: a 20k-track dataset trains in about a minute on two cores
    (see bench/train.py); the hurdle's forest classifier, alone and in the blend, is
    most of that.
    """
    rs = config.random_state
    quick = config.grid == "quick"
    hgb = HistGradientBoostingRegressor(loss="poisson", max_iter=150, random_state=rs)
    glm = PoissonRegressor(max_iter=1000)
    forest = RandomForestRegressor(
        n_estimators=30 if quick else 40, max_features=0.5, max_samples=0.5, random_state=rs
    )
    # Poisson loss (log link) keeps the network's output a positive count.
    mlp = MLPRegressor(
        loss="poisson",
        hidden_layer_sizes=(32,),
        early_stopping=True,
        max_iter=200,
        random_state=rs,
    )
    hurdle = hurdle_build(config=config)
    streamed_forest = RandomForestRegressor(
        n_estimators=30 if quick else 40, min_samples_leaf=5, random_state=rs
    )
    # The hurdle's forests and the GLM err in different places (the forests on rare
    # feature combinations, the GLM on non-linear ones); their average beat both in
    # cross-validation on the real histories (README, Models and training).
    blend = VotingRegressor(
        [
            ("hurdle", clone(hurdle).set_params(regressor=clone(streamed_forest))),
            ("glm", PoissonRegressor(max_iter=1000)),
        ]
    )
    return [
        {
            "model__estimator": [hurdle],
            "model__estimator__regressor": [None] if quick else [None, streamed_forest],
        },
        {
            "model__estimator": [blend],
            # alpha 1.0 as well ranked below both parts on the real histories and cost
            # a tenth of the search time.
            "model__estimator__glm__alpha": [0.1],
        },
        {
            "model__estimator": [hgb],
            "model__estimator__learning_rate": [0.1] if quick else [0.05, 0.1],
            "model__estimator__max_leaf_nodes": [15] if quick else [7, 15],
            "model__estimator__min_samples_leaf": [20],
        },
        {
            "model__estimator": [glm],
            "model__estimator__alpha": [0.1] if quick else [0.01, 0.1, 1.0],
        },
        {
            "model__estimator": [forest],
            "model__estimator__min_samples_leaf": [5] if quick else [5, 20],
        },
        {"model__estimator": [mlp], "model__estimator__alpha": [1e-2] if quick else [1e-3, 1e-1]},
    ]


def _jsonable(value: object) -> object:
    if isinstance(value, BaseEstimator):
        return estimator_name(value)
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, str | int | float | bool) or value is None:
        return value
    return repr(value)


def _short_params(params: dict[str, object]) -> dict[str, object]:
    prefix = "model__estimator__"
    return {
        key.removeprefix(prefix): _jsonable(value)
        for key, value in sorted(params.items())
        if key.startswith(prefix)
    }


def _candidates(search: GridSearchCV) -> list[CandidateScore]:
    results = search.cv_results_
    scores = []
    for i, params in enumerate(results["params"]):
        mean = _jsonable(-float(results["mean_test_score"][i]))
        std = _jsonable(float(results["std_test_score"][i]))
        scores.append(
            CandidateScore(
                estimator=estimator_name(params["model__estimator"]),
                params=_short_params(params),
                mean_poisson_deviance=mean,
                std_poisson_deviance=std,
                rank=int(results["rank_test_score"][i]),
            )
        )
    return sorted(scores, key=lambda c: c.rank)


def stratified_folds(
    y: np.ndarray, n_splits: int, random_state: int
) -> list[tuple[np.ndarray, np.ndarray]]:
    """Stratified on streamed/not when both classes can fill every fold."""
    streamed = y > 0
    smallest = min(int(streamed.sum()), int((~streamed).sum()))
    if smallest >= n_splits:
        splitter = StratifiedKFold(n_splits=n_splits, shuffle=True, random_state=random_state)
        return list(splitter.split(np.zeros(len(y)), streamed))
    splitter = KFold(n_splits=n_splits, shuffle=True, random_state=random_state)
    return list(splitter.split(np.zeros(len(y))))


def _split(y: np.ndarray, config: TrainingConfig) -> tuple[np.ndarray, np.ndarray]:
    positions = np.arange(len(y))
    streamed = y > 0
    stratify = streamed if min(streamed.sum(), (~streamed).sum()) >= 2 else None
    train, holdout = train_test_split(
        positions, test_size=config.test_size, random_state=config.random_state, stratify=stratify
    )
    return np.sort(train), np.sort(holdout)


def _search(frame: pd.DataFrame, y: np.ndarray, config: TrainingConfig) -> GridSearchCV:
    grid = candidate_grid(config=config)
    search = GridSearchCV(
        pipeline_build(include_context=config.include_context, context=config.context),
        grid,
        scoring="neg_mean_poisson_deviance",
        cv=stratified_folds(y, config.search_folds, config.random_state),
        n_jobs=config.n_jobs,
        refit=True,
        error_score=np.nan,
    )
    count = sum(math.prod(len(v) for v in g.values()) for g in grid)
    logger.info(
        "grid search: %d candidates x %d folds on %d rows", count, config.search_folds, len(y)
    )
    with warnings.catch_warnings():
        # GLM/MLP convergence chatter on tiny folds; the CV score already judges them.
        warnings.simplefilter("ignore", ConvergenceWarning)
        search.fit(frame, y)
    return search


def _evaluate(
    estimators: dict[str, BaseEstimator], frame: pd.DataFrame, y: np.ndarray
) -> dict[str, Metrics]:
    return {
        name: metrics_compute(y_true=y, y_pred=est.predict(frame))
        for name, est in estimators.items()
    }


def _fit_all(model: Pipeline, frame: pd.DataFrame, y: np.ndarray) -> dict[str, BaseEstimator]:
    fitted: dict[str, BaseEstimator] = {"model": model}
    for name, baseline in baselines_build().items():
        fitted[name] = baseline.fit(frame, y)
    return fitted


def _cross_validate(
    best: Pipeline, frame: pd.DataFrame, y: np.ndarray, config: TrainingConfig
) -> dict[str, dict[str, Spread]]:
    per_fold: dict[str, list[Metrics]] = {}
    for train, test in stratified_folds(y, config.eval_folds, config.random_state + 1):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            model = clone(best).fit(frame.iloc[train], y[train])
        fitted = _fit_all(model, frame.iloc[train], y[train])
        for name, metrics in _evaluate(fitted, frame.iloc[test], y[test]).items():
            per_fold.setdefault(name, []).append(metrics)
    return {name: metrics_spread(folds=folds) for name, folds in per_fold.items()}


def _importances(
    model: Pipeline, frame: pd.DataFrame, y: np.ndarray, config: TrainingConfig
) -> dict[str, float]:
    """Permutation importance on the holdout: deviance lost when a raw input is shuffled."""
    columns = [c for c in IMPORTANCE_COLUMNS if c in frame.columns]
    if not config.include_context:
        columns = [c for c in columns if c not in CONTEXT_FEATURES]
    if len(y) > MAX_IMPORTANCE_ROWS:
        keep = np.random.default_rng(config.random_state).choice(
            len(y), MAX_IMPORTANCE_ROWS, replace=False
        )
        frame, y = frame.iloc[np.sort(keep)], y[np.sort(keep)]
    result = permutation_importance(
        model,
        frame,
        y,
        scoring="neg_mean_poisson_deviance",
        n_repeats=2,
        random_state=config.random_state,
        n_jobs=1,
    )
    positions = {name: i for i, name in enumerate(frame.columns)}
    scores = {name: float(result.importances_mean[positions[name]]) for name in columns}
    return dict(sorted(scores.items(), key=lambda item: -item[1]))


def _judgement(positives: int, config: TrainingConfig) -> tuple[bool, str]:
    if positives < config.min_positives:
        return False, (
            f"too few streamed tracks to judge: {positives} streamed, "
            f"at least {config.min_positives} needed for trustworthy metrics"
        )
    return True, f"{positives} streamed tracks: enough to judge"


def _plot_points(y: np.ndarray, pred: np.ndarray, random_state: int) -> list[tuple[float, float]]:
    order = np.arange(len(y))
    if len(order) > MAX_PLOT_POINTS:
        order = np.random.default_rng(random_state).choice(order, MAX_PLOT_POINTS, replace=False)
    return [(float(y[i]), round(float(pred[i]), 4)) for i in sorted(order)]


def model_train(
    *, frame: pd.DataFrame, target: np.ndarray | pd.Series, config: TrainingConfig | None = None
) -> TrainingResult:
    """Searches, fits and judges a model for one user's dataset.

    `frame` holds raw samples (see records.samples_frame, with context added when
    `config.include_context`); `target` is the number of streams of each row.
    """
    config = config or TrainingConfig()
    if config.threads is not None:
        with threadpool_limits(limits=config.threads):
            return _model_train(frame=frame, target=target, config=config)
    return _model_train(frame=frame, target=target, config=config)


def _model_train(
    *, frame: pd.DataFrame, target: np.ndarray | pd.Series, config: TrainingConfig
) -> TrainingResult:
    started = time.perf_counter()
    frame = frame.reset_index(drop=True)
    y = np.asarray(target, dtype=float)
    positives = int((y > 0).sum())
    if len(y) < MIN_ROWS or positives < 2 or positives == len(y):
        raise DatasetTooSmall(
            f"need at least {MIN_ROWS} tracks with both streamed and never-streamed ones; "
            f"got {len(y)} tracks, {positives} streamed"
        )
    train, holdout = _split(y, config)
    search = _search(frame.iloc[train], y[train], config)
    best: Pipeline = search.best_estimator_
    logger.info(
        "best candidate: %s %s (CV deviance %.4f)",
        estimator_name(best.named_steps["model"]),
        _short_params(search.best_params_),
        -search.best_score_,
    )
    fitted = _fit_all(best, frame.iloc[train], y[train])
    holdout_metrics = _evaluate(fitted, frame.iloc[holdout], y[holdout])
    logger.info("holdout: %s", {k: v.as_dict() for k, v in holdout_metrics.items()})
    cv = _cross_validate(best, frame, y, config)
    logger.info("cross-validated D^2: %s", cv["model"]["d2"].as_dict())
    judgeable, judgement = _judgement(positives, config)
    if not judgeable:
        logger.warning(judgement)
    pred = best.predict(frame.iloc[holdout])
    return TrainingResult(
        pipeline=best,
        estimator=estimator_name(best.named_steps["model"]),
        params=_short_params(search.best_params_),
        candidates=_candidates(search),
        holdout=holdout_metrics,
        cv=cv,
        feature_names=pipeline_feature_names(pipeline=best),
        rows=len(y),
        positives=positives,
        train_rows=len(train),
        holdout_rows=len(holdout),
        judgeable=judgeable,
        judgement=judgement,
        holdout_positions=holdout,
        holdout_points=_plot_points(y[holdout], pred, config.random_state),
        importances=_importances(best, frame.iloc[holdout], y[holdout], config),
        neutralised=list(best.named_steps["guard"].neutralised_),
        seconds=time.perf_counter() - started,
        config=config,
    )
