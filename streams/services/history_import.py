"""Importing a Spotify export: files -> plays, exactly once, all or nothing.

Entry points:

* `history_import_from_paths` — synchronous, for the `import_history` command;
* `history_import_create` — stores an upload and queues `history_import_run` in the
  background (the API and the website call it);
* `history_import_run` — the background job; safe to call twice, and never runs two
  imports of one user at the same time (the database's one_running_import_per_owner
  constraint is the lock).

One import is one transaction: a rejected file leaves the database exactly as it was,
and only the HistoryImport row, written after the rollback, records what went wrong.
Plays are written with one prepared INSERT per batch of precomputed tuples: building
a model instance per row costs more than parsing the row, and the unique constraint
on (user, dedupe_key) does the deduplication inside the database.
"""

from __future__ import annotations

import logging
import shutil
import tempfile
import time
import zipfile
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import IO, Any

from django.conf import settings
from django.contrib.auth.base_user import AbstractBaseUser
from django.core.files.base import File
from django.core.files.uploadedfile import UploadedFile
from django.db import (
    DatabaseError,
    IntegrityError,
    InterfaceError,
    OperationalError,
    transaction,
)
from django.db.models import Count, Q
from django.utils import timezone

from streams.enrichment.services import enrichment_request
from streams.errors import ImportRejected, UploadTooLarge
from streams.history.documents import ReadDocument, documents_read
from streams.history.prefetch import prefetched
from streams.history.readers import ReadLimits, Source, sources_from_file, sources_from_paths
from streams.history.records import (
    PLAY_FORMATS,
    FileFormat,
    LibraryTrack,
    SkippedSource,
    SkipReason,
)
from streams.models import (
    HistoryImport,
    ImportStatus,
    Play,
    PlayFormat,
    ResolutionStatus,
    SavedTrack,
    Track,
)
from streams.resolution.index import name_index_add
from streams.resolution.offline import track_ids_by_spotify_id
from streams.resolution.service import plays_resolve
from streams.services.history_import_writer import PlayWriter, bulk_write_tuning

logger = logging.getLogger(__name__)

TASK_PATH = "streams.tasks.history_import_task"
BUNDLE_NAME = "history-upload.zip"

_PLAY_FORMAT_OF: dict[FileFormat, str] = {
    FileFormat.ACCOUNT_MUSIC: PlayFormat.ACCOUNT_DATA,
    FileFormat.EXTENDED: PlayFormat.EXTENDED,
    FileFormat.EXTENDED_LEGACY: PlayFormat.EXTENDED_LEGACY,
    # Podcast and audiobook files only yield skipped rows.
    FileFormat.ACCOUNT_PODCAST: PlayFormat.ACCOUNT_DATA,
    FileFormat.ACCOUNT_AUDIOBOOK: PlayFormat.ACCOUNT_DATA,
}
_FILE_SKIP_REASON: dict[FileFormat, SkipReason] = {
    FileFormat.VIDEO: SkipReason.VIDEO_FILE,
    FileFormat.EMPTY: SkipReason.EMPTY_FILE,
    FileFormat.OTHER: SkipReason.OTHER_FILE,
}


@dataclass
class _Tally:
    """What an import did, accumulated while reading; written to the HistoryImport."""

    rows_read: int = 0
    play_rows: int = 0
    skipped: Counter[str] = field(default_factory=Counter)
    files: list[dict[str, Any]] = field(default_factory=list)


# --- entry points ------------------------------------------------------------------------


def history_import_from_paths(
    *, owner: AbstractBaseUser, paths: Sequence[Path | str]
) -> HistoryImport:
    """Import files, folders or export zips now; returns the import, done or failed.

    A rejected import comes back with status failed and the reason in `error`.
    """
    resolved_paths = [Path(p) for p in paths]
    history_import = HistoryImport.objects.create(
        owner=owner, file_names=[p.name for p in resolved_paths]
    )
    try:
        _claim(history_import)
    except _Busy:
        _mark_failed(history_import, "another import of this user is running; try again later")
        return history_import
    limits = ReadLimits.from_settings()
    return _run_claimed(
        history_import, lambda: sources_from_paths(paths=resolved_paths, limits=limits)
    )


def history_import_create(
    *, owner: AbstractBaseUser, uploads: Sequence[UploadedFile]
) -> HistoryImport:
    """Store an upload (one zip, or JSON files) and queue its import.

    Sizes are checked from the upload's metadata before a byte is read. Several files
    are stored together as one zip, so the background job reads a single upload.
    """
    if not uploads:
        raise ImportRejected("no file uploaded: send the export zip or its JSON files")
    _check_upload_sizes(uploads)
    with transaction.atomic():
        history_import = HistoryImport(owner=owner, file_names=[u.name or "" for u in uploads])
        if len(uploads) == 1:
            history_import.upload.save(uploads[0].name or "upload", uploads[0], save=False)
        else:
            with _bundle(uploads) as bundle:
                history_import.upload.save(BUNDLE_NAME, File(bundle), save=False)
        history_import.save()
        history_import_enqueue(import_id=history_import.pk)
    return history_import


def history_import_enqueue(*, import_id: int) -> None:
    """Queue the import's background job once the current transaction commits."""
    from django_q.tasks import async_task

    # robust: the import is committed either way; a broker that is down must not turn
    # it into an error (the import sweep queues it once the broker is back).
    transaction.on_commit(lambda: async_task(TASK_PATH, import_id), robust=True)


def history_import_run(*, import_id: int) -> HistoryImport | None:
    """Run a queued import (the background job); returns it, or None if it is gone.

    Done and failed imports are returned untouched, so a job delivered twice does no
    harm. While another import of the same user runs, this one stays queued and is
    tried again later.
    """
    history_import = HistoryImport.objects.filter(pk=import_id).first()
    if history_import is None or history_import.status in (ImportStatus.DONE, ImportStatus.FAILED):
        return history_import
    try:
        claimed = _claim(history_import)
    except _Busy:
        _requeue_later(import_id)
        return history_import
    if not claimed:
        history_import.refresh_from_db()
        return history_import
    return _run_claimed(
        history_import,
        lambda: _stored_upload_sources(history_import),
        retry_if_database_lost=True,
    )


# --- claiming (the per-user lock) --------------------------------------------------------


class _Busy(Exception):
    """Another import of the same owner is running."""


def _claim(history_import: HistoryImport) -> bool:
    """Compare-and-set queued -> running; True when this caller now owns the import.

    A "running" import older than the task timeout belonged to a worker that died: its
    transaction never committed, so it is safe to take over.
    """
    now = timezone.now()
    stale_before = now - timedelta(seconds=settings.Q_CLUSTER["timeout"])
    claimable = Q(status=ImportStatus.QUEUED) | Q(
        status=ImportStatus.RUNNING, started_at__lt=stale_before
    )
    try:
        with transaction.atomic():
            updated = HistoryImport.objects.filter(claimable, pk=history_import.pk).update(
                status=ImportStatus.RUNNING, started_at=now, error=""
            )
            if updated:
                # The claim may have waited for another import of the owner to commit
                # (SQLite's write lock, PostgreSQL's unique index): this one starts now,
                # not when it began to wait.
                now = timezone.now()
                HistoryImport.objects.filter(pk=history_import.pk).update(started_at=now)
    except IntegrityError:
        raise _Busy from None
    if updated:
        history_import.status = ImportStatus.RUNNING
        history_import.started_at = now
    return bool(updated)


def _requeue_later(import_id: int) -> None:
    from django_q.models import Schedule
    from django_q.tasks import schedule

    delay = timedelta(seconds=settings.MUSICFLOW_IMPORT_RETRY_SECONDS)
    schedule(
        TASK_PATH,
        import_id,
        schedule_type=Schedule.ONCE,
        next_run=timezone.now() + delay,
    )


# --- safety net --------------------------------------------------------------------------

SWEEP_TASK = "streams.tasks.history_import_sweep_task"
SWEEP_SCHEDULE = "musicflow-import-sweep"


def history_import_sweep() -> list[int]:
    """Queue again every import whose task was lost; returns their ids.

    A worker killed mid-import leaves its import "running" (the import's transaction
    died with it); a broker that does not redeliver (Redis), or a task that failed
    before claiming (database unavailable), leaves it "queued" with no task. Both are
    queued again once older than the task timeout. Queuing twice is harmless: only one
    run claims an import.
    """
    from django_q.tasks import async_task

    stale_before = timezone.now() - timedelta(seconds=settings.Q_CLUSTER["timeout"])
    lost = Q(status=ImportStatus.QUEUED, created_at__lt=stale_before) | Q(
        status=ImportStatus.RUNNING, started_at__lt=stale_before
    )
    import_ids = list(HistoryImport.objects.filter(lost).values_list("pk", flat=True))
    for import_id in import_ids:
        async_task(TASK_PATH, import_id, task_name=f"import-sweep-{import_id}")
    return import_ids


def history_import_schedules_install() -> bool:
    """Install (idempotently) the one-minute sweep schedule; True if it was created."""
    from django_q.models import Schedule

    _, created = Schedule.objects.update_or_create(
        name=SWEEP_SCHEDULE,
        defaults={
            "func": SWEEP_TASK,
            "schedule_type": Schedule.MINUTES,
            "minutes": 1,
            "repeats": -1,
        },
    )
    return created


# --- running -----------------------------------------------------------------------------


def _run_claimed(
    history_import: HistoryImport,
    sources: Callable[[], Iterable[Source]],
    *,
    retry_if_database_lost: bool = False,
) -> HistoryImport:
    """Import inside one transaction; a rejected upload comes back failed.

    `retry_if_database_lost`: for background runs, losing the database mid-import is
    not the upload's fault. Nothing was committed, so the import stays "running" and
    the task's retry (or the sweep) takes it over once it is stale.
    """
    try:
        with transaction.atomic(), bulk_write_tuning():
            started = time.perf_counter()
            tally = _import_sources(history_import, sources())
            _record_done(history_import, tally)
            stored = time.perf_counter()
            _resolve(history_import)
            logger.info(
                "import %s: %d rows read, %d plays stored in %.2f s, resolved in %.2f s",
                history_import.pk,
                tally.rows_read,
                history_import.plays_created,
                stored - started,
                time.perf_counter() - stored,
            )
    except ImportRejected as exc:
        _mark_failed(history_import, str(exc))
        return history_import
    except (OperationalError, InterfaceError):
        if retry_if_database_lost:
            logger.warning(
                "history import %s lost the database; it will be retried", history_import.pk
            )
            raise
        _mark_failed_if_possible(
            history_import, "the database became unavailable; nothing was stored"
        )
        raise
    except Exception:
        _mark_failed_if_possible(
            history_import, "internal error while importing; nothing was stored"
        )
        raise
    # Network resolution and audio features happen in the background, after commit.
    enrichment_request(user_id=history_import.owner_id)
    return history_import


def _import_sources(history_import: HistoryImport, sources: Iterable[Source]) -> _Tally:
    tally = _Tally()
    writer = PlayWriter(
        user_id=history_import.owner_id,
        import_id=history_import.pk,
        batch_size=settings.MUSICFLOW_IMPORT_BATCH_SIZE,
    )
    # Reading and parsing the next file overlaps with writing this one's plays.
    for item in prefetched(documents_read(sources=sources)):
        if isinstance(item, SkippedSource):
            tally.skipped[item.reason] += 1
            tally.files.append({"name": item.name, "format": "not_json", "rows": 0})
        else:
            _import_document(item, writer, tally, history_import)
    writer.flush()
    return tally


def _import_document(
    document: ReadDocument, writer: PlayWriter, tally: _Tally, history_import: HistoryImport
) -> None:
    entry: dict[str, Any] = {
        "name": document.name,
        "format": str(document.file_format),
        "rows": document.rows,
    }
    if document.file_format in PLAY_FORMATS:
        _import_rows(document, writer, tally)
    elif document.file_format is FileFormat.LIBRARY:
        entry["tracks_created"], track_ids = _library_store(document.library)
        entry["saves_recorded"] = _saved_tracks_record(history_import, track_ids)
    else:
        tally.skipped[_FILE_SKIP_REASON[document.file_format]] += 1
    tally.files.append(entry)


def _import_rows(document: ReadDocument, writer: PlayWriter, tally: _Tally) -> None:
    writer.add(document.plays, _PLAY_FORMAT_OF[document.file_format])
    tally.skipped.update(document.skipped)
    tally.rows_read += document.rows
    tally.play_rows += len(document.plays)


def _record_done(history_import: HistoryImport, tally: _Tally) -> None:
    plays_created = Play.objects.filter(history_import=history_import).count()
    history_import.rows_read = tally.rows_read
    history_import.plays_created = plays_created
    history_import.duplicates = tally.play_rows - plays_created
    history_import.skipped = {str(k): v for k, v in sorted(tally.skipped.items())}
    history_import.files = tally.files
    history_import.status = ImportStatus.DONE
    history_import.error = ""
    history_import.finished_at = timezone.now()
    history_import.save()


def _mark_failed_if_possible(history_import: HistoryImport, message: str) -> None:
    logger.exception("history import %s failed", history_import.pk)
    try:
        _mark_failed(history_import, message)
    except DatabaseError:
        logger.exception("could not record the failure of history import %s", history_import.pk)


def _mark_failed(history_import: HistoryImport, message: str) -> None:
    """Record the failure outside the import's (rolled back) transaction."""
    HistoryImport.objects.filter(pk=history_import.pk).update(
        status=ImportStatus.FAILED, error=message, finished_at=timezone.now()
    )
    history_import.refresh_from_db()


def _resolve(history_import: HistoryImport) -> None:
    """Offline resolution of the plays the writer could not match while storing them.

    Runs after every file is read, so saved tracks from a YourLibrary.json read late
    still count. Inside the import's transaction: an import that reads as done has
    its final resolved/unresolved counts.
    """
    plays_resolve(user_id=history_import.owner_id, history_import_id=history_import.pk)
    statuses = Counter(
        dict(
            Play.objects.filter(history_import=history_import)
            .order_by()
            .values("resolution_status")
            .annotate(n=Count("id"))
            .values_list("resolution_status", "n")
        )
    )
    history_import.resolved = statuses[ResolutionStatus.RESOLVED]
    history_import.unresolved = statuses[ResolutionStatus.UNRESOLVED]
    history_import.save(update_fields=["resolved", "unresolved"])


# --- YourLibrary.json --------------------------------------------------------------------


def _library_store(tracks: list[LibraryTrack]) -> tuple[int, list[int]]:
    """Track stubs and name-index keys for saved tracks; returns how many tracks are new
    and the stored ids of all of them.

    Tracks already known (from the catalog or another user's library) are left as they
    are, but still get the library's names in the name index: those are the names the
    account-data plays carry. The index keeps its first entry for a key.
    """
    if not tracks:
        return 0, []
    known = track_ids_by_spotify_id(spotify_ids=[t.spotify_id for t in tracks])
    now = timezone.now()
    new_tracks = [_library_track_stub(t, now) for t in tracks if t.spotify_id not in known]
    Track.objects.bulk_create(new_tracks, batch_size=500, ignore_conflicts=True)
    track_ids = track_ids_by_spotify_id(spotify_ids=[t.spotify_id for t in tracks])
    name_index_add(
        tracks=[
            _NamedLibraryTrack(
                id=track_ids[t.spotify_id], name=t.name, primary_artist=t.artist, artists=[]
            )
            for t in tracks
        ]
    )
    return len(new_tracks), sorted({track_ids[t.spotify_id] for t in tracks})


def _saved_tracks_record(history_import: HistoryImport, track_ids: list[int]) -> int:
    """Which tracks this user saved (a familiarity signal for their model); returns how
    many saves are new. A save already recorded keeps the import that first saw it; the
    per-user import lock means nothing else adds saves for this user meanwhile."""
    saves = SavedTrack.objects.filter(user_id=history_import.owner_id)
    before = saves.count()
    SavedTrack.objects.bulk_create(
        [
            SavedTrack(user_id=history_import.owner_id, track_id=i, history_import=history_import)
            for i in track_ids
        ],
        batch_size=500,
        ignore_conflicts=True,
    )
    return saves.count() - before


@dataclass(frozen=True, slots=True)
class _NamedLibraryTrack:
    """A saved track's names as exported, pointing at its stored Track (for the index)."""

    id: int
    name: str
    primary_artist: str
    artists: list[Any]


def _library_track_stub(track: LibraryTrack, now: datetime) -> Track:
    sources = {"name": "library", "artists": "library", "album_name": "library"}
    return Track(
        spotify_id=track.spotify_id,
        name=track.name,
        artists=[{"name": track.artist, "id": None}],
        primary_artist=track.artist,
        album_name=track.album,
        metadata_source="library",
        metadata_fetched_at=now,
        field_sources=sources,
    )


# --- uploads -----------------------------------------------------------------------------


def _check_upload_sizes(uploads: Sequence[UploadedFile]) -> None:
    limit = settings.MUSICFLOW_UPLOAD_MAX_BYTES
    total = sum(u.size or 0 for u in uploads)
    if total > limit:
        raise UploadTooLarge(
            f"the upload is {total} bytes, more than the {limit} accepted "
            "(MUSICFLOW_UPLOAD_MAX_BYTES)"
        )


@contextmanager
def _bundle(uploads: Sequence[UploadedFile]) -> Iterator[IO[bytes]]:
    """Several uploaded JSON files as one zip, members named after the uploads."""
    with tempfile.SpooledTemporaryFile(max_size=16 * 1024**2) as spool:
        with zipfile.ZipFile(spool, "w", compression=zipfile.ZIP_DEFLATED) as archive:
            used: set[str] = set()
            for index, upload in enumerate(uploads):
                name = _unique_member_name(upload.name or f"upload-{index}.json", used)
                with archive.open(name, "w") as member:
                    for chunk in upload.chunks():
                        member.write(chunk)
        spool.seek(0)
        yield spool


def _unique_member_name(name: str, used: set[str]) -> str:
    base = name.replace("\\", "/").rsplit("/", 1)[-1] or "upload.json"
    candidate, n = base, 1
    while candidate in used:
        n += 1
        candidate = f"{n}-{base}"
    used.add(candidate)
    return candidate


def _stored_upload_sources(history_import: HistoryImport) -> Iterator[Source]:
    """The stored upload's documents; a bundle of several uploads shows member names only."""
    limits = ReadLimits.from_settings()
    names = history_import.file_names or [history_import.upload.name]
    with history_import.upload.open("rb") as stored, _seekable(stored) as handle:
        yield from sources_from_file(
            fileobj=handle,
            name=names[0],
            limits=limits,
            label_members=len(names) == 1,
        )


@contextmanager
def _seekable(handle: IO[bytes]) -> Iterator[IO[bytes]]:
    """zipfile needs to seek; some storages hand back streams that cannot."""
    if handle.seekable():
        yield handle
        return
    with tempfile.SpooledTemporaryFile(max_size=16 * 1024**2) as spool:
        shutil.copyfileobj(handle, spool)
        spool.seek(0)
        yield spool
