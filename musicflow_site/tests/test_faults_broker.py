"""The task broker (Redis, or the ORM queue) refusing new tasks just after work was
committed: the committed work is reported as it is, and the sweeps queue what could not
be queued once the broker is back.

The broker is made to fail at its edge (django-q2's ``enqueue``), as a Redis that went
away would; everything of ours runs as it does in a worker or a web request.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django_q.brokers import get_broker

from streams.enrichment.services import enrichment_sweep
from streams.models import (
    EnrichmentJob,
    EnrichmentStatus,
    HistoryImport,
    ImportStatus,
    Play,
)
from streams.services.history_import import (
    history_import_create,
    history_import_run,
    history_import_sweep,
)
from tests_support.histories import extended_history
from tests_support.live import task_queues_purge

pytestmark = pytest.mark.django_db(transaction=True)

ROWS = 300


class Broker:
    """Switches django-q2's broker between refusing every task and working."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self._monkeypatch = monkeypatch
        self._broker_class = type(get_broker())

    def down(self) -> None:
        def refuse(broker: object, task: object) -> None:
            raise ConnectionError("the task broker is unreachable")

        self._monkeypatch.setattr(self._broker_class, "enqueue", refuse)

    def up(self) -> None:
        self._monkeypatch.undo()


@pytest.fixture
def broker(monkeypatch) -> Iterator[Broker]:
    yield Broker(monkeypatch)
    task_queues_purge()


def _upload() -> tuple[SimpleUploadedFile, int]:
    history = extended_history(rows=ROWS, tag="broker")
    return SimpleUploadedFile(history.name, history.data, "application/json"), history.plays


def test_an_import_finishing_while_the_broker_is_down_is_done_with_its_plays(
    user, broker, settings
):
    upload, plays = _upload()
    pk = history_import_create(owner=user, uploads=[upload]).pk
    task_queues_purge()  # the worker below stands in for the queued task

    broker.down()
    history_import_run(import_id=pk)

    done = HistoryImport.objects.get(pk=pk)
    assert (done.status, done.plays_created, done.error) == (ImportStatus.DONE, plays, "")
    assert Play.objects.filter(user=user).count() == plays
    # Its enrichment job exists but could not be queued: the sweep queues it.
    job = EnrichmentJob.objects.get(user=user)
    assert job.status == EnrichmentStatus.QUEUED
    broker.up()
    settings.MUSICFLOW_ENRICHMENT_STALE_SECONDS = 0
    assert enrichment_sweep() == [job.pk]


def test_an_upload_accepted_while_the_broker_is_down_is_queued_by_the_sweep(
    owner_client, user, broker, settings
):
    upload, _ = _upload()
    broker.down()

    response = owner_client.post("/api/imports/", {"files": [upload]}, format="multipart")

    assert response.status_code == 202, response.content
    queued = HistoryImport.objects.get()
    assert queued.status == ImportStatus.QUEUED
    broker.up()
    settings.Q_CLUSTER = {**settings.Q_CLUSTER, "timeout": 0}
    assert history_import_sweep() == [queued.pk]
