"""The network-era resolution steps: fuzzy catalog matching and Spotify search."""

from __future__ import annotations

import itertools
import time
from datetime import UTC, datetime, timedelta

import pytest
from django.utils import timezone

from streams.clients.spotify import SpotifyClient
from streams.models import NameSearch, Play, PlayFormat, ResolutionStatus, Track
from streams.resolution.fuzzy import FuzzyCatalogStep
from streams.resolution.index import name_index_add
from streams.resolution.offline import offline_steps
from streams.resolution.service import plays_resolve
from streams.resolution.spotify_search import SpotifySearchStep
from tests_support.fakes import FakeArtist, FakeTrack

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("fast_http")]

_n = itertools.count()


def play(user, track: str, artist: str, ms: int = 180_000) -> Play:
    n = next(_n)
    return Play.objects.create(
        user=user,
        played_at=datetime(2024, 1, 1, tzinfo=UTC) + timedelta(minutes=n),
        ms_played=ms,
        track_name=track,
        artist_name=artist,
        source_format=PlayFormat.ACCOUNT_DATA,
        dedupe_key=f"r{n}",
    )


def track(name: str, artist: str) -> Track:
    created = Track.objects.create(name=name, primary_artist=artist)
    name_index_add(tracks=[created])
    return created


def resolve(user, *extra_steps):
    return plays_resolve(user_id=user.pk, steps=[*offline_steps(), *extra_steps])


def fake_track(fake_id: str, name: str, artist: str, *, duration_ms: int = 200_000) -> FakeTrack:
    return FakeTrack(
        id=fake_id.ljust(22, "0"),
        name=name,
        artists=[FakeArtist(id=f"{artist[:3]}".ljust(22, "a"), name=artist)],
        album_name="Album",
        album_id="album".ljust(22, "0"),
        duration_ms=duration_ms,
        features=None,
    )


# --- fuzzy ------------------------------------------------------------------------------


def test_fuzzy_resolves_a_misspelling_the_name_index_misses(user):
    known = track("Mr. Brightside", "The Killers")
    typo = play(user, "Mr. Brigthside", "The Kilers")

    report = resolve(user, FuzzyCatalogStep())

    typo.refresh_from_db()
    assert typo.track_id == known.pk
    assert report.by_step == {"uri": 0, "name_index": 0, "fuzzy_catalog": 1}


@pytest.mark.parametrize(
    ("played", "known"),
    [
        ("Love in This Club, Pt. II", "Love in This Club"),
        ("A Very Long Song Title Indeed Pt 2", "A Very Long Song Title Indeed Pt 3"),
        ("A Very Long Song Title Indeed Live", "A Very Long Song Title Indeed"),
        ("A Very Long Song Title Indeed Acoustic", "A Very Long Song Title Indeed"),
        ("MILLION DOLLAR BABY (VHS)", "MILLION DOLLAR BABY"),
    ],
)
def test_fuzzy_never_matches_another_part_or_version(user, played, known):
    track(known, "Some Artist")
    other = play(user, played, "Some Artist")

    resolve(user, FuzzyCatalogStep())

    other.refresh_from_db()
    assert other.resolution_status == ResolutionStatus.UNRESOLVED
    assert other.unresolved_reason == "no_offline_match"


def test_fuzzy_refuses_an_ambiguous_match(user):
    track("Starlight Drives", "Band")
    track("Starlight Driven", "Band")
    ambiguous = play(user, "Starlight Drive", "Band")  # one letter from either

    resolve(user, FuzzyCatalogStep())

    ambiguous.refresh_from_db()
    assert ambiguous.track_id is None


# --- Spotify search ---------------------------------------------------------------------


@pytest.fixture
def search(fake_services):
    def build(**options) -> SpotifySearchStep:
        return SpotifySearchStep(client=SpotifyClient.from_settings(), **options)

    return build


def test_search_picks_the_right_artist_and_stores_the_track_with_its_metadata(
    user, fake_services, search
):
    fake_services.clear_catalog()
    fake_services.load(
        [
            fake_track("A", "Same Song", "Artist A"),
            fake_track("B", "Same Song", "Artist B"),
        ]
    )
    plays = [play(user, "Same Song", "Artist B") for _ in range(3)]

    report = resolve(user, search())

    assert report.by_step["spotify_search"] == 3
    found = Track.objects.get(spotify_id="B".ljust(22, "0"))
    assert {p.track_id for p in Play.objects.filter(id__in=[p.id for p in plays])} == {found.pk}
    assert (found.duration_ms, found.field_sources["duration_ms"]) == (200_000, "spotify")
    assert "spotify" in found.raw_sources
    assert fake_services.count("spotify.search") == 1
    assert fake_services.requests_to("spotify.search")[0].query["limit"] == "10"


def test_a_match_becomes_an_alias_so_the_next_import_resolves_offline(
    user, other_user, fake_services, search
):
    play(user, "Blinding Lights", "The Weeknd")
    resolve(user, search())
    later = play(other_user, "Blinding Lights", "The Weeknd")
    fake_services.clear_requests()

    plays_resolve(user_id=other_user.pk)

    later.refresh_from_db()
    assert later.resolution_status == ResolutionStatus.RESOLVED
    assert fake_services.count() == 0


def test_a_play_longer_than_the_track_is_not_that_track(user, fake_services, search):
    long_play = play(user, "Blinding Lights", "The Weeknd", ms=400_000)

    resolve(user, search())

    long_play.refresh_from_db()
    assert long_play.unresolved_reason == "no_spotify_match"


def test_a_miss_is_remembered_and_searched_again_only_after_the_recheck_period(
    user, fake_services, search
):
    miss = play(user, "Unknown Song", "Unknown Artist")
    resolve(user, search())
    resolve(user, search())
    searched_twice = fake_services.count("spotify.search")
    NameSearch.objects.update(searched_at=timezone.now() - timedelta(days=31))

    resolve(user, search())

    miss.refresh_from_db()
    assert searched_twice == 1
    assert fake_services.count("spotify.search") == 2
    assert miss.unresolved_reason == "no_spotify_match"


def test_a_429_stops_the_search_and_says_why_for_every_play_left(user, fake_services, search):
    fake_services.rate_limit("spotify.search", retry_after=3600, times=None)
    first = play(user, "Blinding Lights", "The Weeknd")
    second = play(user, "Heat Waves", "Glass Animals")
    step = search()

    started = time.monotonic()
    resolve(user, step)

    assert time.monotonic() - started < 1.0
    assert fake_services.count("spotify.search") == 1
    assert step.rate_limited_until > timezone.now() + timedelta(minutes=59)
    reasons = set(
        Play.objects.filter(id__in=[first.id, second.id]).values_list(
            "unresolved_reason", flat=True
        )
    )
    assert reasons == {"rate_limited"}


def test_a_spent_time_budget_leaves_the_rest_pending(user, fake_services, search):
    pending = play(user, "Blinding Lights", "The Weeknd")

    resolve(user, search(deadline=time.monotonic() - 1))

    pending.refresh_from_db()
    assert pending.unresolved_reason == "search_pending"
    assert fake_services.count() == 0
