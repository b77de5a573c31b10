"""Read what was queued for django-q2, whatever the broker (ORM or Redis)."""

from __future__ import annotations

from typing import Any

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
