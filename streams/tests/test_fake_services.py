"""The fake Spotify / ReccoBeats servers speak the real wire formats and misbehave on request."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import pytest
import requests

from tests_support.fakes import FakeMusicServices


def _client_token(fake: FakeMusicServices) -> str:
    response = requests.post(
        fake.token_url,
        data={"grant_type": "client_credentials"},
        auth=(fake.client_id, fake.client_secret),
        timeout=5,
    )
    assert response.status_code == 200
    assert response.json()["token_type"] == "Bearer"
    return response.json()["access_token"]


def _get(fake: FakeMusicServices, path: str, token: str, **params: str) -> requests.Response:
    headers = {"Authorization": f"Bearer {token}"}
    return requests.get(fake.spotify_api_url + path, params=params, headers=headers, timeout=5)


def _login(fake: FakeMusicServices, redirect_uri: str = "http://127.0.0.1:8000/complete/") -> dict:
    authorize = requests.get(
        fake.authorize_url,
        params={
            "client_id": fake.client_id,
            "response_type": "code",
            "redirect_uri": redirect_uri,
            "state": "st4te",
        },
        allow_redirects=False,
        timeout=5,
    )
    assert authorize.status_code == 302
    location = urlsplit(authorize.headers["Location"])
    query = parse_qs(location.query)
    assert f"{location.scheme}://{location.netloc}{location.path}" == redirect_uri
    assert query["state"] == ["st4te"]
    token = requests.post(
        fake.token_url,
        data={
            "grant_type": "authorization_code",
            "code": query["code"][0],
            "redirect_uri": redirect_uri,
        },
        auth=(fake.client_id, fake.client_secret),
        timeout=5,
    )
    assert token.status_code == 200
    return token.json()


def test_authorization_code_round_trip_gives_user_tokens_and_profile(fake_services):
    tokens = _login(fake_services)

    me = _get(fake_services, "me", tokens["access_token"])
    refreshed = requests.post(
        fake_services.token_url,
        data={"grant_type": "refresh_token", "refresh_token": tokens["refresh_token"]},
        auth=(fake_services.client_id, fake_services.client_secret),
        timeout=5,
    )

    assert me.json()["id"] == "fakelistener"
    assert me.json()["display_name"] == "Fake Listener"
    assert refreshed.status_code == 200
    assert refreshed.json()["access_token"] != tokens["access_token"]


def test_a_code_is_single_use_and_bound_to_its_redirect_uri(fake_services):
    authorize = requests.get(
        fake_services.authorize_url,
        params={
            "client_id": fake_services.client_id,
            "response_type": "code",
            "redirect_uri": "http://127.0.0.1:8000/a/",
        },
        allow_redirects=False,
        timeout=5,
    )
    code = parse_qs(urlsplit(authorize.headers["Location"]).query)["code"][0]
    auth = (fake_services.client_id, fake_services.client_secret)
    wrong_uri = {
        "grant_type": "authorization_code",
        "code": code,
        "redirect_uri": "http://127.0.0.1:8000/b/",
    }

    first = requests.post(fake_services.token_url, data=wrong_uri, auth=auth, timeout=5)
    second = requests.post(fake_services.token_url, data=wrong_uri, auth=auth, timeout=5)

    assert first.json()["error_description"] == "Invalid redirect URI"
    assert second.json()["error_description"] == "Invalid authorization code"


def test_authorize_refuses_localhost_redirects_and_unknown_clients(fake_services):
    base = {"response_type": "code", "redirect_uri": "http://localhost:8000/complete/"}
    localhost = requests.get(
        fake_services.authorize_url,
        params={**base, "client_id": fake_services.client_id},
        allow_redirects=False,
        timeout=5,
    )
    stranger = requests.get(
        fake_services.authorize_url,
        params={**base, "client_id": "someone-else"},
        allow_redirects=False,
        timeout=5,
    )

    assert localhost.status_code == 400
    assert "Insecure redirect URI" in localhost.text
    assert stranger.status_code == 400


def test_me_needs_a_user_token_and_development_mode_hides_email(fake_services):
    client_token = _client_token(fake_services)
    fake_services.development_mode()
    user_token = _login(fake_services)["access_token"]

    assert _get(fake_services, "me", client_token).status_code == 401
    assert "email" not in _get(fake_services, "me", user_token).json()


def test_development_mode_forbids_batch_endpoints_and_drops_popularity(fake_services):
    token = _client_token(fake_services)
    track_id = next(iter(fake_services.tracks))
    fake_services.development_mode()

    single = _get(fake_services, f"tracks/{track_id}", token)
    batch = _get(fake_services, "tracks", token, ids=track_id)
    features = _get(fake_services, "audio-features", token, ids=track_id)

    assert single.status_code == 200
    assert single.json()["external_ids"]["isrc"]
    assert "popularity" not in single.json()
    assert "available_markets" not in single.json()
    assert (batch.status_code, features.status_code) == (403, 403)


def test_search_refuses_a_limit_above_ten(fake_services):
    token = _client_token(fake_services)

    refused = _get(fake_services, "search", token, q="queen", type="track", limit="11")
    found = _get(
        fake_services, "search", token, q='track:"bohemian" artist:queen', type="track", limit="10"
    )

    assert refused.status_code == 400
    assert refused.json()["error"]["message"] == "Invalid limit"
    assert [item["artists"][0]["name"] for item in found.json()["tracks"]["items"]] == ["Queen"]


def test_reccobeats_answers_known_ids_only_matched_by_href(fake_services):
    known = list(fake_services.tracks)[:2]

    response = requests.get(
        fake_services.reccobeats_api_url + "audio-features",
        params={"ids": ",".join([*known, "0000000000000000000000"])},
        timeout=5,
    )

    content = response.json()["content"]
    assert [item["href"].rsplit("/", 1)[-1] for item in content] == known
    assert all("time_signature" not in item for item in content)
    assert all(item["id"] not in known for item in content)


@pytest.mark.parametrize("retry_after", [1, 3600])
def test_faults_apply_the_given_number_of_times_and_requests_are_recorded(
    fake_services, retry_after
):
    token = _client_token(fake_services)
    track_id = next(iter(fake_services.tracks))
    fake_services.rate_limit("spotify.track", retry_after=retry_after, times=1)
    fake_services.server_error("spotify.track", times=2)

    statuses = [_get(fake_services, f"tracks/{track_id}", token).status_code for _ in range(4)]

    assert statuses == [429, 500, 500, 200]
    recorded = fake_services.requests_to("spotify.track")
    assert [request.status for request in recorded] == statuses
    assert recorded[0].path == f"/v1/tracks/{track_id}"
    assert fake_services.counts() == {"accounts.token": 1, "spotify.track": 4}


def test_malformed_fault_can_target_one_batch(fake_services):
    ids = list(fake_services.tracks)
    fake_services.malformed("reccobeats.audio_features", match=lambda r: ids[0] in r.ids)
    url = fake_services.reccobeats_api_url + "audio-features"

    other = requests.get(url, params={"ids": ids[1]}, timeout=5)
    targeted = requests.get(url, params={"ids": ids[0]}, timeout=5)

    assert other.json()["content"]
    with pytest.raises(ValueError):
        targeted.json()
