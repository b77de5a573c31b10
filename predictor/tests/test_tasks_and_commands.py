"""Queueing trainings, the continuous-training schedule, the train and setup_schedules commands."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from io import StringIO

import pytest
from django.conf import settings
from django.core.management import CommandError, call_command
from django.db import transaction
from django.db.models.signals import post_save
from django.utils import timezone
from django_q.models import Schedule

from predictor.models import ModelStatus, ModelVersion
from predictor.selectors import users_due_for_training
from predictor.services import retraining_queue_due, training_request
from predictor.services.training import (
    RETRAIN_DUE_TASK,
    RETRAIN_SCHEDULE_NAME,
    TRAIN_TASK,
    trainings_requeue_abandoned,
)
from predictor.tasks import model_version_train_task
from predictor.tests.factories import STREAM_MS, _play
from streams.models import Play
from tests_support.queues import queued_tasks_by_cluster


def _queued() -> list[tuple[str, str, str, tuple, dict]]:
    """Every queued task, taken off the broker's queues: (cluster, name, func, args, kwargs)."""
    return [
        (cluster, t["name"], t["func"], t["args"], t["kwargs"])
        for cluster, tasks in queued_tasks_by_cluster().items()
        for t in tasks
    ]


def _training_task(
    user_id: int, *, site_default: bool = False, trained_by_id: int | None = None
) -> tuple[str, str, str, tuple, dict]:
    """The queued task (as `_queued` lists it) of a training request with these arguments."""
    name = f"train-{'site-from-' if site_default else ''}user-{user_id}"
    return (
        settings.MUSICFLOW_TRAINING_CLUSTER,
        name,
        TRAIN_TASK,
        (user_id,),
        {"site_default": site_default, "trained_by_id": trained_by_id},
    )


def _grow_stale(stale: ModelVersion) -> None:
    long_ago = timezone.now() - timedelta(seconds=settings.MUSICFLOW_TRAINING_STALE_SECONDS + 5)
    ModelVersion.objects.filter(pk=stale.pk).update(created_at=long_ago)


def test_a_training_request_is_queued_on_the_training_cluster_only_after_commit(
    user, settings, empty_task_queues, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True) as callbacks, transaction.atomic():
        training_request(user_id=user.pk)
        assert _queued() == []
    assert len(callbacks) == 1
    assert _queued() == [_training_task(user.pk)]


def test_users_with_enough_new_resolved_plays_are_due(listener, other_user, settings, library):
    settings.MUSICFLOW_RETRAIN_MIN_NEW_PLAYS = 10
    assert users_due_for_training() == [listener.pk]
    ModelVersion.objects.create(
        owner=listener,
        version=1,
        status=ModelStatus.READY,
        resolved_plays=Play.objects.filter(user=listener).count(),
    )
    assert users_due_for_training() == []
    Play.objects.bulk_create(
        [_play(listener, library.tracks[0], 5000 + n, STREAM_MS) for n in range(10)]
    )
    assert users_due_for_training() == [listener.pk]
    ModelVersion.objects.create(owner=listener, version=2, status=ModelStatus.TRAINING)
    assert users_due_for_training() == [], "a user whose training runs is not queued again"


def test_the_schedule_task_queues_the_due_users(
    listener, settings, empty_task_queues, django_capture_on_commit_callbacks
):
    settings.MUSICFLOW_RETRAIN_MIN_NEW_PLAYS = 1
    with django_capture_on_commit_callbacks(execute=True):
        assert retraining_queue_due() == [listener.pk]
    assert [(cluster, func, args) for cluster, _, func, args, _ in _queued()] == [
        (settings.MUSICFLOW_TRAINING_CLUSTER, TRAIN_TASK, (listener.pk,))
    ]


def test_setup_schedules_is_idempotent(db, settings):
    out = StringIO()
    call_command("setup_schedules", stdout=out)
    call_command("setup_schedules", stdout=out)
    schedule = Schedule.objects.get(name=RETRAIN_SCHEDULE_NAME)
    assert schedule.func == RETRAIN_DUE_TASK
    assert schedule.minutes == settings.MUSICFLOW_RETRAIN_EVERY_MINUTES
    assert schedule.schedule_type == Schedule.MINUTES
    assert Schedule.objects.filter(func=RETRAIN_DUE_TASK).count() == 1
    assert out.getvalue().splitlines()[0] == f"created: {RETRAIN_SCHEDULE_NAME}"
    assert f"up to date: {RETRAIN_SCHEDULE_NAME}" in out.getvalue()


def test_the_training_task_trains_and_defers_while_another_training_runs(listener):
    done = model_version_train_task(listener.pk)
    assert done["version"] == 1 and done["activated"] is True
    running = ModelVersion.objects.create(owner=listener, version=2, status=ModelStatus.TRAINING)
    deferred = model_version_train_task(listener.pk)
    assert "queued when it ends" in deferred["deferred"]
    running.refresh_from_db()
    assert (running.pending_dataset_user, running.pending_trained_by) == (listener, None)
    assert ModelVersion.objects.filter(owner=listener).count() == 2
    assert model_version_train_task(999_999) == {
        "user_id": 999_999,
        "skipped": "user no longer exists",
    }


@contextmanager
def _asked_while_training(*requests: tuple[tuple, dict]) -> Iterator[list[dict]]:
    """Runs the training task for each request the moment the next training starts (its
    "training" row is saved), as another worker would; yields their results."""
    results: list[dict] = []

    def ask(sender, instance, created, **kwargs) -> None:
        if created and instance.status == ModelStatus.TRAINING and not results:
            results.extend(model_version_train_task(*a, **kw) for a, kw in requests)

    post_save.connect(ask, sender=ModelVersion)
    try:
        yield results
    finally:
        post_save.disconnect(ask, sender=ModelVersion)


def test_trainings_asked_for_while_one_runs_make_one_training_after_it(
    listener, other_user, settings, empty_task_queues, django_capture_on_commit_callbacks
):
    admin = other_user
    meanwhile = [((listener.pk,), {}), ((listener.pk,), {"trained_by_id": admin.pk})]
    with (
        _asked_while_training(*meanwhile) as results,
        django_capture_on_commit_callbacks(execute=True),
    ):
        first = model_version_train_task(listener.pk)
    assert [sorted(r) for r in results] == [["deferred", "user_id"]] * 2
    assert first["version"] == 1
    # Nothing was dropped: one training is queued, for the latest request.
    assert _queued() == [_training_task(listener.pk, trained_by_id=admin.pk)]
    # A worker runs it; with nothing asked for meanwhile, nothing follows it.
    with django_capture_on_commit_callbacks(execute=True):
        second = model_version_train_task(listener.pk, trained_by_id=admin.pk)
    assert second["version"] == 2
    assert ModelVersion.objects.get(pk=second["version_id"]).trained_by == admin
    assert _queued() == []


def test_a_training_asked_for_while_one_fails_still_runs_after_it(
    library, other_user, settings, empty_task_queues, django_capture_on_commit_callbacks
):
    with (
        _asked_while_training(((other_user.pk,), {})) as results,
        django_capture_on_commit_callbacks(execute=True),
    ):
        failed = model_version_train_task(other_user.pk)  # no plays: nothing to learn
    assert "failed" in failed and "deferred" in results[0]
    assert ModelVersion.objects.get(owner=other_user).status == ModelStatus.FAILED
    assert [(c, args) for c, _, _, args, _ in _queued()] == [
        (settings.MUSICFLOW_TRAINING_CLUSTER, (other_user.pk,))
    ]


def test_an_abandoned_training_is_queued_again_as_the_request_made_meanwhile(
    user, other_user, settings, empty_task_queues, django_capture_on_commit_callbacks
):
    # The site default is trained from one user's history; the request made while it
    # ran named another user, and an admin.
    stale = ModelVersion.objects.create(
        owner=None, version=1, status=ModelStatus.TRAINING, dataset_user=user
    )
    deferred = model_version_train_task(other_user.pk, site_default=True, trained_by_id=user.pk)
    assert "deferred" in deferred
    # Its worker died, and the row grew stale.
    _grow_stale(stale)
    with django_capture_on_commit_callbacks(execute=True):
        assert trainings_requeue_abandoned() == [stale.pk]
    assert _queued() == [_training_task(other_user.pk, site_default=True, trained_by_id=user.pk)]


def test_a_site_default_request_left_on_a_released_training_is_queued_again(
    listener, other_user, settings, empty_task_queues, django_capture_on_commit_callbacks
):
    # A site-default training from other_user's history died; meanwhile an admin asked
    # for one from other_user's history again. Then a request naming listener's history
    # arrives and releases the dead row: the recorded request must not be lost.
    stale = ModelVersion.objects.create(
        owner=None, version=1, status=ModelStatus.TRAINING, dataset_user=other_user
    )
    deferred = model_version_train_task(
        other_user.pk, site_default=True, trained_by_id=listener.pk
    )
    assert "deferred" in deferred
    _grow_stale(stale)
    with django_capture_on_commit_callbacks(execute=True):
        done = model_version_train_task(listener.pk, site_default=True)
    assert done["version"] == 2
    stale.refresh_from_db()
    assert stale.status == ModelStatus.FAILED
    assert _queued() == [
        _training_task(other_user.pk, site_default=True, trained_by_id=listener.pk)
    ]


def test_a_request_left_on_a_released_training_for_the_same_history_is_not_repeated(
    listener, settings, empty_task_queues, django_capture_on_commit_callbacks
):
    stale = ModelVersion.objects.create(owner=listener, version=1, status=ModelStatus.TRAINING)
    assert "deferred" in model_version_train_task(listener.pk)
    _grow_stale(stale)
    with django_capture_on_commit_callbacks(execute=True):
        done = model_version_train_task(listener.pk)
    # The training that released the row is the one that was asked for.
    assert done["version"] == 2
    assert _queued() == []


def test_train_command_prints_metrics_of_model_and_baselines_as_json(listener):
    out = StringIO()
    call_command("train", "--user", listener.username, "--json", stdout=out)
    report = json.loads(out.getvalue())
    assert report["version"] == 1 and report["activated"] is True
    assert report["owner"] == listener.username
    assert set(report["holdout"]) == {"model", "mean", "popularity"}
    assert set(report["cv"]["model"]["d2"]) == {"mean", "std", "folds"}
    assert report["dataset"]["positives"] == ModelVersion.objects.get().dataset_positives
    assert report["judgeable"] in (True, False)


def test_train_command_readable_output_and_errors(listener, other_user):
    out = StringIO()
    call_command("train", "--user", listener.username, "--site-default", stdout=out)
    text = out.getvalue()
    assert "model version 1 (site default): ready, activated" in text
    assert "holdout metrics:" in text and "cross-validated metrics" in text
    assert "popularity" in text
    with pytest.raises(CommandError, match="no user named"):
        call_command("train", "--user", "nobody")
    with pytest.raises(CommandError, match="streamed"):
        call_command("train", "--user", other_user.username)
