"""The context ablation: which signal sets it compares, on the same rows and folds."""

from __future__ import annotations

import numpy as np
import pandas as pd
from sklearn.ensemble import RandomForestRegressor
from sklearn.linear_model import PoissonRegressor

from predictor.ml.ablation import context_signal_effects
from predictor.ml.synthetic import synthetic_dataset
from predictor.ml.training import TrainingConfig


def test_a_base_set_is_compared_with_each_addition_and_with_all_of_them():
    data = synthetic_dataset(rows=160, seed=2)
    effects = context_signal_effects(
        frame=data.frame,
        target=data.target,
        signals=("artist_streams_other", "artist_tracks_other", "is_saved"),
        folds=2,
        estimator=PoissonRegressor(alpha=1.0),
        base=("artist_streams_other",),
        additions=("artist_tracks_other", "is_saved"),
    )
    by_label = {e.variant: e for e in effects}
    assert by_label["base"].signals == ("artist_streams_other",)
    assert by_label["base + is_saved"].signals == ("artist_streams_other", "is_saved")
    both = by_label["base + artist_tracks_other + is_saved"]
    assert both.signals == ("artist_streams_other", "artist_tracks_other", "is_saved")
    # Same signals, same rows, same folds, same model: the same scores.
    assert both.d2_mean == by_label["all context"].d2_mean
    assert by_label["base"].d2_mean == by_label["only artist_streams_other"].d2_mean
    # The artist signal carries the synthetic history's signal; no context does not.
    assert by_label["base"].d2_mean > by_label["no context"].d2_mean


def test_without_a_base_only_the_standard_variants_run():
    data = synthetic_dataset(rows=120, seed=4)
    effects = context_signal_effects(
        frame=data.frame,
        target=data.target,
        signals=("artist_streams_other",),
        folds=2,
        estimator=PoissonRegressor(alpha=1.0),
    )
    assert [e.variant for e in effects] == [
        "no context",
        "only artist_streams_other",
        "all context",
        "all but artist_streams_other",
    ]


def _year_deficit_case() -> tuple[pd.DataFrame, np.ndarray, object]:
    """Streams that depend on nothing, and a leave-one-out signal summing them over
    the track's release year, a group the model can see."""
    data = synthetic_dataset(rows=400, seed=5, missing=0.0)
    y = np.random.default_rng(0).poisson(1.0, 400).astype(float)
    years = np.arange(400) % 8
    frame = data.frame.assign(release_date=[f"{2000 + year}" for year in years])

    def year_streams_other(hidden: np.ndarray) -> np.ndarray:
        counted = np.where(hidden, 0.0, y)
        totals = pd.Series(counted).groupby(years).transform("sum").to_numpy()
        return totals - counted

    def fold_context(test: np.ndarray) -> pd.DataFrame:
        hidden = np.zeros(len(y), dtype=bool)
        hidden[test] = True
        return frame.assign(year_streams_other=year_streams_other(hidden))

    frame = frame.assign(year_streams_other=year_streams_other(np.zeros(len(y), dtype=bool)))
    return frame, y, fold_context


def test_fold_out_context_exposes_a_signal_that_only_learns_its_own_deficit():
    frame, y, fold_context = _year_deficit_case()
    effects = context_signal_effects(
        frame=frame,
        target=y,
        signals=("year_streams_other",),
        estimator=RandomForestRegressor(n_estimators=40, random_state=0),
        fold_context=fold_context,
    )
    by_label = {e.variant: e for e in effects}
    none, leaky = by_label["no context"], by_label["only year_streams_other"]
    # Leaving the track's own streams out is not enough: the unplayed tracks of a year
    # share one value, a streamed one sits below it, and plain CV rewards that.
    assert leaky.d2_mean > none.d2_mean + 0.2
    assert leaky.auc_mean > none.auc_mean + 0.2
    # Computed without the test fold's plays, the deficit is gone, and so is the gain.
    assert leaky.fold_out_d2_mean < none.fold_out_d2_mean
    assert leaky.fold_out_auc_mean < none.fold_out_auc_mean + 0.1
    assert none.fold_out_d2_mean == none.d2_mean  # no context: nothing to recompute


def test_base_variants_report_the_training_holdout_and_seeds_are_averaged():
    data = synthetic_dataset(rows=200, seed=6)
    config = TrainingConfig(grid="quick", threads=1, eval_folds=2, search_folds=2)
    one, three = (
        context_signal_effects(
            frame=data.frame,
            target=data.target,
            signals=("artist_streams_other", "is_saved"),
            folds=2,
            estimator=RandomForestRegressor(n_estimators=10, random_state=0),
            base=("artist_streams_other",),
            additions=("is_saved",),
            holdout=config if repeats == 1 else None,
            repeats=repeats,
        )
        for repeats in (1, 3)
    )
    by_label = {e.variant: e for e in one}
    assert by_label["base"].holdout_auc is not None
    assert by_label["base + is_saved"].holdout_d2 is not None
    assert by_label["only is_saved"].holdout_auc is None  # only the base variants train
    assert by_label["base"].fold_out_d2_mean is None  # no fold_context given
    # Three model seeds average to something else than seed 0 alone.
    assert three[1].d2_mean != one[1].d2_mean
