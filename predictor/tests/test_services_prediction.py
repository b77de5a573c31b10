"""Serving: the right version, reloaded on activation, sha256-checked, with features and a why."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import AnonymousUser

from predictor.errors import ArtifactIntegrityError, NoActiveModel
from predictor.ml.features import feature_names
from predictor.models import ModelVersion
from predictor.services import (
    model_cache_clear,
    model_predict,
    model_version_activate,
    model_version_train,
    track_features_for_user,
)
from predictor.services.prediction import track_frame_for_user
from predictor.services.registry import model_version_pipeline
from predictor.tests.factories import STREAM_MS, _play
from streams.models import Play, SavedTrack, Track


def _loved_and_unknown(library):
    """A track by the most-streamed artist, and one by an artist never streamed."""
    frame = library.data.frame
    loved = frame["artist_streams_other"].idxmax()
    unknown = frame.index[frame["artist_streams_other"] == 0][0]
    return library.tracks[loved], library.tracks[unknown]


def test_prediction_comes_from_the_users_active_version_with_features_and_why(
    trained, listener, library
):
    loved, unknown = _loved_and_unknown(library)
    got = model_predict(user=listener, track=loved)
    assert got.version.pk == trained.version.pk
    assert got.prediction > 0
    assert list(got.features) == feature_names(include_context=True)
    assert got.features["danceability"] == pytest.approx(loved.danceability)
    assert got.features["artist_streams_other"] > 0
    assert 0 <= got.percentile <= 100
    assert all(e.direction != "none" for e in got.why())
    cold = model_predict(user=listener, track=unknown)
    assert got.prediction > cold.prediction
    assert got.percentile > cold.percentile


def test_anonymous_and_modelless_users_get_the_site_default_or_a_clear_error(
    trained, listener, other_user, library
):
    track = library.tracks[0]
    with pytest.raises(NoActiveModel):
        model_predict(user=AnonymousUser(), track=track)
    with pytest.raises(NoActiveModel):
        model_predict(user=other_user, track=track)
    site = model_version_train(owner=None, dataset_user=listener).version
    assert model_predict(user=None, track=track).version.pk == site.pk
    assert model_predict(user=other_user, track=track).version.pk == site.pk
    # The listener's own model still wins over the site default.
    assert model_predict(user=listener, track=track).version.pk == trained.version.pk


def test_activating_another_version_switches_serving_without_a_restart(trained, listener, library):
    track = library.tracks[3]
    second = model_version_train(owner=listener).version
    assert model_predict(user=listener, track=track).version.pk == trained.version.pk
    model_version_activate(version=second, promoted_by=listener)
    assert model_predict(user=listener, track=track).version.pk == second.pk
    model_version_activate(version=trained.version)
    assert model_predict(user=listener, track=track).version.pk == trained.version.pk


def test_a_corrupted_artifact_is_refused_on_load(trained, listener, library):
    version = trained.version
    storage = version.artifact.storage
    with storage.open(version.artifact.name, "rb") as handle:
        data = bytearray(handle.read())
    data[100] ^= 0x01
    storage.delete(version.artifact.name)
    storage.save(version.artifact.name, _content(bytes(data)))
    model_cache_clear()
    with pytest.raises(ArtifactIntegrityError, match="sha256"):
        model_predict(user=listener, track=library.tracks[0])
    with pytest.raises(ArtifactIntegrityError):
        model_version_pipeline(version=ModelVersion.objects.get(pk=version.pk))


def _content(data: bytes):
    from django.core.files.base import ContentFile

    return ContentFile(data)


def test_new_plays_change_the_users_context_at_serving_time(trained, listener, library):
    loved, _ = _loved_and_unknown(library)
    before = track_frame_for_user(user=listener, track=loved)["artist_streams_other"].iloc[0]
    sibling = (
        Track.objects.filter(primary_artist=loved.primary_artist).exclude(pk=loved.pk).first()
    )
    Play.objects.bulk_create([_play(listener, sibling, 7777, STREAM_MS)])
    after = track_frame_for_user(user=listener, track=loved)["artist_streams_other"].iloc[0]
    assert after == before + 1


def test_processed_features_are_grouped_and_missing_ones_listed(listener, library):
    track = library.tracks[0]
    Track.objects.filter(pk=track.pk).update(popularity=None, release_date="")
    track.refresh_from_db()
    got = track_features_for_user(user=listener, track=track)
    assert set(got.groups) == {"track", "release", "audio", "context"}
    assert "popularity" in got.missing and "release_year" in got.missing
    assert got.values["date_is_complete"] == 0.0
    assert got.values["danceability"] == pytest.approx(track.danceability)


def test_saving_a_track_sets_is_saved_at_serving_time(trained, listener, library):
    _, unknown = _loved_and_unknown(library)
    # No library imported: the signal is missing, as for an extended-history export.
    assert track_features_for_user(user=listener, track=unknown).values["is_saved"] is None
    other = library.tracks[-1] if library.tracks[-1].pk != unknown.pk else library.tracks[-2]
    SavedTrack.objects.create(user=listener, track=other)
    assert track_features_for_user(user=listener, track=unknown).values["is_saved"] == 0.0

    SavedTrack.objects.create(user=listener, track=unknown)

    got = model_predict(user=listener, track=unknown)
    assert got.features["is_saved"] == 1.0
    frame = track_frame_for_user(user=listener, track=unknown)
    assert frame["is_saved"].iloc[0] == 1.0
