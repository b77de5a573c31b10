"""Training into the registry: versions, the per-owner lock, champion/challenger."""

from __future__ import annotations

import hashlib
from datetime import timedelta

import pytest
from django.db import IntegrityError, transaction
from django.utils import timezone

from predictor.errors import DatasetTooSmall, PredictorError, TrainingInProgress
from predictor.models import ModelStatus, ModelVersion
from predictor.services import model_version_train
from predictor.services.registry import model_version_pipeline


def test_first_training_stores_a_ready_active_version_with_everything_recorded(trained, listener):
    version = trained.version
    assert (version.owner, version.version, version.status) == (listener, 1, ModelStatus.READY)
    assert version.is_active and trained.activated
    assert trained.comparison["reason"] == "no active version"
    assert version.estimator in {
        "HurdleRegressor",
        "HistGradientBoostingRegressor",
        "PoissonRegressor",
        "RandomForestRegressor",
        "MLPRegressor",
        "VotingRegressor",
    }
    assert len(version.candidates) == 6
    assert set(version.metrics) >= {"poisson_deviance", "d2", "mae", "spearman", "roc_auc"}
    assert set(version.baselines) == {"mean", "popularity"}
    assert version.cv_metrics["model"]["d2"]["folds"] == 5
    assert "artist_streams_other" in version.feature_names
    assert version.dataset_rows == trained.dataset.rows
    assert version.dataset_positives == trained.dataset.positives
    assert len(version.dataset_digest) == 64
    assert version.dataset_first_play_at <= version.dataset_last_play_at
    assert version.library_versions["scikit-learn"]
    assert len(version.prediction_percentiles) == 101
    assert version.trained_at is not None
    # The artifact went through the storage API and its digest is the recorded one.
    with version.artifact.open("rb") as handle:
        assert hashlib.sha256(handle.read()).hexdigest() == version.artifact_sha256


def test_the_model_learns_the_synthetic_signal(trained):
    version = trained.version
    assert version.metric("d2") > version.baseline_metric("popularity", "d2")
    assert version.metric("roc_auc") > 0.7


def test_a_challenger_that_is_no_better_stays_ready_and_the_champion_stays_active(
    trained, listener
):
    # Same history, same seed: the challenger is the same model, so not strictly better.
    second = model_version_train(owner=listener)
    assert second.version.version == 2
    assert second.version.status == ModelStatus.READY
    assert not second.activated and not second.version.is_active
    assert second.comparison["champion_id"] == trained.version.pk
    assert second.comparison["champion_deviance"] == pytest.approx(
        second.comparison["challenger_deviance"]
    )
    trained.version.refresh_from_db()
    assert trained.version.is_active


def test_a_better_challenger_replaces_a_weak_champion(trained, listener):
    from predictor.ml.artifact import artifact_dump
    from predictor.ml.baselines import MeanBaseline
    from predictor.services.dataset import dataset_build_for_user

    # Replace the champion's artifact with a model that predicts the mean.
    dataset = dataset_build_for_user(user=listener)
    weak = artifact_dump(obj=MeanBaseline().fit(dataset.frame, dataset.target))
    champion = trained.version
    name = champion.artifact.storage.save("models/weak.joblib", _content(weak.data))
    ModelVersion.objects.filter(pk=champion.pk).update(artifact=name, artifact_sha256=weak.sha256)
    challenger = model_version_train(owner=listener)
    assert challenger.activated
    assert (
        challenger.comparison["challenger_deviance"] < challenger.comparison["champion_deviance"]
    )
    champion.refresh_from_db()
    assert not champion.is_active and champion.status == ModelStatus.READY


def test_a_champion_whose_file_is_missing_is_replaced_by_the_challenger(trained, listener):
    champion = trained.version
    ModelVersion.objects.filter(pk=champion.pk).update(artifact="models/gone.joblib")
    challenger = model_version_train(owner=listener)
    assert challenger.activated
    assert "could not be evaluated" in challenger.comparison["reason"]
    assert "missing" in challenger.comparison["reason"]


def _content(data: bytes):
    from django.core.files.base import ContentFile

    return ContentFile(data)


def test_a_second_training_of_the_same_owner_is_refused_by_the_database_lock(listener):
    ModelVersion.objects.create(owner=listener, version=1, status=ModelStatus.TRAINING)
    with pytest.raises(TrainingInProgress):
        model_version_train(owner=listener)
    assert ModelVersion.objects.filter(owner=listener).count() == 1


def test_an_abandoned_training_stops_locking_after_the_stale_timeout(listener, settings):
    stale = ModelVersion.objects.create(owner=listener, version=1, status=ModelStatus.TRAINING)
    long_ago = timezone.now() - timedelta(seconds=settings.MUSICFLOW_TRAINING_STALE_SECONDS + 5)
    ModelVersion.objects.filter(pk=stale.pk).update(created_at=long_ago)
    outcome = model_version_train(owner=listener)
    stale.refresh_from_db()
    assert stale.status == ModelStatus.FAILED
    assert "abandoned" in stale.error
    assert outcome.version.version == 2 and outcome.version.is_active


def test_a_failed_training_leaves_a_failed_version_with_the_error(user, predictor_env):
    with pytest.raises(DatasetTooSmall):
        model_version_train(owner=user)
    failed = ModelVersion.objects.get(owner=user)
    assert failed.status == ModelStatus.FAILED
    assert "DatasetTooSmall" in failed.error
    assert not failed.is_active


def test_the_site_default_learns_from_a_users_history_without_their_context(listener):
    outcome = model_version_train(owner=None, dataset_user=listener)
    version = outcome.version
    assert version.owner is None and version.dataset_user == listener
    assert version.is_active and version.version == 1
    assert not version.include_context
    assert not any(name.startswith("artist_") for name in version.feature_names)
    with pytest.raises(PredictorError):
        model_version_train(owner=None)


def test_the_database_allows_one_active_version_per_owner_and_one_site_default(listener):
    ModelVersion.objects.create(
        owner=listener, version=1, status=ModelStatus.READY, is_active=True
    )
    with pytest.raises(IntegrityError), transaction.atomic():
        ModelVersion.objects.create(
            owner=listener, version=2, status=ModelStatus.READY, is_active=True
        )
    ModelVersion.objects.create(owner=None, version=1, status=ModelStatus.READY, is_active=True)
    with pytest.raises(IntegrityError), transaction.atomic():
        ModelVersion.objects.create(
            owner=None, version=2, status=ModelStatus.READY, is_active=True
        )


def test_the_database_keeps_versions_unique_per_owner_including_the_site_default(user, other_user):
    ModelVersion.objects.create(owner=user, version=1, status=ModelStatus.READY)
    ModelVersion.objects.create(owner=other_user, version=1, status=ModelStatus.READY)
    ModelVersion.objects.create(owner=None, version=1, status=ModelStatus.READY)
    for owner in (user, None):
        with pytest.raises(IntegrityError), transaction.atomic():
            ModelVersion.objects.create(owner=owner, version=1, status=ModelStatus.READY)


def test_only_a_ready_version_can_be_active_in_the_database(user):
    with pytest.raises(IntegrityError), transaction.atomic():
        ModelVersion.objects.create(
            owner=user, version=1, status=ModelStatus.FAILED, is_active=True
        )


def test_one_training_at_a_time_is_a_database_rule_for_the_site_default_too(db):
    ModelVersion.objects.create(owner=None, version=1, status=ModelStatus.TRAINING)
    with pytest.raises(IntegrityError), transaction.atomic():
        ModelVersion.objects.create(owner=None, version=2, status=ModelStatus.TRAINING)


def test_loaded_pipelines_are_cached_per_version(trained):
    first = model_version_pipeline(version=trained.version)
    assert model_version_pipeline(version=trained.version) is first
