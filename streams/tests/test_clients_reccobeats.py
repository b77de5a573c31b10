"""The ReccoBeats client against the fake ReccoBeats server."""

from __future__ import annotations

import time

import pytest

from streams.clients.errors import RateLimited, SourceUnavailable
from streams.clients.reccobeats import BATCH_MAX, ReccoBeatsClient
from tests_support.fakes import Fault, generate_catalog

pytestmark = pytest.mark.usefixtures("fast_http")


@pytest.fixture
def client(fake_services) -> ReccoBeatsClient:
    return ReccoBeatsClient.from_settings()


def test_a_full_batch_is_one_request_matched_by_href(client, fake_services):
    catalog = generate_catalog(count=BATCH_MAX, seed=7, reccobeats_share=0.5)
    fake_services.load(catalog)
    ids = [track.id for track in catalog]

    features = client.audio_features_get(spotify_ids=ids)

    known = {track.id for track in catalog if track.in_reccobeats}
    assert {spotify_id for spotify_id, value in features.items() if value} == known
    assert 0 < len(known) < BATCH_MAX
    assert fake_services.count("reccobeats.audio_features") == 1


def test_values_are_spotifys_minus_time_signature_and_undetected_key_is_missing(
    client, fake_services
):
    classical = next(t for t in fake_services.tracks.values() if t.name == "Clair de lune")
    pop = next(t for t in fake_services.tracks.values() if t.name == "Heat Waves")

    features = client.audio_features_get(spotify_ids=[classical.id, pop.id])

    assert features[pop.id].energy == pop.features["energy"]
    assert features[pop.id].time_signature is None
    assert features[pop.id].isrc == pop.isrc
    assert features[classical.id].key is None
    assert features[classical.id].raw["key"] == -1


def test_more_than_a_batch_is_refused_before_any_request(client, fake_services):
    with pytest.raises(ValueError):
        client.audio_features_get(spotify_ids=["0" * 22] * (BATCH_MAX + 1))

    assert fake_services.count() == 0


def test_overload_with_long_retry_after_returns_at_once(client, fake_services):
    fake_services.rate_limit("reccobeats.audio_features", retry_after=3600)

    started = time.monotonic()
    with pytest.raises(RateLimited) as limited:
        client.audio_features_get(spotify_ids=list(fake_services.tracks)[:3])

    assert time.monotonic() - started < 1.0
    assert limited.value.source == "reccobeats"
    assert fake_services.count("reccobeats.audio_features") == 1


def test_a_500_burst_is_retried_and_recovers(client, fake_services):
    fake_services.server_error("reccobeats.audio_features", times=2, status=502)

    features = client.audio_features_get(spotify_ids=list(fake_services.tracks)[:3])

    assert all(features.values())
    assert fake_services.count("reccobeats.audio_features") == 3


@pytest.mark.parametrize("fault", ["malformed", "wrong_shape"])
def test_a_malformed_answer_fails_that_batch_only(client, fake_services, fault):
    ids = list(fake_services.tracks)
    if fault == "malformed":
        fake_services.malformed("reccobeats.audio_features", match=lambda r: ids[0] in r.ids)
    else:
        fake_services.add_fault(
            Fault("reccobeats.audio_features", status=200, body={"items": []}, times=1)
        )

    with pytest.raises(SourceUnavailable) as error:
        client.audio_features_get(spotify_ids=ids[:2])
    other = client.audio_features_get(spotify_ids=ids[2:4])

    assert error.value.reason == "malformed"
    assert all(other.values())
    assert fake_services.count("reccobeats.audio_features") == 2
