"""A real ``manage.py qcluster`` SIGKILLed in the middle of an import, or of a training,
then started again: the job finishes once, with exact counts, nothing lost or doubled.

The clusters share this test's database (SQLite file or PostgreSQL test database) and
broker (ORM queue or Redis). With the ORM broker the killed task is handed out again
after `retry`; Redis never hands it out again, so the recovery schedules (installed by
``setup_schedules``) find the abandoned job and queue it anew. The mid-enrichment kill
is covered in streams/tests/test_enrichment_worker_kill.py.
"""

from __future__ import annotations

import re
import time
from io import StringIO

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django_q.models import Task

from musicflow_site.api.health import health_cluster, health_memo_forget
from predictor.models import ModelStatus, ModelVersion
from predictor.services import training_enqueue
from predictor.services.training import TRAIN_TASK
from predictor.tests.factories import catalog_create, history_create
from streams.models import HistoryImport, ImportStatus, Play
from streams.services.history_import import history_import_create
from tests_support.histories import extended_history

pytestmark = [pytest.mark.slow]

# Enough rows that the import is still running when the kill lands (about 80 MB of
# JSON, under the 100 MiB a file may have; 30,000 rows now import in a fraction of a
# second).
IMPORT_ROWS = 120_000
# Long enough after the start for the worker to be inside the import's transaction
# (or the fit), short enough to land well before its end.
KILL_AFTER_SECONDS = 0.5
TRAINING_CATALOG_ROWS = 800


def _import(pk: int) -> HistoryImport:
    return HistoryImport.objects.get(pk=pk)


def _clusters_seen() -> int:
    """Task clusters /health reports right now (its brief memo dropped)."""
    health_memo_forget()
    return health_cluster().clusters


def _trained_version_ids() -> list[int]:
    """Versions whose training task has finished (trained, compared, maybe activated)."""
    results = Task.objects.filter(func=TRAIN_TASK, success=True).values_list("result", flat=True)
    return [result["version_id"] for result in results if "version_id" in result]


def test_a_cluster_killed_mid_import_then_restarted_stores_every_play_exactly_once(
    live_stack, user
):
    history = extended_history(rows=IMPORT_ROWS)
    upload = SimpleUploadedFile(history.name, history.data, "application/json")
    pk = history_import_create(owner=user, uploads=[upload]).pk
    call_command("setup_schedules", stdout=StringIO())

    cluster = live_stack.qcluster()
    live_stack.wait_for(
        lambda: _import(pk).status == ImportStatus.RUNNING, timeout=60, what="the import to start"
    )
    time.sleep(KILL_AFTER_SECONDS)
    cluster.kill()

    killed = _import(pk)
    assert killed.status == ImportStatus.RUNNING, (
        f"the import was {killed.status} before the kill landed: make IMPORT_ROWS larger"
    )
    assert not Play.objects.filter(user=user).exists(), "a killed import left plays behind"
    # /health notices: the dead cluster's heartbeat expires.
    live_stack.wait_for(
        lambda: _clusters_seen() == 0, timeout=15, what="/health to see no task cluster"
    )

    live_stack.qcluster()
    live_stack.wait_for(
        lambda: _clusters_seen() == 1, timeout=30, what="/health to see the restarted cluster"
    )
    live_stack.sleep_until_stale(killed.started_at, seconds=live_stack.short_timeout)
    live_stack.wait_for(
        lambda: _import(pk).status in (ImportStatus.DONE, ImportStatus.FAILED),
        timeout=90,
        what="the restarted cluster to finish the import",
        tick_scheduler=True,
    )

    done = _import(pk)
    assert (done.status, done.error) == (ImportStatus.DONE, "")
    assert (done.rows_read, done.plays_created, done.duplicates) == (
        history.rows,
        history.plays,
        0,
    )
    assert done.skipped == {"podcast": history.podcasts}
    assert done.resolved + done.unresolved == history.plays
    assert Play.objects.filter(user=user).count() == history.plays
    assert HistoryImport.objects.count() == 1
    # One run stored the plays: the killed one never got as far as its report.
    stored = re.findall(rf"import {pk}: \d+ rows read", live_stack.processes.logs(chars=10**7))
    assert len(stored) == 1, stored


def test_a_training_cluster_killed_mid_fit_then_restarted_trains_one_version(live_stack, user):
    library = catalog_create(rows=TRAINING_CATALOG_ROWS)
    history_create(user=user, library=library)
    call_command("setup_schedules", stdout=StringIO())
    training_enqueue(user_id=user.pk)

    cluster = live_stack.qcluster(cluster="training")
    live_stack.wait_for(
        lambda: ModelVersion.objects.filter(owner=user, status=ModelStatus.TRAINING).exists(),
        timeout=60,
        what="the training to start",
    )
    time.sleep(KILL_AFTER_SECONDS)
    cluster.kill()
    killed = ModelVersion.objects.get()
    assert killed.status == ModelStatus.TRAINING

    # The default cluster runs the schedules; the training cluster runs the fit.
    live_stack.qcluster()
    live_stack.qcluster(cluster="training")
    live_stack.sleep_until_stale(killed.created_at, seconds=live_stack.training_stale_seconds)
    live_stack.wait_for(
        lambda: _trained_version_ids(),
        timeout=120,
        what="the restarted training cluster to train the version again",
        tick_scheduler=True,
    )

    versions = list(ModelVersion.objects.filter(owner=user).order_by("version"))
    assert [(v.version, v.status) for v in versions] == [
        (1, ModelStatus.FAILED),
        (2, ModelStatus.READY),
    ]
    abandoned, trained = versions
    assert _trained_version_ids() == [trained.pk]
    assert "abandoned" in abandoned.error
    assert not abandoned.artifact, "the killed fit stored an artifact"
    assert trained.is_active, trained.champion_comparison
    assert trained.artifact_sha256 and trained.artifact.storage.exists(trained.artifact.name)
    assert trained.dataset_rows > 0
