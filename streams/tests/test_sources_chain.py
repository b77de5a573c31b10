"""The feature-source chain against the fake Spotify and ReccoBeats servers."""

from __future__ import annotations

import math
import socket
import time
from datetime import timedelta

import pytest
from django.utils import timezone

from streams.models import AUDIO_FEATURE_FIELDS, SourceCapability, SourceRateLimit, Track
from streams.sources.chain import sources_from_settings, tracks_enrich, tracks_pending
from tests_support.fakes import FakeTrack, generate_catalog

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("fast_http")]


def stub(fake: FakeTrack) -> Track:
    """A track as history import leaves it: Spotify id and the exported names only."""
    artist = fake.artists[0].name
    return Track.objects.create(
        spotify_id=fake.id,
        name=fake.name,
        artists=[{"name": artist, "id": None}],
        primary_artist=artist,
        album_name=fake.album_name,
        metadata_source="history",
        field_sources={"name": "history", "artists": "history", "album_name": "history"},
        raw_sources={"history": {"fetched_at": "2024-01-01T00:00:00+00:00", "data": {}}},
    )


@pytest.fixture
def catalog(fake_services):
    def load(count: int, *, reccobeats_share: float = 1.0) -> list[FakeTrack]:
        fakes = generate_catalog(count=count, seed=11, reccobeats_share=reccobeats_share)
        fake_services.load(fakes)
        for fake in fakes:
            stub(fake)
        return fakes

    return load


def enrich():
    return tracks_enrich(tracks=Track.objects.all(), sources=sources_from_settings())


def test_extended_quota_enrichment_makes_the_minimum_number_of_requests(fake_services, catalog):
    fakes = catalog(120)

    report = enrich()

    assert fake_services.counts() == {
        "accounts.token": 1,
        "reccobeats.audio_features": math.ceil(120 / 40),
        "spotify.tracks": math.ceil(120 / 50),
        "spotify.audio_features": math.ceil(120 / 100),
    }
    assert report.answered == {
        "catalog": 120,
        "reccobeats": 120,
        "spotify": 120,
        "spotify_audio_features": 120,
    }
    track = Track.objects.get(spotify_id=fakes[0].id)
    assert track.popularity == fakes[0].popularity
    assert track.available_markets_count == 3
    assert track.time_signature == fakes[0].features["time_signature"]
    assert track.danceability == fakes[0].features["danceability"]
    assert track.field_sources["danceability"] == "reccobeats"
    assert track.field_sources["time_signature"] == "spotify"
    assert track.field_sources["artists"] == "spotify"
    assert track.artists[0]["id"] == fakes[0].artists[0].id
    assert track.features_source == "reccobeats+spotify"
    assert set(track.raw_sources) == {
        "history",
        "catalog",
        "reccobeats",
        "spotify",
        "spotify_audio_features",
    }
    assert track.raw_sources["catalog"]["data"] is None, "asked, not known there"
    assert track.raw_sources["reccobeats"]["data"]["href"].endswith(fakes[0].id)


def test_a_second_run_asks_nobody_anything(fake_services, catalog):
    catalog(60)
    enrich()
    fake_services.clear_requests()

    report = enrich()

    assert fake_services.count() == 0
    assert sum(report.answered.values()) == 0
    assert tracks_pending(tracks=Track.objects.all(), sources=sources_from_settings()).count() == 0


def test_complete_tracks_cost_no_request(fake_services):
    fake = fake_services.tracks[next(iter(fake_services.tracks))]
    Track.objects.create(
        spotify_id=fake.id,
        name=fake.name,
        album_name="A",
        release_date="2020",
        release_date_precision="year",
        duration_ms=1,
        explicit=False,
        popularity=1,
        available_markets_count=1,
        isrc="QZHAND000000",
        **{name: 0 for name in AUDIO_FEATURE_FIELDS if name != "time_signature"},
        time_signature=4,
    )

    enrich()

    assert fake_services.count() == 0


def test_development_mode_batch_403_falls_back_to_single_tracks_and_parks_capabilities(
    fake_services, catalog
):
    fake_services.development_mode()
    fakes = catalog(7)

    report = enrich()

    assert fake_services.counts() == {
        "accounts.token": 1,
        "reccobeats.audio_features": 1,
        "spotify.tracks": 1,
        "spotify.track": 7,
        "spotify.audio_features": 1,
    }
    track = Track.objects.get(spotify_id=fakes[0].id)
    assert (track.popularity, track.available_markets_count) == (None, None)
    assert track.time_signature is None, "no source has it: it stays missing"
    assert track.duration_ms == fakes[0].duration_ms
    assert track.danceability == fakes[0].features["danceability"]
    parked = dict(SourceCapability.objects.values_list("capability", "unavailable_until"))
    assert set(parked) == {"batch_tracks", "audio_features"}
    assert all(until > timezone.now() + timedelta(hours=23) for until in parked.values())
    assert any("audio_features answered 403" in note for note in report.notes)


def test_parked_capabilities_are_not_tried_again_until_the_period_ends(fake_services, catalog):
    fake_services.development_mode()
    fakes = catalog(3)
    enrich()
    more = generate_catalog(count=3, seed=99)
    fake_services.load(more)
    for fake in more:
        stub(fake)
    fake_services.clear_requests()

    enrich()
    during = fake_services.counts()
    SourceCapability.objects.update(unavailable_until=timezone.now() - timedelta(seconds=1))
    fake_services.extended_quota()
    fake_services.clear_requests()
    enrich()

    assert during == {"accounts.token": 1, "reccobeats.audio_features": 1, "spotify.track": 3}
    assert fake_services.count("spotify.audio_features") == 1
    assert Track.objects.get(spotify_id=fakes[0].id).time_signature is not None


def test_a_403_on_audio_features_falls_through_to_reccobeats(settings, fake_services, catalog):
    settings.MUSICFLOW_FEATURE_SOURCES = ["spotify", "reccobeats"]
    fake_services.forbid("spotify.audio_features")
    fakes = catalog(5)

    enrich()

    track = Track.objects.get(spotify_id=fakes[0].id)
    assert track.energy == fakes[0].features["energy"]
    assert track.field_sources["energy"] == "reccobeats"
    assert fake_services.count("spotify.audio_features") == 1
    assert fake_services.count("reccobeats.audio_features") == 1


def test_without_spotify_credentials_only_reccobeats_is_asked_and_the_skip_is_said(
    settings, fake_services, catalog
):
    settings.SPOTIFY_CLIENT_ID = ""
    catalog(50)

    report = enrich()

    assert fake_services.counts() == {"reccobeats.audio_features": 2}
    assert any("Spotify not configured" in note for note in report.notes)
    assert Track.objects.filter(danceability__isnull=False).count() == 50


def test_a_long_429_returns_at_once_blocks_the_service_and_the_rest_goes_on(
    fake_services, catalog
):
    catalog(45)
    fake_services.rate_limit("reccobeats.audio_features", retry_after=3600, times=None)

    started = time.monotonic()
    report = enrich()
    elapsed = time.monotonic() - started

    assert elapsed < 1.0
    retry_at = report.rate_limited_until["reccobeats"]
    assert abs((retry_at - timezone.now()).total_seconds() - 3600) < 5
    assert SourceRateLimit.objects.get(source="reccobeats").blocked_until == retry_at
    assert fake_services.count("reccobeats.audio_features") == 1
    assert fake_services.count("spotify.audio_features") == 1, "Spotify still served features"
    fake_services.clear_requests()
    enrich()
    assert fake_services.count("reccobeats.audio_features") == 0, "blocked for every worker"


def test_a_500_burst_is_retried_and_the_run_completes(fake_services, catalog):
    catalog(10)
    fake_services.server_error("reccobeats.audio_features", times=2)

    report = enrich()

    assert report.answered["reccobeats"] == 10
    assert fake_services.count("reccobeats.audio_features") == 3


def test_malformed_json_fails_that_batch_only_and_a_later_run_retries_it(
    settings, fake_services, catalog
):
    settings.SPOTIFY_CLIENT_ID = ""
    fakes = catalog(80)
    first_batch = {fake.id for fake in fakes[:40]}
    first_id = Track.objects.order_by("id").first().spotify_id
    fake_services.malformed("reccobeats.audio_features", match=lambda r: first_id in r.ids)

    report = enrich()

    assert report.failed_batches == {"reccobeats": 1}
    assert report.answered["reccobeats"] == 40
    enriched = set(
        Track.objects.filter(danceability__isnull=False).values_list("spotify_id", flat=True)
    )
    assert enriched.isdisjoint(first_batch)
    assert len(enriched) == 40
    fake_services.clear_requests()
    enrich()
    assert fake_services.count("reccobeats.audio_features") == 1
    assert Track.objects.filter(danceability__isnull=False).count() == 80


def test_unknown_to_reccobeats_is_remembered_and_missing_values_stay_null(
    settings, fake_services, catalog
):
    settings.SPOTIFY_CLIENT_ID = ""
    catalog(40, reccobeats_share=0.5)

    enrich()
    fake_services.clear_requests()
    enrich()

    unknown = Track.objects.filter(danceability__isnull=True)
    assert 0 < unknown.count() < 40
    assert all(t.raw_sources["reccobeats"]["data"] is None for t in unknown)
    assert fake_services.count() == 0


def test_the_catalog_supplies_features_of_the_same_recording_without_a_request(
    settings, fake_services
):
    settings.MUSICFLOW_FEATURE_SOURCES = ["catalog"]
    features = dict.fromkeys(AUDIO_FEATURE_FIELDS, 0.5) | {
        "key": 3,
        "mode": 1,
        "time_signature": 4,
    }
    donor = Track.objects.create(
        spotify_id="C" * 22,
        name="Song",
        primary_artist="Band",
        isrc="QZAAA0000001",
        duration_ms=200_000,
        field_sources=dict.fromkeys(AUDIO_FEATURE_FIELDS, "catalog"),
        raw_sources={"catalog": {"data": {}}},
        **features,
    )
    by_isrc = Track.objects.create(spotify_id="I" * 22, name="Other", isrc="QZAAA0000001")
    by_name = Track.objects.create(
        spotify_id="N" * 22, name="Song - 2011 Remaster", primary_artist="Band"
    )
    too_long = Track.objects.create(
        spotify_id="L" * 22, name="Song", primary_artist="Band", duration_ms=260_000
    )
    from streams.resolution.index import name_index_add

    name_index_add(tracks=[donor])

    enrich()

    by_isrc.refresh_from_db()
    by_name.refresh_from_db()
    too_long.refresh_from_db()
    assert by_isrc.tempo == 0.5 and by_isrc.field_sources["tempo"] == "catalog"
    assert by_isrc.raw_sources["catalog"]["data"]["matched_by"] == "isrc"
    assert by_name.raw_sources["catalog"]["data"]["track_id"] == donor.id
    assert too_long.tempo is None
    assert fake_services.count() == 0


def test_an_unreachable_source_sits_out_the_run_and_the_others_still_serve(
    settings, fake_services, catalog
):
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        closed_port = probe.getsockname()[1]
    settings.RECCOBEATS_API_URL = f"http://127.0.0.1:{closed_port}/v1/"
    catalog(80)

    report = enrich()

    assert report.failed_batches == {"reccobeats": 1}
    assert any("skipped for the rest of this run" in note for note in report.notes)
    assert report.answered["spotify_audio_features"] == 80
    assert Track.objects.filter(danceability__isnull=True).count() == 0
