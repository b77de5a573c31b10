"""A source answering 429 with a Retry-After of a day while enriching one user's tracks:
that job waits (a one-off schedule, never a sleeping worker) and another user's import
and enrichment, queued behind it on a cluster with a single worker, still complete.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from django_q.models import Schedule

from predictor.tests.factories import catalog_create
from streams.enrichment.services import RUN_TASK
from streams.models import (
    EnrichmentJob,
    EnrichmentStatus,
    HistoryImport,
    ImportStatus,
    Play,
    ResolutionStatus,
)
from streams.services.history_import import history_import_create
from tests_support.fakes import generate_catalog
from tests_support.histories import TrackRef, extended_history
from tests_support.scenarios import enrichment_scenario

pytestmark = [pytest.mark.slow]

RETRY_AFTER_SECONDS = 24 * 3600
LIMITED_TRACKS = 40
SEED = 17
IMPORT_ROWS = 2_000


def test_a_day_long_retry_after_for_one_user_does_not_hold_up_another_users_work(
    live_stack, fake_services_running, other_user
):
    fake = fake_services_running
    fake.reset()
    fake.load(generate_catalog(count=LIMITED_TRACKS, seed=SEED))
    fake.rate_limit("reccobeats.audio_features", retry_after=RETRY_AFTER_SECONDS, times=None)
    # Queued first: with one worker, the rate-limited job is in front of the other user's.
    limited_job = enrichment_scenario(username="limited", tracks=LIMITED_TRACKS, seed=SEED)

    library = catalog_create(rows=60)
    history = extended_history(
        rows=IMPORT_ROWS,
        tag="other",
        tracks=[
            TrackRef(t.name, t.primary_artist, t.album_name, t.spotify_id) for t in library.tracks
        ],
    )
    upload = SimpleUploadedFile(history.name, history.data, "application/json")
    other_import = history_import_create(owner=other_user, uploads=[upload]).pk

    # ReccoBeats from the fakes; no Spotify, so the 429 is the only way forward.
    live_stack.qcluster(
        RECCOBEATS_API_URL=fake.reccobeats_api_url,
        MUSICFLOW_FEATURE_SOURCES="catalog,reccobeats",
        Q_WORKERS="1",
    )

    def other_users_work_done() -> bool:
        imported = HistoryImport.objects.get(pk=other_import).status == ImportStatus.DONE
        jobs = EnrichmentJob.objects.filter(user=other_user, status=EnrichmentStatus.DONE)
        return imported and jobs.exists()

    live_stack.wait_for(
        other_users_work_done,
        timeout=90,
        what="the other user's import and enrichment to finish",
    )

    waiting = EnrichmentJob.objects.get(pk=limited_job)
    assert waiting.status == EnrichmentStatus.WAITING, (waiting.status, waiting.error)
    expected_retry = timezone.now() + timedelta(seconds=RETRY_AFTER_SECONDS)
    assert abs(waiting.next_retry_at - expected_retry) < timedelta(minutes=5)
    retry = Schedule.objects.get(func=RUN_TASK, schedule_type=Schedule.ONCE)
    assert retry.args == repr((limited_job,))
    assert abs(retry.next_run - waiting.next_retry_at) < timedelta(seconds=1)
    # The 429 was taken at face value: asked once, not retried in a loop.
    assert fake.count("reccobeats.audio_features") == 1

    done = HistoryImport.objects.get(pk=other_import)
    assert (done.plays_created, done.duplicates) == (history.plays, 0)
    other_plays = Play.objects.filter(user=other_user)
    assert other_plays.count() == history.plays
    assert not other_plays.exclude(resolution_status=ResolutionStatus.RESOLVED).exists()
    # The other user's job started after the limited one had been parked.
    other_job = EnrichmentJob.objects.get(user=other_user)
    assert other_job.started_at > waiting.started_at
