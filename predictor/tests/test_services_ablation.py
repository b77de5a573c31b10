"""`train --ablation`: every signal and candidate measured both ways, on the training's terms."""

from __future__ import annotations

import json
from io import StringIO

import pytest
from django.core.management import call_command

from predictor.ml.candidates import CANDIDATE_SIGNALS
from predictor.ml.context import CONTEXT_FEATURES, CONTEXT_SIGNALS
from predictor.services import model_version_train
from predictor.services.samples import artist_genres_from_tracks
from predictor.tests.factories import Library, catalog_create, history_create
from streams.models import Track

_GENRES = (["pop", "dance pop"], ["rock"], ["pop", "rock"], [])


@pytest.fixture
def genred_library(db, predictor_env) -> Library:
    """A small catalog (the ablation trains many times) whose tracks carry their
    primary artist's genres, one artist in four none."""
    library = catalog_create(rows=200)
    for track in library.tracks:
        number = int(track.primary_artist.rsplit(" ", 1)[-1])
        track.genres = _GENRES[number % len(_GENRES)]
    Track.objects.bulk_update(library.tracks, ["genres"])
    return library


def test_the_genre_table_has_each_artists_genres_and_catalog_tracks(genred_library):
    table = artist_genres_from_tracks()
    by_artist = {row.artist: row for row in table.itertuples(index=False)}
    assert by_artist["Artist 2"].genres == ("pop", "rock")
    assert "Artist 3" not in by_artist  # no genres known
    expected = sum(t.primary_artist == "Artist 2" for t in genred_library.tracks)
    assert by_artist["Artist 2"].tracks == expected


def test_the_ablation_measures_every_signal_both_ways_on_the_trainings_holdout(
    user, genred_library
):
    history_create(user=user, library=genred_library)
    out = StringIO()
    call_command(
        "train", "--user", user.username, "--ablation", "--json", "--repeats", "1", stdout=out
    )
    effects = {e["variant"]: e for e in json.loads(out.getvalue())}
    for name in (*CONTEXT_SIGNALS, *CANDIDATE_SIGNALS):
        assert effects[f"only {name}"]["fold_out_auc_mean"] is not None, name
    base = effects["base"]
    assert tuple(base["signals"]) == CONTEXT_FEATURES
    for name in CANDIDATE_SIGNALS:
        added = effects[f"base + {name}"]
        assert added["signals"][-1] == name
        assert added["holdout_auc"] is not None and added["fold_out_d2_mean"] is not None
    assert effects["only genre_streams_other"]["holdout_auc"] is None
    # The base variant is the production configuration: training reports the same holdout.
    trained = model_version_train(owner=user).version
    assert base["holdout_auc"] == pytest.approx(trained.metrics["roc_auc"])
    assert base["holdout_d2"] == pytest.approx(trained.metrics["d2"])
