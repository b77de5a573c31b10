"""The context ablation: which signal sets it compares, on the same rows and folds."""

from __future__ import annotations

from sklearn.linear_model import PoissonRegressor

from predictor.ml.ablation import context_signal_effects
from predictor.ml.synthetic import synthetic_dataset


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
