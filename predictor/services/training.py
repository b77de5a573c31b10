"""Training a new model version, champion/challenger promotion, and queueing trainings.

The "training" row is the per-owner lock: the database allows one per owner (see
ModelVersion's constraints), so a second worker, cluster or web request asking for a
training while one runs gets TrainingInProgress instead of a second fit. A queued
training request that meets the lock is not dropped: it is recorded on the running row
(`pending_dataset_user`), and the training queues it when it stops training, once
however many requests came meanwhile. A row left behind by a killed worker stops
locking after MUSICFLOW_TRAINING_STALE_SECONDS.
"""

from __future__ import annotations

import logging
import platform
from dataclasses import dataclass, field, replace
from datetime import timedelta
from importlib.metadata import version as package_version

import numpy as np
import pandas as pd
from django.conf import settings
from django.contrib.auth.base_user import AbstractBaseUser
from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.db.models import Max, QuerySet
from django.utils import timezone
from django_q.models import Schedule
from django_q.tasks import async_task
from threadpoolctl import threadpool_limits

from predictor.errors import (
    ArtifactIntegrityError,
    ModelArtifactMissing,
    ModelVersionStateError,
    PredictorError,
    TrainingDeferred,
    TrainingInProgress,
)
from predictor.ml.ablation import SignalEffect, context_signal_effects
from predictor.ml.artifact import artifact_dump
from predictor.ml.candidates import CANDIDATE_SIGNALS, candidate_signals_add
from predictor.ml.context import (
    CONTEXT_FEATURES,
    CONTEXT_SIGNALS,
    context_add,
    played_without_tracks,
)
from predictor.ml.metrics import metrics_compute
from predictor.ml.predict import prediction_percentiles
from predictor.ml.training import TrainingConfig, TrainingResult, hurdle_build, model_train
from predictor.models import ModelStatus, ModelVersion
from predictor.selectors import users_due_for_training
from predictor.services.dataset import Dataset, DatasetReport, dataset_build_for_user
from predictor.services.registry import model_version_activate, model_version_pipeline
from predictor.services.samples import (
    artist_genres_from_tracks,
    played_names_for_user,
    saved_names_for_user,
)
from streams.models import Play, ResolutionStatus

logger = logging.getLogger(__name__)

TRAIN_TASK = "predictor.tasks.model_version_train_task"
RETRAIN_DUE_TASK = "predictor.tasks.retrain_due_task"
RETRAIN_SCHEDULE_NAME = "predictor: retrain users with new plays"
_SUMMARY_KEYS = (
    "estimator",
    "params",
    "holdout",
    "cv",
    "judgeable",
    "judgement",
    "candidates",
    "neutralised",
    "importances",
    "seconds",
)
_LIBRARIES = ("scikit-learn", "pandas", "numpy", "scipy", "joblib", "django")


@dataclass(frozen=True)
class TrainingOutcome:
    version: ModelVersion
    activated: bool
    comparison: dict[str, object]
    dataset: DatasetReport
    summary: dict[str, object] = field(default_factory=dict)

    def as_dict(self) -> dict[str, object]:
        """The report `manage.py train --json` prints."""
        version = self.version
        owner = version.owner.get_username() if version.owner_id else None
        return {
            "version_id": version.pk,
            "version": version.version,
            "owner": owner,
            "site_default": version.owner_id is None,
            "status": version.status,
            "activated": self.activated,
            "is_active": version.is_active,
            "comparison": self.comparison,
            "dataset": self.dataset.as_dict(),
            **{key: self.summary[key] for key in _SUMMARY_KEYS if key in self.summary},
        }


def library_versions() -> dict[str, str]:
    """Versions that matter for unpickling and reproducing a model."""
    found = {"python": platform.python_version()}
    for name in _LIBRARIES:
        found[name] = package_version(name)
    return found


def _abandoned_trainings() -> QuerySet[ModelVersion]:
    """ "Training" rows older than MUSICFLOW_TRAINING_STALE_SECONDS: their worker is gone."""
    cutoff = timezone.now() - timedelta(seconds=settings.MUSICFLOW_TRAINING_STALE_SECONDS)
    return ModelVersion.objects.filter(status=ModelStatus.TRAINING, created_at__lt=cutoff)


def _abandoned_release(*, version_id: int) -> bool:
    """Fails one abandoned training; False when another process released it first."""
    released = ModelVersion.objects.filter(pk=version_id, status=ModelStatus.TRAINING).update(
        status=ModelStatus.FAILED, error="abandoned: the worker stopped before finishing"
    )
    return bool(released)


def _release_stale(owner_id: int | None, source_id: int) -> None:
    """Fails this owner's trainings whose worker is gone, so the lock is free again.

    A request recorded on a released row is covered by the training about to take the
    lock when it names the same history; a site-default request naming another user's
    history is queued again instead of being lost.
    """
    stale = _abandoned_trainings().filter(owner_id=owner_id)
    for pk, pending_id in stale.values_list("pk", "pending_dataset_user_id"):
        if not _abandoned_release(version_id=pk):
            continue
        logger.warning("released abandoned training %s of owner %s", pk, owner_id)
        if pending_id is not None and pending_id != source_id:
            _pending_training_request(version_id=pk)


def _training_start(
    *, owner_id: int | None, trained_by: AbstractBaseUser | None, source: AbstractBaseUser
) -> ModelVersion:
    """Takes the per-owner training lock by creating the next version in "training"."""
    _release_stale(owner_id, source.pk)
    resolved = Play.objects.filter(
        user_id=source.pk, resolution_status=ResolutionStatus.RESOLVED
    ).count()
    for _attempt in range(3):
        try:
            with transaction.atomic():
                last = ModelVersion.objects.filter(owner_id=owner_id).aggregate(m=Max("version"))
                return ModelVersion.objects.create(
                    owner_id=owner_id,
                    version=(last["m"] or 0) + 1,
                    status=ModelStatus.TRAINING,
                    trained_by=trained_by,
                    dataset_user=source,
                    resolved_plays=resolved,
                    library_versions=library_versions(),
                )
        except IntegrityError:
            if ModelVersion.objects.filter(
                owner_id=owner_id, status=ModelStatus.TRAINING
            ).exists():
                raise TrainingInProgress(
                    "a training for this owner is already running; try again when it ends"
                ) from None
    raise TrainingInProgress("could not allocate a version number; another training raced us")


def _config(*, owner_id: int | None) -> TrainingConfig:
    # The site default answers people with no history of their own, so it never
    # learns from one user's artist familiarity.
    return TrainingConfig(
        include_context=owner_id is not None,
        n_jobs=settings.MUSICFLOW_TRAINING_N_JOBS,
        min_positives=settings.MUSICFLOW_MIN_POSITIVES_TO_JUDGE,
        grid=settings.MUSICFLOW_TRAINING_GRID,
        threads=settings.MUSICFLOW_TRAINING_THREADS or None,
    )


def _champion_compare(
    *, owner_id: int | None, result: TrainingResult, dataset: Dataset
) -> dict[str, object]:
    """Scores the active version on the challenger's holdout, the same rows, same truth."""
    challenger = result.holdout["model"].poisson_deviance
    champion = ModelVersion.objects.filter(owner_id=owner_id, is_active=True).first()
    base: dict[str, object] = {"challenger_deviance": challenger, "champion_id": None}
    if champion is None:
        return {**base, "activate": True, "reason": "no active version"}
    base |= {"champion_id": champion.pk, "champion_version": champion.version}
    holdout = result.holdout_positions
    try:
        pipeline = model_version_pipeline(version=champion)
        predicted = pipeline.predict(dataset.frame.iloc[holdout])
    except (ArtifactIntegrityError, ModelArtifactMissing, OSError, ValueError, KeyError) as exc:
        reason = f"active version {champion.version} could not be evaluated: {exc}"
        return {**base, "activate": True, "reason": reason}
    deviance = metrics_compute(y_true=dataset.target[holdout], y_pred=predicted).poisson_deviance
    better = challenger < deviance
    reason = (
        "lower holdout deviance than the active version"
        if better
        else ("the active version does as well or better on this holdout")
    )
    return {**base, "champion_deviance": deviance, "activate": better, "reason": reason}


def _ready_fields(
    *, result: TrainingResult, dataset: Dataset, comparison: dict[str, object]
) -> dict[str, object]:
    summary = result.summary()
    report = dataset.report
    return {
        "status": ModelStatus.READY,
        "estimator": result.estimator,
        "params": result.params,
        "candidates": summary["candidates"],
        "metrics": summary["holdout"]["model"],
        "baselines": {k: v for k, v in summary["holdout"].items() if k != "model"},
        "cv_metrics": summary["cv"],
        "judgeable": result.judgeable,
        "judgement": result.judgement[:255],
        "champion_comparison": comparison,
        "feature_names": result.feature_names,
        "include_context": result.config.include_context,
        "neutralised_features": result.neutralised,
        "importances": result.importances,
        "holdout_points": result.holdout_points,
        "prediction_percentiles": prediction_percentiles(
            pipeline=result.pipeline, frame=dataset.frame
        ),
        "dataset_rows": report.rows,
        "dataset_positives": report.positives,
        "dataset_negatives": report.negatives,
        "dataset_digest": report.digest,
        "dataset_first_play_at": report.first_play_at,
        "dataset_last_play_at": report.last_play_at,
        "training_seconds": result.seconds,
        "trained_at": timezone.now(),
    }


def _store(*, version: ModelVersion, result: TrainingResult, fields: dict[str, object]) -> None:
    artifact = artifact_dump(obj=result.pipeline)
    name = version.artifact.field.generate_filename(version, f"{artifact.sha256[:16]}.joblib")
    stored = version.artifact.storage.save(name, ContentFile(artifact.data))
    # Compare-and-set: a row released as abandoned meanwhile is not resurrected.
    changed = ModelVersion.objects.filter(pk=version.pk, status=ModelStatus.TRAINING).update(
        artifact=stored, artifact_sha256=artifact.sha256, **fields
    )
    if changed != 1:
        version.artifact.storage.delete(stored)
        raise ModelVersionStateError(f"{version} stopped being a training while it trained")


def _train_into(
    *, version: ModelVersion, source: AbstractBaseUser, config: TrainingConfig
) -> TrainingOutcome:
    logger.info("training %s from the history of user %s", version, source.pk)
    dataset = dataset_build_for_user(user=source)
    logger.info("dataset: %s", dataset.report.as_dict())
    result = model_train(frame=dataset.frame, target=dataset.target, config=config)
    comparison = _champion_compare(owner_id=version.owner_id, result=result, dataset=dataset)
    _store(
        version=version,
        result=result,
        fields=_ready_fields(result=result, dataset=dataset, comparison=comparison),
    )
    version.refresh_from_db()
    activated = False
    if comparison["activate"]:
        activated = _promote(version=version, expected=comparison["champion_id"])
    version.refresh_from_db()
    return TrainingOutcome(
        version=version,
        activated=activated,
        comparison=comparison,
        dataset=dataset.report,
        summary=result.summary(),
    )


def _promote(*, version: ModelVersion, expected: object) -> bool:
    try:
        model_version_activate(version=version, expected_active_id=expected)
    except ModelVersionStateError as exc:
        logger.warning("%s not activated: %s", version, exc)
        return False
    return True


def model_version_train(
    *,
    owner: AbstractBaseUser | None,
    trained_by: AbstractBaseUser | None = None,
    dataset_user: AbstractBaseUser | None = None,
    config: TrainingConfig | None = None,
) -> TrainingOutcome:
    """Trains the owner's next version (owner None: the site default) and maybe activates it.

    The dataset comes from `dataset_user`'s history (default: the owner's). The new
    version becomes active only if it beats the active one on its own holdout;
    otherwise it stays ready for an admin to activate. Failures leave a "failed"
    version with the error, and re-raise.
    """
    source = dataset_user or owner
    if source is None:
        raise PredictorError("a site-default model needs a user whose history it learns from")
    owner_id = owner.pk if owner is not None else None
    version = _training_start(owner_id=owner_id, trained_by=trained_by, source=source)
    config = config or _config(owner_id=owner_id)
    if owner_id is None and config.include_context:
        config = replace(config, include_context=False)
    try:
        outcome = _train_into(version=version, source=source, config=config)
    except Exception as exc:
        failed = ModelVersion.objects.filter(pk=version.pk, status=ModelStatus.TRAINING).update(
            status=ModelStatus.FAILED, error=f"{type(exc).__name__}: {exc}"[:5000]
        )
        if failed:
            _pending_training_request(version_id=version.pk)
        raise
    _pending_training_request(version_id=version.pk)
    return outcome


def _pending_training_request(*, version_id: int) -> bool:
    """Queues the training asked for while this version trained; False if none was.

    Called by whoever moved the version out of "training": a request can be recorded
    only on a "training" row, so none can arrive after this read.
    """
    row = (
        ModelVersion.objects.filter(pk=version_id)
        .values("owner_id", "pending_dataset_user_id", "pending_trained_by_id")
        .first()
    )
    if row is None or row["pending_dataset_user_id"] is None:
        return False
    logger.info("queueing the training requested while version %s trained", version_id)
    training_request(
        user_id=row["pending_dataset_user_id"],
        site_default=row["owner_id"] is None,
        trained_by_id=row["pending_trained_by_id"],
    )
    return True


def training_request_run(
    *,
    user: AbstractBaseUser,
    site_default: bool = False,
    trained_by: AbstractBaseUser | None = None,
) -> TrainingOutcome:
    """Runs one queued training request: the user's next version, or (site_default) the
    site default's from the user's history.

    If another training of the same owner runs, the request is recorded on it and
    TrainingDeferred is raised: that training queues it when it ends.
    """
    owner = None if site_default else user
    for _attempt in range(3):
        try:
            return model_version_train(owner=owner, trained_by=trained_by, dataset_user=user)
        except TrainingInProgress:
            running = ModelVersion.objects.filter(
                owner_id=None if owner is None else owner.pk, status=ModelStatus.TRAINING
            )
            if running.update(pending_dataset_user=user, pending_trained_by=trained_by):
                raise TrainingDeferred(
                    "a training for this owner is running; this one is queued when it ends"
                ) from None
            # That training ended in between: the lock is free, so try again.
    raise TrainingInProgress("trainings of this owner kept starting; this request was not run")


def context_ablation_for_user(*, user: AbstractBaseUser, repeats: int = 5) -> list[SignalEffect]:
    """What each user-context signal, and each candidate signal, adds on this user's
    dataset: cross-validated with leave-one-track-out context and with fold-out
    context, and for the base variants the training holdout (see predictor.ml.ablation).

    Uses the model family training picks most often on real histories (the hurdle
    model) for the cross-validation, averaged over `repeats` model seeds.
    """
    dataset = dataset_build_for_user(user=user, include_context=False)
    played = played_names_for_user(user=user)
    saved = saved_names_for_user(user=user)
    genres = artist_genres_from_tracks()

    def with_context(plays: pd.DataFrame) -> pd.DataFrame:
        framed = context_add(samples=dataset.frame, played=plays, saved=saved)
        return candidate_signals_add(samples=framed, played=plays, genres=genres)

    def fold_context(test: np.ndarray) -> pd.DataFrame:
        return with_context(played_without_tracks(played=played, samples=dataset.frame.iloc[test]))

    config = _config(owner_id=user.pk)
    estimator = hurdle_build(config=config)
    unused = tuple(s for s in CONTEXT_SIGNALS if s not in CONTEXT_FEATURES)
    with threadpool_limits(limits=settings.MUSICFLOW_TRAINING_THREADS or None):
        return context_signal_effects(
            frame=with_context(played),
            target=dataset.target,
            estimator=estimator,
            signals=(*CONTEXT_SIGNALS, *CANDIDATE_SIGNALS),
            # The signals in use, alone and with each computed-but-unused one added.
            base=CONTEXT_FEATURES,
            additions=(*unused, *CANDIDATE_SIGNALS),
            fold_context=fold_context,
            holdout=config,
            repeats=repeats,
        )


def training_request(
    *, user_id: int, site_default: bool = False, trained_by_id: int | None = None
) -> None:
    """Queues a training of the user's model on the training cluster, once committed.

    Other apps call this when enrichment of a user's tracks finishes. The task takes
    the per-owner lock, so asking twice never trains twice at the same time.
    `site_default` trains the site-wide model from this user's history instead.
    """
    transaction.on_commit(
        lambda: training_enqueue(
            user_id=user_id, site_default=site_default, trained_by_id=trained_by_id
        )
    )


def training_enqueue(
    *, user_id: int, site_default: bool = False, trained_by_id: int | None = None
) -> str:
    """Puts the training task on the training cluster's queue now (prefer training_request)."""
    return async_task(
        TRAIN_TASK,
        user_id,
        site_default=site_default,
        trained_by_id=trained_by_id,
        cluster=settings.MUSICFLOW_TRAINING_CLUSTER,
        task_name=f"train-{'site-from-' if site_default else ''}user-{user_id}",
    )


def trainings_requeue_abandoned() -> list[int]:
    """Fails every training left behind by a dead worker and queues it again; returns
    the abandoned version ids.

    A worker killed mid-fit leaves its "training" row, which stops locking only after
    MUSICFLOW_TRAINING_STALE_SECONDS. The ORM broker may hand the task out again before
    that (the redelivery is then deferred to the dead row) and Redis never does, so
    without this the training would never happen.
    """
    requeued = []
    for pk, owner_id, dataset_user_id, trained_by_id in _abandoned_trainings().values_list(
        "pk", "owner_id", "dataset_user_id", "trained_by_id"
    ):
        if not _abandoned_release(version_id=pk):
            continue
        # One training stands for the abandoned one and any asked for while it ran
        # (that latest request, when there was one).
        if not _pending_training_request(version_id=pk):
            if dataset_user_id is None:
                continue
            training_request(
                user_id=dataset_user_id,
                site_default=owner_id is None,
                trained_by_id=trained_by_id,
            )
        requeued.append(pk)
    if requeued:
        logger.warning("requeued %d abandoned training(s): %s", len(requeued), requeued)
    return requeued


def retraining_queue_due() -> list[int]:
    """Queues a training for every user with enough new resolved plays (the schedule),
    after requeueing trainings whose worker died."""
    trainings_requeue_abandoned()
    due = users_due_for_training()
    for user_id in due:
        training_request(user_id=user_id)
    logger.info("retraining queued for %d user(s)", len(due))
    return due


def schedules_install() -> list[tuple[str, bool]]:
    """Creates or updates the continuous-training schedule; safe to run any number of times."""
    _, created = Schedule.objects.update_or_create(
        name=RETRAIN_SCHEDULE_NAME,
        defaults={
            "func": RETRAIN_DUE_TASK,
            "schedule_type": Schedule.MINUTES,
            "minutes": settings.MUSICFLOW_RETRAIN_EVERY_MINUTES,
            "repeats": -1,
            "cluster": settings.Q_CLUSTER["name"],
        },
    )
    return [(RETRAIN_SCHEDULE_NAME, created)]
