"""Background resolution + enrichment of a user's plays and tracks (django-q2).

Flow: the import service calls ``enrichment_request(user_id=...)`` inside its
transaction; after commit the user's job (one active job per user, enforced by the
database) is created or woken and a run is queued. A run

1. resolves the user's pending and unresolved plays: URI, name index, fuzzy catalog
   match, then Spotify search (skipped, and said so, without credentials);
2. runs the feature-source chain over the user's tracks;
3. saves progress (done / remaining / next retry time) after every batch.

Every write is idempotent and committed per batch, so a run killed at any point is
resumed by the next one without duplicates. A run stops after
MUSICFLOW_ENRICHMENT_SLICE_SECONDS and queues its continuation (the worker is never
held longer than a slice, far below the cluster's timeout). A 429 never sleeps: the
job waits in status "waiting" and a one-off django-q2 Schedule runs it at the
Retry-After time. When nothing is left the job is done and training is requested.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Count, F, Q, QuerySet
from django.db.models.functions import Coalesce
from django.utils import timezone
from django_q.models import Schedule
from django_q.tasks import async_task

from streams.clients.spotify import SpotifyClient, spotify_configured
from streams.models import (
    ACTIVE_ENRICHMENT_STATUSES,
    EnrichmentJob,
    EnrichmentStatus,
    HistoryImport,
    ImportStatus,
    Play,
    ResolutionStatus,
    Track,
)
from streams.resolution.fuzzy import FuzzyCatalogStep
from streams.resolution.offline import offline_steps
from streams.resolution.service import plays_resolve
from streams.resolution.spotify_search import (
    REASON_RATE_LIMITED,
    REASON_SEARCH_FAILED,
    REASON_SEARCH_PENDING,
    SpotifySearchStep,
)
from streams.sources.base import FeatureSource
from streams.sources.chain import (
    EnrichReport,
    sources_from_settings,
    tracks_enrich,
    tracks_pending,
)

logger = logging.getLogger(__name__)

RUN_TASK = "streams.tasks.enrichment_run_task"
# Unresolved plays still waiting for a Spotify search (the others have their answer).
SEARCH_LEFT_REASONS = (REASON_SEARCH_PENDING, REASON_RATE_LIMITED, REASON_SEARCH_FAILED)
# Progress (and the heartbeat) is saved after a batch at most this often.
PROGRESS_INTERVAL_SECONDS = 1.0
SEARCH_SKIPPED = "Spotify search skipped: Spotify is not configured (SPOTIFY_CLIENT_ID is empty)"


@dataclass
class RunOutcome:
    """How one run ended: ``status`` is the job's status afterwards."""

    job_id: int
    status: str
    more_work: bool = False
    next_retry_at: datetime | None = None
    notes: list[str] = field(default_factory=list)


# --- requesting work --------------------------------------------------------------------


def enrichment_request(*, user_id: int) -> None:
    """Queue resolution + enrichment for the user once the caller's transaction commits."""
    # robust: the caller's work is committed either way; a job that could not be queued
    # stays "queued" and the enrichment sweep queues it once the broker is back.
    transaction.on_commit(lambda: enrichment_queue(user_id=user_id), robust=True)


def enrichment_queue(*, user_id: int) -> EnrichmentJob:
    """Create or wake the user's job and queue a run (prefer ``enrichment_request``)."""
    job, queue_run = enrichment_job_for_user(user_id=user_id)
    if queue_run:
        async_task(RUN_TASK, job.pk, task_name=f"enrich-user-{user_id}-job-{job.pk}")
    return job


def enrichment_job_for_user(*, user_id: int) -> tuple[EnrichmentJob, bool]:
    """The user's active job (created if none), and whether a run must be queued for it.

    An active job gets its ``generation`` bumped, which tells a running run that new
    work arrived after it started (it loops instead of finishing); a waiting job is
    woken, since sources other than the rate-limited one may have work to do.
    """
    while True:
        job = EnrichmentJob.objects.filter(
            user_id=user_id, status__in=ACTIVE_ENRICHMENT_STATUSES
        ).first()
        if job is None:
            try:
                with transaction.atomic():
                    return EnrichmentJob.objects.create(user_id=user_id), True
            except IntegrityError:
                continue  # another request created it first
        bumped = EnrichmentJob.objects.filter(
            pk=job.pk, status__in=ACTIVE_ENRICHMENT_STATUSES
        ).update(generation=F("generation") + 1)
        if not bumped:
            continue  # it finished meanwhile: start a new one
        woken = EnrichmentJob.objects.filter(pk=job.pk, status=EnrichmentStatus.WAITING).update(
            status=EnrichmentStatus.QUEUED
        )
        job.refresh_from_db()
        return job, bool(woken)


# --- running --------------------------------------------------------------------------


def enrichment_job_claim(*, job_id: int) -> EnrichmentJob | None:
    """Take the job for this worker (compare-and-set); None if someone else runs it.

    A running job whose heartbeat is older than MUSICFLOW_ENRICHMENT_STALE_SECONDS
    lost its worker (killed, restarted) and may be taken over.
    """
    now = timezone.now()
    stale = now - timedelta(seconds=settings.MUSICFLOW_ENRICHMENT_STALE_SECONDS)
    claimable = Q(status__in=[EnrichmentStatus.QUEUED, EnrichmentStatus.WAITING]) | Q(
        status=EnrichmentStatus.RUNNING, heartbeat_at__lt=stale
    )
    claimed = EnrichmentJob.objects.filter(claimable, pk=job_id).update(
        status=EnrichmentStatus.RUNNING,
        heartbeat_at=now,
        started_at=Coalesce(F("started_at"), now),
        runs=F("runs") + 1,
        next_retry_at=None,
    )
    return EnrichmentJob.objects.get(pk=job_id) if claimed else None


def enrichment_run(*, job_id: int, background: bool = True) -> RunOutcome:
    """One slice of work on a claimed job (claims it first).

    ``background``: queue the continuation as a new task; otherwise the caller (the
    ``enrich`` command) loops while ``more_work`` is set.
    """
    job = enrichment_job_claim(job_id=job_id)
    if job is None:
        status = EnrichmentJob.objects.filter(pk=job_id).values_list("status", flat=True).first()
        return RunOutcome(job_id=job_id, status=status or "missing")
    generation = job.generation
    deadline = time.monotonic() + settings.MUSICFLOW_ENRICHMENT_SLICE_SECONDS
    try:
        outcome = _work(job, deadline=deadline)
    except Exception as exc:
        EnrichmentJob.objects.filter(pk=job.pk).update(
            status=EnrichmentStatus.FAILED,
            error=f"{type(exc).__name__}: {exc}"[:5000],
            finished_at=timezone.now(),
        )
        raise
    return _finish(job, generation=generation, outcome=outcome, background=background)


def _work(job: EnrichmentJob, *, deadline: float) -> RunOutcome:
    outcome = RunOutcome(job_id=job.pk, status=EnrichmentStatus.RUNNING)
    spotify = SpotifyClient.from_settings() if spotify_configured() else None
    search = _resolve(job, deadline=deadline, outcome=outcome, spotify=spotify)
    out_of_time = time.monotonic() >= deadline
    sources = sources_from_settings(spotify=spotify)
    enrich = EnrichReport()
    if not out_of_time:
        saved_at = [time.monotonic()]

        def on_batch(_report: EnrichReport) -> None:
            # Recounting costs a few queries; single-track batches come every few ms.
            if time.monotonic() - saved_at[0] >= PROGRESS_INTERVAL_SECONDS:
                enrichment_progress_save(job_id=job.pk, sources=sources)
                saved_at[0] = time.monotonic()

        enrich = tracks_enrich(
            tracks=user_tracks(user_id=job.user_id),
            sources=sources,
            deadline=deadline,
            on_batch=on_batch,
        )
        outcome.notes.extend(enrich.notes)
        for source, failed in enrich.failed_batches.items():
            outcome.notes.append(f"{source}: {failed} batch(es) failed; retried by the next run")
    progress = enrichment_progress_save(job_id=job.pk, sources=sources, notes=outcome.notes)
    retry_times = [t for t in (search, enrich.next_retry_at) if t is not None]
    outcome.next_retry_at = min(retry_times) if retry_times else None
    outcome.more_work = (out_of_time or enrich.out_of_time) and progress.remaining > 0
    if progress.remaining == 0:
        outcome.next_retry_at = None
    return outcome


def _search_enabled() -> bool:
    return spotify_configured() and "spotify" in settings.MUSICFLOW_FEATURE_SOURCES


def _resolve(
    job: EnrichmentJob, *, deadline: float, outcome: RunOutcome, spotify: SpotifyClient | None
) -> datetime | None:
    """Resolution step of a run; returns the search's retry time if it was rate-limited."""
    steps = [*offline_steps(), FuzzyCatalogStep()]
    search = None
    if spotify is not None and _search_enabled():
        search = SpotifySearchStep(
            client=spotify,
            deadline=deadline,
            on_searched=lambda: EnrichmentJob.objects.filter(pk=job.pk).update(
                names_searched=F("names_searched") + 1, heartbeat_at=timezone.now()
            ),
        )
        steps.append(search)
    elif spotify is None:
        outcome.notes.append(SEARCH_SKIPPED)
    else:
        outcome.notes.append(
            "Spotify search skipped: 'spotify' is not in MUSICFLOW_FEATURE_SOURCES"
        )
    plays_resolve(user_id=job.user_id, steps=steps)
    history_imports_recount(user_id=job.user_id)
    if search is None:
        return None
    outcome.notes.extend(search.notes)
    return search.rate_limited_until


def _finish(
    job: EnrichmentJob, *, generation: int, outcome: RunOutcome, background: bool
) -> RunOutcome:
    if outcome.more_work:
        _set_status(job.pk, EnrichmentStatus.QUEUED)
        if background:
            transaction.on_commit(lambda: async_task(RUN_TASK, job.pk))
        outcome.status = EnrichmentStatus.QUEUED
        return outcome
    if outcome.next_retry_at is not None:
        _set_status(job.pk, EnrichmentStatus.WAITING, next_retry_at=outcome.next_retry_at)
        enrichment_schedule_retry(job_id=job.pk, at=outcome.next_retry_at)
        outcome.status = EnrichmentStatus.WAITING
        return outcome
    finished = EnrichmentJob.objects.filter(
        pk=job.pk, status=EnrichmentStatus.RUNNING, generation=generation
    ).update(status=EnrichmentStatus.DONE, finished_at=timezone.now(), next_retry_at=None)
    if not finished:
        # New work was requested while this run went on: go round again.
        outcome.more_work = True
        return _finish(job, generation=generation, outcome=outcome, background=background)
    outcome.status = EnrichmentStatus.DONE
    _training_request(user_id=job.user_id)
    return outcome


def _set_status(job_id: int, status: str, *, next_retry_at: datetime | None = None) -> None:
    EnrichmentJob.objects.filter(pk=job_id, status=EnrichmentStatus.RUNNING).update(
        status=status, next_retry_at=next_retry_at, heartbeat_at=timezone.now()
    )


def enrichment_schedule_retry(*, job_id: int, at: datetime) -> Schedule:
    """A one-off django-q2 schedule that runs the job again at ``at`` (never a sleep)."""
    return Schedule.objects.create(
        name=f"enrichment-retry-{job_id}-{int(at.timestamp())}"[:100],
        func=RUN_TASK,
        args=repr((job_id,)),
        schedule_type=Schedule.ONCE,
        next_run=at,
        repeats=-1,  # a ONCE schedule with negative repeats deletes itself once run
    )


def _training_request(*, user_id: int) -> None:
    try:
        from predictor.services import training_request
    except ImportError:  # the predictor app is optional for this step
        logger.info("enrichment done for user %s; no predictor to train", user_id)
        return
    training_request(user_id=user_id)


# --- progress -------------------------------------------------------------------------


def user_tracks(*, user_id: int) -> QuerySet[Track]:
    played = Play.objects.filter(user_id=user_id, track__isnull=False).values("track_id")
    return Track.objects.filter(id__in=played)


@dataclass(frozen=True)
class Progress:
    done: int
    remaining: int


def history_imports_recount(*, user_id: int) -> None:
    """Keep each finished import's resolved/unresolved counts true after background
    resolution changed them."""
    counts = (
        Play.objects.filter(user_id=user_id, history_import__status=ImportStatus.DONE)
        .values("history_import_id")
        .annotate(
            resolved=Count("id", filter=Q(resolution_status=ResolutionStatus.RESOLVED)),
            unresolved=Count("id", filter=Q(resolution_status=ResolutionStatus.UNRESOLVED)),
        )
    )
    for row in counts:
        HistoryImport.objects.filter(pk=row["history_import_id"]).exclude(
            resolved=row["resolved"], unresolved=row["unresolved"]
        ).update(resolved=row["resolved"], unresolved=row["unresolved"])


def enrichment_progress_save(
    *, job_id: int, sources: list[FeatureSource], notes: list[str] | None = None
) -> Progress:
    """Recount the job's progress from the database (exact after any crash) and beat."""
    job = EnrichmentJob.objects.only("user_id").get(pk=job_id)
    plays = Play.objects.filter(user_id=job.user_id)
    unresolved = plays.filter(resolution_status=ResolutionStatus.UNRESOLVED)
    names_left = 0
    if _search_enabled():
        names_left = (
            unresolved.filter(unresolved_reason__in=SEARCH_LEFT_REASONS)
            .values("track_name", "artist_name")
            .distinct()
            .count()
        )
    tracks = user_tracks(user_id=job.user_id)
    tracks_left = tracks_pending(tracks=tracks, sources=sources).count()
    values = {
        "plays_resolved": plays.filter(resolution_status=ResolutionStatus.RESOLVED).count(),
        "plays_unresolved": unresolved.count(),
        "names_remaining": names_left,
        "tracks_remaining": tracks_left,
        "tracks_done": tracks.count() - tracks_left,
        "heartbeat_at": timezone.now(),
    }
    if notes is not None:
        values["notes"] = list(dict.fromkeys(notes))
    EnrichmentJob.objects.filter(pk=job_id).update(**values)
    return Progress(done=values["tracks_done"], remaining=names_left + tracks_left)


# --- safety net -----------------------------------------------------------------------

SWEEP_TASK = "streams.tasks.enrichment_sweep_task"
SWEEP_SCHEDULE = "musicflow-enrichment-sweep"


def enrichment_sweep() -> list[int]:
    """Queue a run for every job that lost its worker or its wake-up.

    Covers what the broker cannot: a worker killed mid-run (heartbeat gone stale), a
    queued task lost with a broker that does not redeliver (Redis), a retry schedule
    deleted by hand. Queuing twice is harmless: only one run claims the job.
    """
    now = timezone.now()
    stale = now - timedelta(seconds=settings.MUSICFLOW_ENRICHMENT_STALE_SECONDS)
    lost = (
        Q(status=EnrichmentStatus.RUNNING, heartbeat_at__lt=stale)
        | Q(status=EnrichmentStatus.QUEUED, created_at__lt=stale)
        & (Q(heartbeat_at__isnull=True) | Q(heartbeat_at__lt=stale))
        | Q(status=EnrichmentStatus.WAITING, next_retry_at__lte=now)
    )
    job_ids = list(EnrichmentJob.objects.filter(lost).values_list("pk", flat=True))
    for job_id in job_ids:
        async_task(RUN_TASK, job_id, task_name=f"enrich-sweep-job-{job_id}")
    return job_ids


def enrichment_schedules_install() -> bool:
    """Install (idempotently) the 5-minute sweep schedule; True if it was created."""
    _, created = Schedule.objects.update_or_create(
        name=SWEEP_SCHEDULE,
        defaults={
            "func": SWEEP_TASK,
            "schedule_type": Schedule.MINUTES,
            "minutes": 5,
            "repeats": -1,
        },
    )
    return created
