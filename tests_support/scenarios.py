"""Data set-ups run inside subprocesses (``manage.py shell -c``) by fault tests."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from django.contrib.auth import get_user_model

from streams.enrichment.services import enrichment_queue
from streams.models import Play, PlayFormat
from tests_support.fakes import generate_catalog


def enrichment_scenario(*, username: str, tracks: int, seed: int) -> int:
    """A user with one play per fake-catalog track (URIs only, no Track rows yet) and
    a queued enrichment job; returns the job id."""
    user = get_user_model().objects.create_user(username=username)
    start = datetime(2024, 1, 1, tzinfo=UTC)
    Play.objects.bulk_create(
        Play(
            user=user,
            played_at=start + timedelta(minutes=index),
            ms_played=120_000,
            track_name=fake.name,
            artist_name=fake.artists[0].name,
            album_name=fake.album_name,
            spotify_track_uri=fake.uri,
            source_format=PlayFormat.EXTENDED,
            dedupe_key=f"scenario-{index}",
        )
        for index, fake in enumerate(generate_catalog(count=tracks, seed=seed))
    )
    return enrichment_queue(user_id=user.pk).pk
