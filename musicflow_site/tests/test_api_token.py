from __future__ import annotations

import pytest
from rest_framework.authtoken.models import Token

pytestmark = pytest.mark.django_db


def test_username_and_password_get_the_users_token(api_client, user):
    response = api_client.post(
        "/api/token/", {"username": "alice", "password": "alice-pass-123"}, format="json"
    )
    assert response.status_code == 200
    assert response.json() == {"token": Token.objects.get(user=user).key}


def test_asking_twice_returns_the_same_token(api_client, user):
    payload = {"username": "alice", "password": "alice-pass-123"}
    first = api_client.post("/api/token/", payload, format="json").json()["token"]
    second = api_client.post("/api/token/", payload, format="json").json()["token"]
    assert first == second
    assert Token.objects.filter(user=user).count() == 1


def test_wrong_password_is_400_and_creates_nothing(api_client, user):
    response = api_client.post(
        "/api/token/", {"username": "alice", "password": "wrong"}, format="json"
    )
    assert response.status_code == 400
    assert response.json()["code"] == "invalid_credentials"
    assert not Token.objects.exists()


def test_missing_fields_are_named(api_client):
    response = api_client.post("/api/token/", {}, format="json")
    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "invalid"
    assert set(body["fields"]) == {"username", "password"}


def test_password_guessing_is_throttled(api_client, user, throttle_rates):
    throttle_rates(token="3/min")
    payload = {"username": "alice", "password": "guess"}
    codes = [api_client.post("/api/token/", payload, format="json").status_code for _ in range(4)]
    assert codes == [400, 400, 400, 429]


def test_the_token_authenticates_api_calls(owner_client, api_client):
    # The schema endpoint is public; an authenticated-only endpoint proves the token works.
    assert api_client.get("/api/stats/").status_code == 401
    assert owner_client.get("/api/stats/").status_code == 200
