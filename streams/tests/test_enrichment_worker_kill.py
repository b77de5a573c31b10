"""Kill a real ``manage.py qcluster`` in the middle of an enrichment, start it again, and
the job finishes once: no duplicate rows, exact counts, no request repeated except the
one that was in flight.

The cluster shares this test's database and broker (``live_stack``: SQLite file + ORM
broker, or PostgreSQL + Redis) and talks to the fake services over 127.0.0.1. With Redis
the killed task is never handed out again: the enrichment sweep finds the job by its
stale heartbeat.
"""

from __future__ import annotations

import math
from io import StringIO

import pytest
from django.core.management import call_command
from django.db.models import Q

from streams.models import EnrichmentJob, EnrichmentStatus, Play, ResolutionStatus, Track
from tests_support.fakes import FakeMusicServices, generate_catalog
from tests_support.scenarios import enrichment_scenario

pytestmark = pytest.mark.slow

TRACKS = 120
SEED = 5
# Each answer takes this long, so the kill surely lands while the second batch is in flight.
SLOW_SECONDS = 1.0
# tests_support.live_settings: a running job whose heartbeat is this old lost its worker.
STALE_SECONDS = 3.0


def test_killing_the_worker_mid_enrichment_then_restarting_completes_the_job_exactly_once(
    live_stack, fake_services_running: FakeMusicServices
):
    fake = fake_services_running
    fake.reset()
    fake.load(generate_catalog(count=TRACKS, seed=SEED))
    for endpoint in ("reccobeats.audio_features", "spotify.tracks", "spotify.audio_features"):
        fake.slow(endpoint, seconds=SLOW_SECONDS, times=None)
    job_id = enrichment_scenario(username="killed", tracks=TRACKS, seed=SEED)
    call_command("setup_schedules", stdout=StringIO())
    sources = {**fake.environ(), "MUSICFLOW_FEATURE_SOURCES": "catalog,reccobeats,spotify"}

    cluster = live_stack.qcluster(**sources)
    live_stack.wait_for(
        lambda: fake.count("reccobeats.audio_features") >= 2,
        timeout=30,
        what="the second ReccoBeats batch to be in flight",
    )
    cluster.kill()

    killed = EnrichmentJob.objects.get(pk=job_id)
    assert killed.status == EnrichmentStatus.RUNNING, "the killed run left its job behind"
    answered = Track.objects.filter(raw_sources__has_key="reccobeats")
    assert answered.count() == 40, "only the first batch was stored"

    live_stack.qcluster(**sources)
    live_stack.sleep_until_stale(killed.heartbeat_at, seconds=STALE_SECONDS)
    live_stack.wait_for(
        lambda: EnrichmentJob.objects.get(pk=job_id).status == EnrichmentStatus.DONE,
        timeout=45,
        what="the restarted cluster to finish the job",
        tick_scheduler=True,
    )

    assert Track.objects.count() == TRACKS
    assert Track.objects.values("spotify_id").distinct().count() == TRACKS
    assert EnrichmentJob.objects.count() == 1
    job = EnrichmentJob.objects.get()
    assert (job.plays_resolved, job.plays_unresolved, job.tracks_done, job.tracks_remaining) == (
        TRACKS,
        0,
        TRACKS,
        0,
    )
    assert Play.objects.filter(resolution_status=ResolutionStatus.RESOLVED).count() == TRACKS
    incomplete = (
        Q(danceability__isnull=True)
        | Q(time_signature__isnull=True)
        | Q(duration_ms__isnull=True)
        | Q(popularity__isnull=True)
    )
    assert not Track.objects.filter(incomplete).exists()
    # Only the batch that was in flight when the worker died was asked twice.
    assert fake.count("reccobeats.audio_features") == math.ceil(TRACKS / 40) + 1
    assert fake.count("spotify.tracks") == math.ceil(TRACKS / 50)
    assert fake.count("spotify.audio_features") == math.ceil(TRACKS / 100)
