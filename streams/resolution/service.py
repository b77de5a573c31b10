"""Play resolution: match a user's pending plays to tracks through an ordered chain of steps.

Steps (see `streams.resolution.steps.ResolutionStep`) only say which play is which
track; this module reads the plays and writes the outcome, in bulk and in one
transaction. The default chain is offline (`offline_steps()`: URI, then name index);
network steps are added by passing `steps=`.
"""

from __future__ import annotations

import logging
import time
from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from django.db import connection, transaction
from django.utils import timezone

from streams.models import Play, ResolutionStatus
from streams.resolution.index import name_index_add
from streams.resolution.lookups import chunked
from streams.resolution.offline import offline_steps
from streams.resolution.steps import PendingPlay, ResolutionStep

__all__ = [
    "PendingPlay",
    "ResolutionStep",
    "ResolveReport",
    "name_index_add",
    "offline_steps",
    "plays_resolve",
]

logger = logging.getLogger(__name__)

# Reasons stored in Play.unresolved_reason.
REASON_NO_NAME = "no_track_name"
REASON_NO_OFFLINE_MATCH = "no_offline_match"
REASON_NO_MATCH = "no_match"
_MAX_ATTEMPTS = 32767  # PositiveSmallIntegerField
_OUTCOME_TABLE = "musicflow_resolve_outcome"
_INSERT_CHUNK = 10_000


@dataclass
class ResolveReport:
    """What one resolution run did."""

    resolved: int = 0
    unresolved: int = 0
    by_step: dict[str, int] = field(default_factory=dict)
    unresolved_by_reason: dict[str, int] = field(default_factory=dict)


def plays_pending(
    *, user_id: int, history_import_id: int | None = None, include_unresolved: bool = True
) -> list[PendingPlay]:
    statuses = [ResolutionStatus.PENDING]
    if include_unresolved:
        statuses.append(ResolutionStatus.UNRESOLVED)
    plays = Play.objects.filter(user_id=user_id, resolution_status__in=statuses)
    if history_import_id is not None:
        plays = plays.filter(history_import_id=history_import_id)
    rows = plays.order_by("id").values_list(
        "id", "track_name", "artist_name", "album_name", "spotify_track_uri", "resolve_attempts"
    )
    return [PendingPlay(*row) for row in rows.iterator(chunk_size=5000)]


def _run_steps(
    *, plays: list[PendingPlay], steps: Sequence[ResolutionStep]
) -> tuple[dict[int, int], dict[str, int]]:
    matched: dict[int, int] = {}
    by_step: dict[str, int] = {}
    remaining = plays
    for step in steps:
        started = time.perf_counter()
        found = step(plays=remaining) if remaining else {}
        logger.debug(
            "step %s: %d plays in %.2f s", step.name, len(remaining), time.perf_counter() - started
        )
        given = {p.id for p in remaining}
        # A step may only claim plays it was given.
        claimed = {pid: tid for pid, tid in found.items() if pid in given}
        matched.update(claimed)
        by_step[step.name] = by_step.get(step.name, 0) + len(claimed)
        remaining = [p for p in remaining if p.id not in matched]
    return matched, by_step


def _unresolved_reason(play: PendingPlay, *, offline_only: bool) -> str:
    if not play.track_name.strip():
        return REASON_NO_NAME
    return REASON_NO_OFFLINE_MATCH if offline_only else REASON_NO_MATCH


def _rows_insert(cursor: Any, *, table: str, rows: list[tuple[int, int | None, str]]) -> None:
    if connection.vendor == "postgresql":
        # COPY is about twenty times faster than INSERT batches on PostgreSQL. Through
        # the raw psycopg cursor, so its errors are made Django's here.
        with (
            connection.wrap_database_errors,
            cursor.cursor.copy(f"COPY {table} (play_id, track_id, reason) FROM STDIN") as copy,
        ):
            for row in rows:
                copy.write_row(row)
        return
    for chunk in chunked(rows, _INSERT_CHUNK):
        cursor.executemany(f"INSERT INTO {table} VALUES (%s, %s, %s)", chunk)


def _write_outcome(*, outcome: list[tuple[int, int | None, str]]) -> None:
    """Write every play's outcome with one INSERT batch and two UPDATE statements.

    The outcomes (play id, track id or None, reason) go into a temporary table that
    the UPDATEs join (`UPDATE ... FROM`, in both SQLite and PostgreSQL): a fixed
    number of statements for any number of plays, where the ORM would need one
    UPDATE per distinct track.
    """
    if not outcome:
        return
    qn = connection.ops.quote_name
    play, table = qn(Play._meta.db_table), qn(_OUTCOME_TABLE)
    now = connection.ops.adapt_datetimefield_value(timezone.now())
    attempts = qn("resolve_attempts")
    common = (
        f"{attempts} = CASE WHEN {play}.{attempts} < {_MAX_ATTEMPTS} "
        f"THEN {play}.{attempts} + 1 ELSE {play}.{attempts} END, {qn('last_resolve_at')} = %s"
    )
    # Inside the transaction: if anything fails, the rollback drops the table too.
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            f"CREATE TEMPORARY TABLE {table} "
            "(play_id bigint PRIMARY KEY, track_id bigint NULL, reason varchar(64) NOT NULL)"
        )
        _rows_insert(cursor, table=table, rows=outcome)
        cursor.execute(
            f"UPDATE {play} SET {qn('track_id')} = o.track_id, "
            f"{qn('resolution_status')} = %s, {qn('unresolved_reason')} = '', {common} "
            f"FROM {table} o WHERE o.play_id = {play}.id AND o.track_id IS NOT NULL",
            [ResolutionStatus.RESOLVED.value, now],
        )
        cursor.execute(
            f"UPDATE {play} SET {qn('resolution_status')} = %s, "
            f"{qn('unresolved_reason')} = o.reason, {common} "
            f"FROM {table} o WHERE o.play_id = {play}.id AND o.track_id IS NULL",
            [ResolutionStatus.UNRESOLVED.value, now],
        )
        cursor.execute(f"DROP TABLE {table}")


def plays_resolve(
    *,
    user_id: int,
    history_import_id: int | None = None,
    steps: Sequence[ResolutionStep] | None = None,
    include_unresolved: bool = True,
) -> ResolveReport:
    """Resolve the user's pending (and, for retries, unresolved) plays.

    With `history_import_id`, only that import's plays. Plays no step matches are
    marked unresolved with a reason; every play considered has its attempts bumped.
    """
    chain = list(steps) if steps is not None else offline_steps()
    started = time.perf_counter()
    plays = plays_pending(
        user_id=user_id,
        history_import_id=history_import_id,
        include_unresolved=include_unresolved,
    )
    logger.debug("read %d pending plays in %.2f s", len(plays), time.perf_counter() - started)
    matched, by_step = _run_steps(plays=plays, steps=chain)
    offline_only = not any(step.needs_network for step in chain)
    # A step may say why it left a play unresolved (e.g. "rate_limited"); the last
    # step to say so wins.
    step_reasons: dict[int, str] = {}
    for step in chain:
        step_reasons.update(getattr(step, "unresolved_reasons", {}))
    unmatched: dict[str, list[int]] = defaultdict(list)
    for play in plays:
        if play.id not in matched:
            reason = _unresolved_reason(play, offline_only=offline_only)
            if reason != REASON_NO_NAME:
                reason = step_reasons.get(play.id, reason)
            unmatched[reason].append(play.id)
    outcome: list[tuple[int, int | None, str]] = [(pid, tid, "") for pid, tid in matched.items()]
    outcome += [(pid, None, reason) for reason, ids in unmatched.items() for pid in ids]
    started = time.perf_counter()
    _write_outcome(outcome=outcome)
    logger.debug("wrote %d outcomes in %.2f s", len(outcome), time.perf_counter() - started)
    reasons = Counter({reason: len(ids) for reason, ids in unmatched.items()})
    return ResolveReport(
        resolved=len(matched),
        unresolved=sum(reasons.values()),
        by_step=by_step,
        unresolved_by_reason=dict(reasons),
    )
