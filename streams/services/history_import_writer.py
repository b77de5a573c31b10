"""Writing plays fast: prepared INSERTs of precomputed tuples, resolved on the way in.

Building a Django model instance per row costs more than parsing the row, so plays
go in as tuples through one `INSERT ... ON CONFLICT DO NOTHING` per batch
(`streams.bulk_insert`); the unique constraint on (user, dedupe_key) drops plays
already stored (by an earlier import or earlier in this one), and the caller counts
what was created from the database.

Before a batch is written, the offline resolution steps (by URI, then by name index)
match what they can, so those plays are stored resolved instead of being updated
one track at a time afterwards. Plays no step matches stay pending, for
`plays_resolve` to handle (and count) once every file of the import is read.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from operator import itemgetter
from typing import Any

from django.db import connection
from django.utils import timezone

from streams.bulk_insert import rows_insert_ignoring_conflicts
from streams.history.records import PlayRecord
from streams.models import Play, ResolutionStatus
from streams.resolution.service import PendingPlay, ResolutionStep, offline_steps

# The PlayRecord fields that are stored as they are, after played_at (`_rows` spells
# them out in this order).
_RECORD_FIELDS: tuple[str, ...] = (
    "ms_played",
    "track_name",
    "artist_name",
    "album_name",
    "spotify_track_uri",
    "platform",
    "reason_start",
    "reason_end",
    "shuffle",
    "skipped",
    "offline",
    "incognito_mode",
    "dedupe_key",
)
# Every concrete Play column but the primary key, in the order `_rows` builds them:
# the record's own fields, then those the import and resolution decide.
PLAY_INSERT_COLUMNS: tuple[str, ...] = (
    "played_at",
    *_RECORD_FIELDS,
    "user_id",
    "history_import_id",
    "source_format",
    "resolution_status",
    "unresolved_reason",
    "resolve_attempts",
    "track_id",
    "last_resolve_at",
)
_TRACK_ID_INDEX = PLAY_INSERT_COLUMNS.index("track_id")
_RESOLVED = ResolutionStatus.RESOLVED.value
_PENDING = ResolutionStatus.PENDING.value

# SQLite's default page cache is 2 MB; an import of a million plays updates several
# indexes, and a larger cache for its duration roughly halves the insert time.
_SQLITE_IMPORT_CACHE_KIB = 256 * 1024


class PlayWriter:
    """Collects plays and writes them in batches of `batch_size`."""

    def __init__(
        self,
        *,
        user_id: int,
        import_id: int,
        batch_size: int,
        steps: Sequence[ResolutionStep] | None = None,
    ) -> None:
        self._user_id = user_id
        self._import_id = import_id
        self._batch_size = max(1, batch_size)
        self._steps = list(steps) if steps is not None else offline_steps()
        self._batch: list[PlayRecord] = []
        self._batch_format = ""
        self._track_by_uri: dict[str, int] = {}
        self._adapt_datetime = _datetime_adapter()

    def add(self, plays: Sequence[PlayRecord], source_format: str) -> None:
        """Queue `plays` (all of one export format), writing every full batch."""
        if source_format != self._batch_format:
            self.flush()
            self._batch_format = source_format
        self._batch.extend(plays)
        size = self._batch_size
        while len(self._batch) >= size:
            batch, self._batch = self._batch[:size], self._batch[size:]
            self._write(batch)

    def flush(self) -> None:
        if self._batch:
            batch, self._batch = self._batch, []
            self._write(batch)

    def _write(self, batch: list[PlayRecord]) -> None:
        rows = self._rows(batch, self._track_ids(batch))
        rows_insert_ignoring_conflicts(
            table=Play._meta.db_table, columns=PLAY_INSERT_COLUMNS, rows=rows
        )

    def _rows(self, batch: list[PlayRecord], track_ids: list[int | None]) -> list[tuple[Any, ...]]:
        """The batch's rows, resolved plays grouped by track, then the others in file order.

        Plays of one track share pages of the two indexes that start with the track
        (track, and user + track): grouped, a batch touches fewer of them; the identity
        index is random whatever the order. A sixth less insert time than sorting by
        the identity key. Unresolved plays keep their order, which is time order.
        """
        adapt = self._adapt_datetime
        now = adapt(timezone.now())
        shared = (self._user_id, self._import_id, self._batch_format)
        pending = (*shared, _PENDING, "", 0, None, None)
        resolved_as: dict[int, tuple[Any, ...]] = {}
        resolved_rows: list[tuple[Any, ...]] = []
        pending_rows: list[tuple[Any, ...]] = []
        for play, track_id in zip(batch, track_ids, strict=True):
            if track_id is None:
                tail, rows = pending, pending_rows
            else:
                tail, rows = resolved_as.get(track_id), resolved_rows
                if tail is None:
                    tail = resolved_as[track_id] = (*shared, _RESOLVED, "", 1, track_id, now)
            # Spelled out: twice as fast as an attrgetter with unpacking.
            rows.append(
                (
                    adapt(play.played_at),
                    play.ms_played,
                    play.track_name,
                    play.artist_name,
                    play.album_name,
                    play.spotify_track_uri,
                    play.platform,
                    play.reason_start,
                    play.reason_end,
                    play.shuffle,
                    play.skipped,
                    play.offline,
                    play.incognito_mode,
                    play.dedupe_key,
                    *tail,
                )
            )
        resolved_rows.sort(key=itemgetter(_TRACK_ID_INDEX))
        return resolved_rows + pending_rows

    def _track_ids(self, batch: list[PlayRecord]) -> list[int | None]:
        """The track of each play the offline steps can match now, else None.

        A URI matched once in this import is matched again from memory: a long history
        plays the same tracks in every batch, and asking the database each time was
        most of the cost.
        """
        by_uri = self._track_by_uri
        track_ids: list[int | None] = [by_uri.get(play.spotify_track_uri) for play in batch]
        if None not in track_ids:
            return track_ids
        remaining = [
            _pending(index, batch[index])
            for index, track_id in enumerate(track_ids)
            if track_id is None
        ]
        for step in self._steps:
            if not remaining:
                break
            given = {p.id for p in remaining}
            found = {i: t for i, t in step(plays=remaining).items() if i in given}
            for index, track_id in found.items():
                track_ids[index] = track_id
                uri = batch[index].spotify_track_uri
                if uri:
                    by_uri.setdefault(uri, track_id)
            remaining = [p for p in remaining if p.id not in found]
        return track_ids


def _pending(index: int, play: PlayRecord) -> PendingPlay:
    return PendingPlay(
        id=index,
        track_name=play.track_name,
        artist_name=play.artist_name,
        album_name=play.album_name,
        spotify_track_uri=play.spotify_track_uri,
        resolve_attempts=0,
    )


def _datetime_adapter() -> Any:
    """Django's adapter for aware datetimes, short-cut where it is a plain conversion.

    On SQLite with a UTC connection Django stores str(naive UTC datetime); parsed plays
    are already UTC, so dropping the tzinfo is the whole conversion.
    """
    if connection.vendor == "sqlite" and connection.timezone_name == "UTC":
        return _sqlite_utc_text
    return connection.ops.adapt_datetimefield_value


def _sqlite_utc_text(value: datetime) -> str:
    """str() of the naive UTC datetime, as Django stores it; %-formatting is twice as
    fast as converting the datetime first, and this runs once per play."""
    if value.tzinfo is not UTC:
        value = value.astimezone(UTC)
    text = "%04d-%02d-%02d %02d:%02d:%02d" % (  # noqa: UP031
        value.year,
        value.month,
        value.day,
        value.hour,
        value.minute,
        value.second,
    )
    return f"{text}.{value.microsecond:06d}" if value.microsecond else text


@contextmanager
def bulk_write_tuning() -> Iterator[None]:
    """While an import runs: no cyclic garbage collection, a bigger SQLite page cache."""
    with _garbage_collection_paused():
        if connection.vendor != "sqlite":
            yield
            return
        with connection.cursor() as cursor:
            cursor.execute("PRAGMA cache_size")
            (previous,) = cursor.fetchone()
            cursor.execute(f"PRAGMA cache_size = -{_SQLITE_IMPORT_CACHE_KIB}")
        try:
            yield
        finally:
            with connection.cursor() as cursor:
                cursor.execute(f"PRAGMA cache_size = {int(previous)}")


@contextmanager
def _garbage_collection_paused() -> Iterator[None]:
    """Pause the cycle collector (reference counting still frees everything).

    An import allocates several containers per row (the decoded JSON, the record, the
    row tuple), and each few hundred allocations start a collection; the full ones go
    through every object of the process. That was a quarter of an import's CPU time.
    The import itself makes next to no reference cycles; those anything else makes
    meanwhile are collected once the collector runs again. The collector is only
    turned back on if it was on (another thread may have paused it too).
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()
