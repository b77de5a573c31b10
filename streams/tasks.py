"""django-q2 entry points of the streams app: take ids, call a service.

Queue them with `transaction.on_commit` so a worker never looks for rows that are
not committed yet.
"""

from __future__ import annotations

from streams.enrichment.services import enrichment_run, enrichment_sweep

# --- enrichment (resolution + feature sources) ---


def enrichment_run_task(job_id: int) -> str:
    """One slice of a user's resolution + enrichment; it queues its own continuation."""
    return enrichment_run(job_id=job_id).status


def enrichment_sweep_task() -> list[int]:
    """Requeue enrichment jobs whose worker died or whose retry time has passed."""
    return enrichment_sweep()
