"""The Spotify client drives real spotipy code against the fake Spotify server."""

from __future__ import annotations

import socket
import time
from datetime import timedelta

import pytest
from django.utils import timezone

from streams.clients.errors import RateLimited, SourceUnavailable
from streams.clients.spotify import SpotifyClient

pytestmark = pytest.mark.usefixtures("fast_http")


@pytest.fixture
def client(fake_services) -> SpotifyClient:
    return SpotifyClient.from_settings()


@pytest.fixture
def ids(fake_services) -> list[str]:
    return list(fake_services.tracks)


def test_single_track_in_extended_mode_has_popularity_and_markets(client, fake_services, ids):
    track = client.track_get(spotify_id=ids[1])

    fake = fake_services.tracks[ids[1]]
    assert (track.name, track.artists[0].name) == ("Blinding Lights", "The Weeknd")
    assert (track.popularity, track.available_markets_count) == (fake.popularity, 3)
    assert (track.isrc, track.duration_ms, track.release_date) == (
        fake.isrc,
        200_040,
        "2020-03-20",
    )
    assert fake_services.counts() == {"accounts.token": 1, "spotify.track": 1}


def test_development_mode_track_has_no_popularity_and_batch_is_forbidden(
    client, fake_services, ids
):
    fake_services.development_mode()

    track = client.track_get(spotify_id=ids[0])
    with pytest.raises(SourceUnavailable) as forbidden:
        client.tracks_get(spotify_ids=ids[:3])

    assert track.popularity is None
    assert track.available_markets_count is None
    assert track.values()["release_date_precision"] == "day"
    assert forbidden.value.forbidden and forbidden.value.permanent
    assert fake_services.count("spotify.tracks") == 1, "a 403 is not retried"


def test_batch_tracks_is_one_request_and_unknown_ids_map_to_none(client, fake_services, ids):
    unknown = "0" * 22

    tracks = client.tracks_get(spotify_ids=[*ids[:5], unknown])

    assert [t.spotify_id for t in tracks.values() if t] == ids[:5]
    assert tracks[unknown] is None
    assert fake_services.count("spotify.tracks") == 1
    assert fake_services.requests_to("spotify.tracks")[0].ids == [*ids[:5], unknown]


def test_unknown_single_track_is_none_not_an_error(client):
    assert client.track_get(spotify_id="0" * 22) is None


def test_audio_features_in_extended_mode(client, fake_services, ids):
    features = client.audio_features_get(spotify_ids=ids[:2])

    expected = fake_services.tracks[ids[0]].features
    assert features[ids[0]].values() == pytest.approx(expected)
    assert fake_services.count("spotify.audio_features") == 1


def test_audio_features_forbidden_is_permanent_and_asked_once(client, fake_services, ids):
    fake_services.development_mode()

    with pytest.raises(SourceUnavailable) as error:
        client.audio_features_get(spotify_ids=ids[:2])

    assert error.value.forbidden
    assert fake_services.count("spotify.audio_features") == 1


def test_long_retry_after_returns_control_at_once_with_retry_time(client, fake_services, ids):
    fake_services.rate_limit("spotify.tracks", retry_after=3600, times=None)

    started = time.monotonic()
    with pytest.raises(RateLimited) as limited:
        client.tracks_get(spotify_ids=ids[:2])
    elapsed = time.monotonic() - started

    assert elapsed < 1.0
    expected = timezone.now() + timedelta(seconds=3600)
    assert abs((limited.value.retry_at - expected).total_seconds()) < 5
    assert fake_services.count("spotify.tracks") == 1


def test_short_retry_after_is_waited_out_inside_the_call(client, fake_services, ids):
    fake_services.rate_limit("spotify.track", retry_after=1, times=1)

    started = time.monotonic()
    track = client.track_get(spotify_id=ids[0])

    assert track.spotify_id == ids[0]
    assert time.monotonic() - started >= 0.9
    assert fake_services.count("spotify.track") == 2


def test_a_500_burst_is_retried_and_recovers(client, fake_services, ids):
    fake_services.server_error("spotify.tracks", times=2, status=503)

    tracks = client.tracks_get(spotify_ids=ids[:3])

    assert all(tracks.values())
    assert fake_services.count("spotify.tracks") == 3


def test_a_longer_500_burst_gives_up_after_the_bounded_attempts(client, fake_services, ids):
    fake_services.server_error("spotify.tracks", times=10)

    with pytest.raises(SourceUnavailable) as error:
        client.tracks_get(spotify_ids=ids[:3])

    assert (error.value.permanent, error.value.reason, error.value.status) == (
        False,
        "server_error",
        500,
    )
    assert fake_services.count("spotify.tracks") == 3


def test_a_slow_answer_times_out_and_the_retry_succeeds(client, fake_services, ids):
    fake_services.slow("spotify.track", seconds=3, times=1)

    track = client.track_get(spotify_id=ids[0])

    assert track.spotify_id == ids[0]
    assert fake_services.count("spotify.track") == 2


def test_malformed_json_fails_that_call_without_retrying(client, fake_services, ids):
    fake_services.malformed("spotify.audio_features")

    with pytest.raises(SourceUnavailable) as error:
        client.audio_features_get(spotify_ids=ids[:2])

    assert (error.value.reason, error.value.permanent) == ("malformed", False)
    assert fake_services.count("spotify.audio_features") == 1
    assert client.audio_features_get(spotify_ids=ids[:2])[ids[0]] is not None


def test_an_expired_token_is_replaced_once(client, fake_services, ids):
    client.track_get(spotify_id=ids[0])
    fake_services.expire_tokens()

    track = client.track_get(spotify_id=ids[1])

    assert track.spotify_id == ids[1]
    assert fake_services.count("accounts.token") == 2


def test_wrong_credentials_are_permanent(settings, fake_services, ids):
    settings.SPOTIFY_CLIENT_SECRET = "not-the-secret"

    with pytest.raises(SourceUnavailable) as error:
        SpotifyClient.from_settings().track_get(spotify_id=ids[0])

    assert (error.value.permanent, error.value.reason) == (True, "credentials")
    assert fake_services.count("spotify.track") == 0


def test_no_client_id_means_not_configured(settings):
    settings.SPOTIFY_CLIENT_ID = ""

    with pytest.raises(SourceUnavailable) as error:
        SpotifyClient.from_settings()

    assert error.value.reason == "not_configured"


def test_search_never_asks_for_more_than_ten(client, fake_services):
    found = client.tracks_search(query='track:"heat waves" artist:"glass animals"', limit=50)

    assert [t.name for t in found] == ["Heat Waves"]
    assert fake_services.requests_to("spotify.search")[0].query["limit"] == "10"


def test_a_refused_connection_is_transient(settings):
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    settings.SPOTIFY_CLIENT_ID, settings.SPOTIFY_CLIENT_SECRET = "id", "secret"
    settings.SPOTIFY_ACCOUNTS_URL = f"http://127.0.0.1:{port}/"

    with pytest.raises(SourceUnavailable) as error:
        SpotifyClient.from_settings().track_get(spotify_id="0" * 22)

    assert (error.value.permanent, error.value.reason) == (False, "connection")
