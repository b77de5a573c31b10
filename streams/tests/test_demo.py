"""The offline demo: labelled synthetic data with signal, loaded once, then left alone."""

from __future__ import annotations

import io
from collections import Counter

import pytest
from django.contrib.auth import authenticate, get_user_model
from django.core.management import call_command
from scipy.stats import spearmanr

from streams.models import HistoryImport, Play, PlayFormat, ResolutionStatus, Track
from streams.services.demo import (
    ARTIST_COUNT,
    DEMO_HISTORY_NAME,
    TRACKS_PER_ARTIST,
    _tastes,
    demo_catalog_tracks,
    demo_load,
    expected_streams,
)

pytestmark = pytest.mark.django_db

CATALOG_SIZE = ARTIST_COUNT * TRACKS_PER_ARTIST


def test_demo_creates_a_user_whose_password_works_once_shown() -> None:
    report = demo_load()

    assert report.user_created and report.password
    assert authenticate(username="demo", password=report.password) is not None


def test_demo_catalog_is_synthetic_labelled_and_complete() -> None:
    demo_load()

    tracks = Track.objects.filter(is_synthetic=True)
    assert tracks.count() == Track.objects.count() == CATALOG_SIZE == 400
    assert all(t.name.startswith("Demo Song ") for t in tracks)
    assert {t.primary_artist for t in tracks} == {f"Demo Artist {n:02d}" for n in range(1, 41)}
    assert all(t.has_features and t.tempo and t.time_signature for t in tracks)
    assert set(tracks.values_list("metadata_source", "features_source")) == {("demo", "demo")}
    assert tracks.filter(spotify_id__isnull=False).count() == 0


def test_demo_catalog_is_the_same_on_every_machine() -> None:
    first = [(t.name, t.primary_artist, t.danceability, t.tempo) for t in demo_catalog_tracks()]
    second = [(t.name, t.primary_artist, t.danceability, t.tempo) for t in demo_catalog_tracks()]

    assert first == second
    assert first[41] == ("Demo Song 042", "Demo Artist 05", first[41][2], first[41][3])


def test_demo_history_is_labelled_and_resolved_to_the_synthetic_catalog() -> None:
    report = demo_load()

    history = HistoryImport.objects.get(pk=report.history_import_id)
    assert (history.file_names, history.status) == ([DEMO_HISTORY_NAME], "done")
    plays = Play.objects.filter(user__username="demo")
    assert plays.count() == report.plays_created == history.plays_created == history.resolved
    assert set(plays.values_list("source_format", flat=True)) == {PlayFormat.SYNTHETIC}
    assert set(plays.values_list("resolution_status", flat=True)) == {ResolutionStatus.RESOLVED}
    assert not plays.filter(track__is_synthetic=False).exists()
    assert plays.filter(ms_played__lt=30_000).exists()  # some early skips, as in real life


def test_demo_stream_counts_follow_features_and_artists() -> None:
    demo_load()
    streams = Counter(
        Play.objects.filter(user__username="demo", ms_played__gte=30_000).values_list(
            "track__name", flat=True
        )
    )
    tastes = _tastes()
    tracks = list(Track.objects.filter(is_synthetic=True))

    counts = [streams.get(t.name, 0) for t in tracks]
    expected = [expected_streams(t, taste=tastes[t.primary_artist]) for t in tracks]
    by_danceability = [t.danceability for t in tracks]

    assert spearmanr(counts, expected).statistic > 0.7
    assert spearmanr(counts, by_danceability).statistic > 0.2
    never_played = sum(1 for c in counts if c == 0)
    assert 40 < never_played < 200  # zero-stream tracks exist for the model to learn from


def test_running_the_demo_twice_changes_nothing() -> None:
    demo_load()
    user = get_user_model().objects.get(username="demo")
    before = (
        user.password,
        list(Track.objects.order_by("id").values_list("id", "updated_at")),
        list(Play.objects.order_by("id").values_list("id", "track_id", "resolve_attempts")),
        HistoryImport.objects.count(),
    )

    again = demo_load()

    user.refresh_from_db()
    after = (
        user.password,
        list(Track.objects.order_by("id").values_list("id", "updated_at")),
        list(Play.objects.order_by("id").values_list("id", "track_id", "resolve_attempts")),
        HistoryImport.objects.count(),
    )
    assert after == before
    assert (again.user_created, again.password, again.tracks_created, again.plays_created) == (
        False,
        None,
        0,
        0,
    )


def test_the_demo_leaves_other_users_alone(user) -> None:
    Play.objects.create(
        user=user,
        played_at="2024-02-01T10:00:00Z",
        ms_played=200_000,
        track_name="Demo Song 001",
        artist_name="Demo Artist 01",
        source_format=PlayFormat.ACCOUNT_DATA,
        dedupe_key="x",
    )

    demo_load()

    assert Play.objects.get(user=user).resolution_status == ResolutionStatus.PENDING


def test_command_prints_the_password_only_when_it_creates_the_user() -> None:
    first, second = io.StringIO(), io.StringIO()

    call_command("demo", "--no-train", stdout=first)
    call_command("demo", "--no-train", stdout=second)

    assert "created user 'demo' with password " in first.getvalue()
    assert "400 tracks created" in first.getvalue()
    assert "password" in first.getvalue() and "password unchanged" in second.getvalue()
    assert "0 tracks created, 400 in all" in second.getvalue()
    assert "synthetic history: already loaded" in second.getvalue()


def test_command_trains_the_demo_and_site_default_models_once(settings) -> None:
    from predictor.models import ModelVersion

    settings.MUSICFLOW_TRAINING_GRID = "quick"
    first, second = io.StringIO(), io.StringIO()

    call_command("demo", stdout=first)
    call_command("demo", stdout=second)

    versions = ModelVersion.objects.all()
    assert versions.count() == 2
    assert {v.owner.username if v.owner else None for v in versions} == {"demo", None}
    assert all(v.is_active for v in versions)
    assert "demo's model: version 1 trained (active)" in first.getvalue()
    assert "site default model: exists, not retrained" in second.getvalue()
