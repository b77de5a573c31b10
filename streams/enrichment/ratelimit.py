"""One rate limiter per external service, shared by every worker through the database.

A row per service holds the next free request slot and, after a 429, the time before
which nobody may call the service. Slots are taken with a compare-and-set UPDATE, which
is atomic on SQLite and PostgreSQL alike, so two workers never take the same slot and
no lock is held while waiting.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import datetime, timedelta

from django.conf import settings
from django.db import IntegrityError
from django.db.models import Q
from django.utils import timezone

from streams.clients.errors import RateLimited
from streams.models import SourceRateLimit

# Compare-and-set rounds before giving up on a slot under heavy contention.
_MAX_ROUNDS = 20
# A worker never waits longer than this for its slot; beyond it the caller reschedules.
_MAX_SLOT_WAIT_SECONDS = 2.0


def _row(source: str) -> SourceRateLimit:
    try:
        return SourceRateLimit.objects.get_or_create(source=source)[0]
    except IntegrityError:
        # Another worker created it between our read and our insert.
        return SourceRateLimit.objects.get(source=source)


def source_blocked_until(*, source: str) -> datetime | None:
    """When a 429 told us to come back, if that is still in the future."""
    until = (
        SourceRateLimit.objects.filter(source=source)
        .values_list("blocked_until", flat=True)
        .first()
    )
    return until if until and until > timezone.now() else None


def source_block(*, source: str, until: datetime) -> None:
    """Record a Retry-After for every worker (an earlier block is only ever extended)."""
    _row(source)
    SourceRateLimit.objects.filter(source=source).filter(
        Q(blocked_until__isnull=True) | Q(blocked_until__lt=until)
    ).update(blocked_until=until)


def source_slot_acquire(*, source: str, sleep: Callable[[float], None] = time.sleep) -> None:
    """Wait (briefly) for this worker's turn to call ``source``.

    Raises RateLimited when the service is blocked by an earlier 429, or when the
    queue of workers ahead is longer than a call may wait.
    """
    interval = timedelta(seconds=settings.MUSICFLOW_SOURCE_MIN_INTERVAL.get(source, 0.0))
    for _ in range(_MAX_ROUNDS):
        row = _row(source)
        now = timezone.now()
        if row.blocked_until and row.blocked_until > now:
            raise RateLimited(
                f"{source} is rate-limited until {row.blocked_until.isoformat()}",
                source=source,
                retry_at=row.blocked_until,
            )
        if not interval:
            return
        slot = max(now, row.next_request_at or now)
        wait = (slot - now).total_seconds()
        if wait > _MAX_SLOT_WAIT_SECONDS:
            raise RateLimited(f"{source} request queue is full", source=source, retry_at=slot)
        taken = SourceRateLimit.objects.filter(
            pk=row.pk, next_request_at=row.next_request_at
        ).update(next_request_at=slot + interval)
        if taken:
            if wait > 0:
                sleep(wait)
            return
    raise RateLimited(
        f"{source} rate limiter is contended",
        source=source,
        retry_at=timezone.now() + interval * _MAX_ROUNDS,
    )
