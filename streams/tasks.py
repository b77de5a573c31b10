"""django-q2 entry points of the streams app: take ids, call a service.

Queue them with `transaction.on_commit` so a worker never looks for rows that are
not committed yet.
"""

from __future__ import annotations

from streams.enrichment.services import enrichment_run, enrichment_sweep
from streams.services.history_import import history_import_run, history_import_sweep


def history_import_task(import_id: int) -> str:
    """Run a queued history import; a second delivery of the same task does nothing."""
    history_import = history_import_run(import_id=import_id)
    return history_import.status if history_import is not None else "missing"


def history_import_sweep_task() -> list[int]:
    """Requeue imports whose worker died or whose task the broker lost."""
    return history_import_sweep()


# --- enrichment (resolution + feature sources) ---


def enrichment_run_task(job_id: int) -> str:
    """One slice of a user's resolution + enrichment; it queues its own continuation."""
    return enrichment_run(job_id=job_id).status


def enrichment_sweep_task() -> list[int]:
    """Requeue enrichment jobs whose worker died or whose retry time has passed."""
    return enrichment_sweep()
