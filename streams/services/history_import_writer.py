"""Writing plays fast: prepared INSERTs of precomputed tuples, resolved on the way in.

Building a Django model instance per row costs more than parsing the row, so plays
go in as tuples through one `INSERT ... ON CONFLICT DO NOTHING` per batch; the unique
constraint on (user, dedupe_key) drops plays already stored (by an earlier import or
earlier in this one), and the caller counts what was created from the database.

Before a batch is written, the offline resolution steps (by URI, then by name index)
match what they can, so those plays are stored resolved instead of being updated
one track at a time afterwards. Plays no step matches stay pending, for
`plays_resolve` to handle (and count) once every file of the import is read.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from operator import itemgetter
from typing import Any

from django.db import connection
from django.utils import timezone

from streams.history.records import PlayRecord
from streams.models import Play, ResolutionStatus
from streams.resolution.service import PendingPlay, ResolutionStep, offline_steps

# Every concrete Play column but the primary key, in the order `_row` builds them.
PLAY_INSERT_COLUMNS: tuple[str, ...] = (
    "user_id",
    "history_import_id",
    "played_at",
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
    "source_format",
    "dedupe_key",
    "resolution_status",
    "unresolved_reason",
    "resolve_attempts",
    "track_id",
    "last_resolve_at",
)
_DEDUPE_KEY_INDEX = PLAY_INSERT_COLUMNS.index("dedupe_key")
_SCRATCH_TABLE = "musicflow_import_plays"
_RESOLVED = ResolutionStatus.RESOLVED.value
_PENDING = ResolutionStatus.PENDING.value

# SQLite's default page cache is 2 MB; an import of a million plays updates eight
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
        self._batch: list[tuple[PlayRecord, str]] = []
        self._track_by_uri: dict[str, int] = {}
        self._scratch_ready = False
        self._adapt_datetime = _datetime_adapter()
        quote = connection.ops.quote_name
        columns = ", ".join(quote(c) for c in PLAY_INSERT_COLUMNS)
        placeholders = ", ".join(["%s"] * len(PLAY_INSERT_COLUMNS))
        # ON CONFLICT DO NOTHING: PostgreSQL, and SQLite >= 3.24 (Django 5.2 needs 3.31).
        self._sql = (
            f"INSERT INTO {quote(Play._meta.db_table)} ({columns}) "
            f"VALUES ({placeholders}) ON CONFLICT DO NOTHING"
        )

    def add(self, play: PlayRecord, source_format: str) -> None:
        self._batch.append((play, source_format))
        if len(self._batch) >= self._batch_size:
            self.flush()

    def flush(self) -> None:
        if not self._batch:
            return
        matched = self._resolve(self._batch)
        now = self._adapt_datetime(timezone.now())
        rows = [
            self._row(play, source_format, matched.get(index), now)
            for index, (play, source_format) in enumerate(self._batch)
        ]
        # Neighbouring keys share index pages: sorted batches touch fewer of them.
        rows.sort(key=itemgetter(_DEDUPE_KEY_INDEX))
        self._insert(rows)
        self._batch = []

    def _insert(self, rows: list[tuple[Any, ...]]) -> None:
        with connection.cursor() as cursor:
            if connection.vendor == "postgresql":
                self._insert_by_copy(cursor, rows)
            else:
                cursor.executemany(self._sql, rows)

    def _insert_by_copy(self, cursor: Any, rows: list[tuple[Any, ...]]) -> None:
        """PostgreSQL: COPY into a scratch table, then one INSERT ... SELECT.

        Row-by-row INSERTs make the server parse and plan every row; COPY does not,
        and COPY itself cannot skip conflicts, hence the scratch table.
        """
        quote = connection.ops.quote_name
        columns = ", ".join(quote(c) for c in PLAY_INSERT_COLUMNS)
        play_table = quote(Play._meta.db_table)
        if not self._scratch_ready:
            # Dropped when the outermost transaction ends, whichever way it ends; an
            # import nested in a caller's transaction may find it from an earlier one.
            cursor.execute(
                f"CREATE TEMPORARY TABLE IF NOT EXISTS {_SCRATCH_TABLE} ON COMMIT DROP AS "
                f"SELECT {columns} FROM {play_table} WITH NO DATA"
            )
            cursor.execute(f"TRUNCATE {_SCRATCH_TABLE}")
            self._scratch_ready = True
        with cursor.cursor.copy(f"COPY {_SCRATCH_TABLE} ({columns}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)
        cursor.execute(
            f"INSERT INTO {play_table} ({columns}) SELECT {columns} FROM {_SCRATCH_TABLE} "
            "ON CONFLICT DO NOTHING"
        )
        cursor.execute(f"TRUNCATE {_SCRATCH_TABLE}")

    def _resolve(self, batch: list[tuple[PlayRecord, str]]) -> dict[int, int]:
        """{index in batch: track id} for the plays the offline steps can match now.

        A URI matched once in this import is matched again from memory: a long history
        plays the same tracks in every batch, and asking the database each time was
        most of the cost.
        """
        matched: dict[int, int] = {}
        remaining: list[PendingPlay] = []
        for index, (play, _) in enumerate(batch):
            uri = play.spotify_track_uri
            track_id = self._track_by_uri.get(uri) if uri else None
            if track_id is not None:
                matched[index] = track_id
            else:
                remaining.append(_pending(index, play))
        for step in self._steps:
            if not remaining:
                break
            given = {p.id for p in remaining}
            found = {i: t for i, t in step(plays=remaining).items() if i in given}
            matched.update(found)
            remaining = [p for p in remaining if p.id not in found]
        for index, track_id in matched.items():
            uri = batch[index][0].spotify_track_uri
            if uri:
                self._track_by_uri.setdefault(uri, track_id)
        return matched

    def _row(
        self, play: PlayRecord, source_format: str, track_id: int | None, now: Any
    ) -> tuple[Any, ...]:
        resolved = track_id is not None
        return (
            self._user_id,
            self._import_id,
            self._adapt_datetime(play.played_at),
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
            source_format,
            play.dedupe_key,
            _RESOLVED if resolved else _PENDING,
            "",
            1 if resolved else 0,
            track_id,
            now if resolved else None,
        )


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
    if value.tzinfo is not UTC:
        value = value.astimezone(UTC)
    return value.replace(tzinfo=None).isoformat(" ")


@contextmanager
def bulk_write_tuning() -> Iterator[None]:
    """A bigger SQLite page cache while an import writes; nothing elsewhere."""
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
