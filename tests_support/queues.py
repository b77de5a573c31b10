"""Read what was queued for django-q2, whatever the broker (ORM or Redis)."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django_q.brokers import get_broker
from django_q.signing import SignedPackage


def queued_tasks_drain(*, cluster: str | None = None) -> list[dict[str, Any]]:
    """Take every task off the queue of ``cluster`` (default: the main one) and return
    them decoded ({"func", "args", "kwargs", "name", ...}), oldest first.

    Tests use it instead of reading OrmQ rows, so they hold with the Redis broker too,
    where queued tasks also outlive a test's transaction.
    """
    broker = get_broker(cluster)
    tasks = []
    while broker.queue_size():
        for _, payload in broker.dequeue() or []:
            tasks.append(SignedPackage.loads(payload))
    return tasks


def _clusters() -> tuple[str, str]:
    return settings.Q_CLUSTER["name"], settings.MUSICFLOW_TRAINING_CLUSTER


def queued_tasks_by_cluster() -> dict[str, list[dict[str, Any]]]:
    """Every task queued on the main and on the training cluster, taken off their queues
    (see queued_tasks_drain), by cluster name."""
    return {cluster: queued_tasks_drain(cluster=cluster) for cluster in _clusters()}


def queued_tasks_purge() -> None:
    """Delete every task queued on the main and the training cluster, whatever the broker.

    Redis keeps tasks queued by earlier tests (and runs); the ORM broker's rows are
    deleted inside the test's transaction.
    """
    for cluster in _clusters():
        get_broker(cluster).purge_queue()
