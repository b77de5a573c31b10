"""Reads of enrichment progress, for the dashboard and the API."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from streams.models import EnrichmentJob


@dataclass(frozen=True)
class EnrichmentProgress:
    """The latest enrichment job of a user, as the UI shows it."""

    job_id: int
    status: str  # queued | running | waiting | done | failed
    done: int
    remaining: int
    next_retry_at: datetime | None
    plays_resolved: int
    plays_unresolved: int
    names_searched: int
    names_remaining: int
    tracks_done: int
    tracks_remaining: int
    notes: list[str]
    error: str
    updated_at: datetime | None


def enrichment_progress_for_user(*, user_id: int) -> EnrichmentProgress | None:
    """The user's most recent job (active or not); None before the first import."""
    job = EnrichmentJob.objects.filter(user_id=user_id).order_by("-created_at", "-id").first()
    if job is None:
        return None
    return EnrichmentProgress(
        job_id=job.pk,
        status=job.status,
        done=job.done,
        remaining=job.remaining,
        next_retry_at=job.next_retry_at,
        plays_resolved=job.plays_resolved,
        plays_unresolved=job.plays_unresolved,
        names_searched=job.names_searched,
        names_remaining=job.names_remaining,
        tracks_done=job.tracks_done,
        tracks_remaining=job.tracks_remaining,
        notes=list(job.notes or []),
        error=job.error,
        updated_at=job.heartbeat_at,
    )
