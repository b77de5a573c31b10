"""Background resolution + enrichment jobs, driven against the fake external services."""

from __future__ import annotations

import itertools
import json
import time
from datetime import UTC, datetime, timedelta
from io import StringIO

import pytest
from django.core.management import call_command
from django.utils import timezone
from django_q.models import Schedule

from streams.enrichment.progress import enrichment_progress_for_user
from streams.enrichment.services import (
    RUN_TASK,
    enrichment_job_claim,
    enrichment_job_for_user,
    enrichment_request,
    enrichment_run,
    enrichment_schedules_install,
    enrichment_sweep,
)
from streams.models import (
    AUDIO_FEATURE_FIELDS,
    EnrichmentJob,
    EnrichmentStatus,
    HistoryImport,
    ImportStatus,
    NameSearch,
    Play,
    PlayFormat,
    ResolutionStatus,
    Track,
)
from streams.resolution.index import name_index_add
from tests_support.fakes import FakeTrack
from tests_support.queues import queued_tasks_drain

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("fast_http", "empty_task_queues")]

_n = itertools.count()


def play(user, *, track: str, artist: str, uri: str = "", ms: int = 180_000, **extra) -> Play:
    n = next(_n)
    return Play.objects.create(
        user=user,
        played_at=datetime(2024, 1, 1, tzinfo=UTC) + timedelta(minutes=n),
        ms_played=ms,
        track_name=track,
        artist_name=artist,
        spotify_track_uri=uri,
        source_format=PlayFormat.EXTENDED if uri else PlayFormat.ACCOUNT_DATA,
        dedupe_key=f"e{n}",
        **extra,
    )


def catalog_track(name: str, artist: str, spotify_id: str, **features) -> Track:
    values = dict.fromkeys(AUDIO_FEATURE_FIELDS, 0.5) | {"key": 1, "mode": 1, "time_signature": 4}
    track = Track.objects.create(
        spotify_id=spotify_id,
        name=name,
        primary_artist=artist,
        artists=[{"name": artist, "id": None}],
        field_sources=dict.fromkeys(AUDIO_FEATURE_FIELDS, "catalog"),
        raw_sources={"catalog": {"data": {}}},
        **(values | features),
    )
    name_index_add(tracks=[track])
    return track


def fake_by_name(fake_services, name: str) -> FakeTrack:
    return next(t for t in fake_services.tracks.values() if t.name == name)


@pytest.fixture
def history(user, fake_services):
    """Plays of every kind: a URI, a catalog name, a typo, a Spotify-only song, a miss."""
    heat = fake_by_name(fake_services, "Heat Waves")
    blinding = fake_by_name(fake_services, "Blinding Lights")
    catalog_track("Mr. Brightside", "The Killers", "K" * 22)
    for _ in range(3):
        play(user, track=heat.name, artist="Glass Animals", uri=heat.uri)
    play(user, track="Mr. Brightside", artist="The Killers")
    play(user, track="Mr. Brigthside", artist="The Killers")  # typo: fuzzy
    play(user, track="Blinding Lights", artist="The Weeknd", ms=200_000)
    play(user, track="Blinding Lights", artist="The Weeknd", ms=30_000)
    play(user, track="Nobody Knows This", artist="Nobody At All")
    return {"heat": heat, "blinding": blinding}


def run_to_end(job_id: int):
    outcome = enrichment_run(job_id=job_id, background=False)
    while outcome.more_work:
        outcome = enrichment_run(job_id=job_id, background=False)
    return outcome


def test_request_queues_a_run_only_after_the_import_commits(
    user, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks() as callbacks:
        enrichment_request(user_id=user.pk)
        assert not EnrichmentJob.objects.exists()

    for callback in callbacks:
        callback()

    job = EnrichmentJob.objects.get(user=user)
    assert job.status == EnrichmentStatus.QUEUED
    queued = queued_tasks_drain()
    assert [(t["func"], t["args"]) for t in queued] == [(RUN_TASK, (job.pk,))]


def test_a_second_request_reuses_the_active_job_and_bumps_its_generation(user):
    first, queue_first = enrichment_job_for_user(user_id=user.pk)
    second, queue_second = enrichment_job_for_user(user_id=user.pk)

    assert (queue_first, queue_second) == (True, False)
    assert second.pk == first.pk
    assert second.generation == first.generation + 1
    assert EnrichmentJob.objects.count() == 1


def test_a_full_run_resolves_every_kind_of_play_and_enriches_the_tracks(
    user, fake_services, history
):
    job, _ = enrichment_job_for_user(user_id=user.pk)

    outcome = run_to_end(job.pk)

    assert outcome.status == EnrichmentStatus.DONE
    plays = {p.track_name: p for p in Play.objects.filter(user=user).select_related("track")}
    assert plays["Mr. Brigthside"].track.spotify_id == "K" * 22
    assert plays["Blinding Lights"].track.spotify_id == history["blinding"].id
    assert plays["Nobody Knows This"].resolution_status == ResolutionStatus.UNRESOLVED
    assert plays["Nobody Knows This"].unresolved_reason == "no_spotify_match"
    assert NameSearch.objects.filter(key="nobody knows this|nobody at all").exists()
    assert fake_services.count("spotify.search") == 2, "one search per song, not per play"
    heat = Track.objects.get(spotify_id=history["heat"].id)
    assert heat.danceability == history["heat"].features["danceability"]
    assert heat.duration_ms == history["heat"].duration_ms
    progress = enrichment_progress_for_user(user_id=user.pk)
    assert (progress.plays_resolved, progress.plays_unresolved) == (7, 1)
    assert (progress.names_searched, progress.names_remaining) == (2, 0)
    assert (progress.tracks_done, progress.tracks_remaining) == (3, 0)
    assert progress.remaining == 0


def test_a_second_run_makes_no_request_and_changes_no_count(user, fake_services, history):
    job, _ = enrichment_job_for_user(user_id=user.pk)
    run_to_end(job.pk)
    before = enrichment_progress_for_user(user_id=user.pk)
    fake_services.clear_requests()

    job, _ = enrichment_job_for_user(user_id=user.pk)
    run_to_end(job.pk)

    after = enrichment_progress_for_user(user_id=user.pk)
    assert fake_services.count() == 0, "no search, no feature request, not even a token"
    assert (after.plays_resolved, after.tracks_done) == (before.plays_resolved, before.tracks_done)
    assert Track.objects.count() == 3


def test_finishing_requests_training(
    settings, user, fake_services, history, django_capture_on_commit_callbacks
):
    job, _ = enrichment_job_for_user(user_id=user.pk)

    with django_capture_on_commit_callbacks(execute=True):
        run_to_end(job.pk)

    training = queued_tasks_drain(cluster=settings.MUSICFLOW_TRAINING_CLUSTER)
    assert [task["kwargs"].get("site_default") for task in training] == [False]
    assert [task["args"] for task in training] == [(user.pk,)]


def test_a_long_429_leaves_the_worker_at_once_and_schedules_the_retry(
    user, fake_services, history
):
    # Development mode: Spotify has no audio features, so the work waits for ReccoBeats.
    fake_services.development_mode()
    fake_services.rate_limit("reccobeats.audio_features", retry_after=3600, times=None)
    job, _ = enrichment_job_for_user(user_id=user.pk)

    started = time.monotonic()
    outcome = enrichment_run(job_id=job.pk)
    elapsed = time.monotonic() - started

    assert elapsed < 1.0
    job.refresh_from_db()
    assert outcome.status == job.status == EnrichmentStatus.WAITING
    assert abs((job.next_retry_at - timezone.now()).total_seconds() - 3600) < 5
    schedule = Schedule.objects.get(func=RUN_TASK)
    assert (schedule.schedule_type, schedule.next_run) == (Schedule.ONCE, job.next_retry_at)
    assert eval(schedule.args) == (job.pk,)
    progress = enrichment_progress_for_user(user_id=user.pk)
    assert progress.next_retry_at == job.next_retry_at
    assert progress.tracks_remaining > 0


def test_a_run_that_outlives_its_slice_saves_progress_and_queues_its_continuation(
    settings, user, fake_services, history, django_capture_on_commit_callbacks
):
    settings.MUSICFLOW_ENRICHMENT_SLICE_SECONDS = 0
    job, _ = enrichment_job_for_user(user_id=user.pk)

    with django_capture_on_commit_callbacks(execute=True):
        outcome = enrichment_run(job_id=job.pk)

    job.refresh_from_db()
    assert outcome.more_work and job.status == EnrichmentStatus.QUEUED
    assert [t["args"] for t in queued_tasks_drain()] == [(job.pk,)]
    assert job.remaining > 0
    settings.MUSICFLOW_ENRICHMENT_SLICE_SECONDS = 60
    assert run_to_end(job.pk).status == EnrichmentStatus.DONE


def test_without_spotify_credentials_the_spotify_steps_are_skipped_and_said_so(
    settings, user, fake_services, history
):
    settings.SPOTIFY_CLIENT_ID = ""
    job, _ = enrichment_job_for_user(user_id=user.pk)

    run_to_end(job.pk)

    progress = enrichment_progress_for_user(user_id=user.pk)
    assert any("Spotify search skipped" in note for note in progress.notes)
    assert any("Spotify not configured" in note for note in progress.notes)
    assert set(fake_services.counts()) == {"reccobeats.audio_features"}
    reasons = set(
        Play.objects.filter(resolution_status="unresolved").values_list(
            "unresolved_reason", flat=True
        )
    )
    assert reasons == {"no_offline_match"}
    assert progress.status == EnrichmentStatus.DONE


def test_import_reports_are_recounted_after_background_resolution(user, fake_services, history):
    history_import = HistoryImport.objects.create(
        owner=user, status=ImportStatus.DONE, resolved=4, unresolved=4
    )
    Play.objects.filter(user=user).update(history_import=history_import)
    job, _ = enrichment_job_for_user(user_id=user.pk)

    run_to_end(job.pk)

    history_import.refresh_from_db()
    assert (history_import.resolved, history_import.unresolved) == (7, 1)


def test_a_job_whose_worker_died_is_taken_over_once_its_heartbeat_is_stale(settings, user):
    job, _ = enrichment_job_for_user(user_id=user.pk)
    assert enrichment_job_claim(job_id=job.pk) is not None
    assert enrichment_job_claim(job_id=job.pk) is None, "a live run is never taken over"
    EnrichmentJob.objects.filter(pk=job.pk).update(
        heartbeat_at=timezone.now()
        - timedelta(seconds=settings.MUSICFLOW_ENRICHMENT_STALE_SECONDS + 1)
    )

    swept = enrichment_sweep()

    assert swept == [job.pk]
    assert enrichment_job_claim(job_id=job.pk) is not None


def test_the_sweep_schedule_installs_once(db):
    assert enrichment_schedules_install() is True
    assert enrichment_schedules_install() is False
    assert Schedule.objects.filter(name="musicflow-enrichment-sweep").count() == 1


def test_enrich_command_runs_in_the_foreground_and_prints_json(user, fake_services, history):
    out = StringIO()

    call_command("enrich", "--user", user.username, "--json", stdout=out)

    summary = json.loads(out.getvalue())
    assert summary["status"] == "done"
    assert (summary["plays_resolved"], summary["plays_unresolved"]) == (7, 1)
    assert (summary["tracks_done"], summary["tracks_remaining"]) == (3, 0)
    assert queued_tasks_drain() == [], "the command queued no background run"
