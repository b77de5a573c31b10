"""Two default clusters and two training clusters take tasks from the same broker: one
user's imports never run at the same time, nor do one user's trainings (the database
locks: HistoryImport's one_running_import_per_owner, ModelVersion's one training per
owner), a task delivered twice does nothing the second time, and every count is exact.
"""

from __future__ import annotations

import re
import time
from datetime import UTC, datetime
from io import StringIO

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django_q.brokers import get_broker
from django_q.models import Task
from django_q.tasks import async_task

from predictor.models import ModelStatus, ModelVersion
from predictor.services import training_enqueue
from predictor.services.training import TRAIN_TASK
from predictor.tests.factories import catalog_create, history_create
from streams.models import EnrichmentJob, EnrichmentStatus, HistoryImport, ImportStatus, Play
from streams.services.history_import import TASK_PATH, history_import_create
from tests_support.histories import extended_history

pytestmark = [pytest.mark.slow]

IMPORT_ROWS = 12_000
CLUSTER_RUNNING = "running."
SETTLE_SECONDS = 1.5
IMPORT_TASK_TAKEN = re.compile(r"processing \S+ 'streams\.tasks\.history_import_task'")
TRAIN_TASK_TAKEN = re.compile(r"processing \S+ 'predictor\.tasks\.model_version_train_task'")
# A cluster holds at most three tasks (one running, one queued, one in hand), so with
# more than that each cluster of a kind gets work while the other's job runs.
DELIVERIES = 3
TRAININGS = 4


def _overlaps(intervals: list[tuple[datetime, datetime]]) -> list[tuple[int, int]]:
    ordered = sorted(intervals)
    return [(i, i + 1) for i in range(len(ordered) - 1) if ordered[i + 1][0] < ordered[i][1]]


def _queues_empty() -> bool:
    return all(get_broker(list_key=name).queue_size() == 0 for name in ("musicflow", "training"))


def test_two_clusters_never_run_one_users_imports_or_trainings_at_the_same_time(live_stack, user):
    library = catalog_create(rows=600)
    played = history_create(user=user, library=library)
    call_command("setup_schedules", stdout=StringIO())
    clusters = [
        live_stack.qcluster(),
        live_stack.qcluster(),
        live_stack.qcluster(cluster="training"),
        live_stack.qcluster(cluster="training"),
    ]
    for cluster in clusters:
        live_stack.wait_for(
            lambda c=cluster: CLUSTER_RUNNING in c.log_tail(),
            timeout=60,
            what=f"{cluster.name} to run",
        )

    later = datetime(2022, 1, 1, tzinfo=UTC)
    histories = [
        extended_history(rows=IMPORT_ROWS, tag="first"),
        extended_history(rows=IMPORT_ROWS, tag="second", start=later),
    ]
    imports = [
        history_import_create(
            owner=user, uploads=[SimpleUploadedFile(h.name, h.data, "application/json")]
        )
        for h in histories
    ]
    # Each import delivered three times (the broker may repeat a task), a training
    # asked for four times.
    for history_import in imports:
        for _ in range(DELIVERIES - 1):
            async_task(TASK_PATH, history_import.pk)
    for _ in range(TRAININGS):
        training_enqueue(user_id=user.pk)

    def settled() -> bool:
        done = HistoryImport.objects.filter(status=ImportStatus.DONE).count() == 2
        trained = ModelVersion.objects.filter(owner=user, status=ModelStatus.READY).exists()
        training = ModelVersion.objects.filter(status=ModelStatus.TRAINING).exists()
        enriching = EnrichmentJob.objects.exclude(status=EnrichmentStatus.DONE).exists()
        return done and trained and not training and not enriching and _queues_empty()

    # Quiet twice in a row: a task taken from the queue is not yet a "training" row.
    quiet_since: list[float] = []

    def settled_for_a_while() -> bool:
        if not settled():
            quiet_since.clear()
            return False
        quiet_since[:] = quiet_since or [time.monotonic()]
        return time.monotonic() - quiet_since[0] >= SETTLE_SECONDS

    live_stack.wait_for(
        settled_for_a_while,
        timeout=150,
        what="both imports, their enrichment and the trainings to finish",
        tick_scheduler=True,
    )
    live_stack.processes.kill_all()

    finished = list(HistoryImport.objects.order_by("started_at"))
    assert [(i.status, i.plays_created, i.duplicates) for i in finished] == [
        (ImportStatus.DONE, h.plays, 0) for h in histories
    ]
    assert not _overlaps([(i.started_at, i.finished_at) for i in finished])
    assert Play.objects.filter(user=user).count() == played + sum(h.plays for h in histories)

    versions = list(ModelVersion.objects.filter(owner=user).order_by("version"))
    assert all(v.status == ModelStatus.READY for v in versions), [
        (v.version, v.status, v.error) for v in versions
    ]
    spans = [(v.created_at, v.trained_at) for v in versions]
    assert not _overlaps(spans), spans
    assert ModelVersion.objects.filter(owner=user, is_active=True).count() == 1
    # Every training task either trained one of those versions or, refused by the lock,
    # was deferred to the training that held it.
    results = [t.result for t in Task.objects.filter(func=TRAIN_TASK)]
    assert len(results) >= TRAININGS, results
    assert sorted(r["version_id"] for r in results if "version_id" in r) == [
        v.pk for v in versions
    ]
    assert all("version_id" in r or "deferred" in r for r in results), results
    # None was dropped: a version that had a training asked for meanwhile has a later one.
    pending = [v.version for v in versions if v.pending_dataset_user_id is not None]
    assert pending and max(pending) < versions[-1].version, [
        (v.version, v.pending_dataset_user_id) for v in versions
    ]

    # Every delivery was taken. Which cluster took an import is up to timing (on SQLite,
    # where an import holds the only write lock, often the same one); trainings run
    # for seconds without it, so both training clusters always get one.
    imports_taken = [len(IMPORT_TASK_TAKEN.findall(c.log_tail(10**7))) for c in clusters[:2]]
    assert sum(imports_taken) >= 2 * DELIVERIES, imports_taken
    trainings_taken = [len(TRAIN_TASK_TAKEN.findall(c.log_tail(10**7))) for c in clusters[2:]]
    assert all(trainings_taken) and sum(trainings_taken) >= TRAININGS, trainings_taken
    assert any("deferred" in r for r in results), results
