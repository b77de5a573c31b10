from __future__ import annotations

import pytest

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("method", ["get", "post", "delete"])
def test_an_unknown_api_path_is_a_json_404(owner_client, method):
    response = getattr(owner_client, method)("/api/no-such-thing/")
    assert response.status_code == 404
    assert response["Content-Type"] == "application/json"
    assert response.json()["code"] == "not_found"


def test_an_id_too_large_for_the_database_is_a_404_not_a_500(owner_client):
    huge = "9" * 30
    for path in (f"/api/imports/{huge}/", f"/api/tracks/{huge}/", f"/api/models/{huge}/"):
        response = owner_client.get(path)
        assert response.status_code == 404, path
        assert response.json()["code"] == "not_found"


def test_nested_input_errors_are_flattened_to_dotted_paths(owner_client):
    items = [{"song": "A", "artist": "B"}, {"song": "C"}, {"song": "", "artist": "D"}]
    response = owner_client.post("/api/predictions/", {"items": items}, format="json")
    assert response.status_code == 400
    fields = response.json()["fields"]
    assert set(fields) == {"items.1.artist", "items.2.song"}
    assert all(isinstance(m, str) for messages in fields.values() for m in messages)


def test_unauthenticated_is_401_with_the_token_challenge(api_client):
    response = api_client.get("/api/plays/")
    assert response.status_code == 401
    assert response["WWW-Authenticate"] == "Token"
    assert response.json() == {
        "detail": "Authentication credentials were not provided.",
        "code": "not_authenticated",
    }


def test_a_wrong_token_is_401(api_client):
    api_client.credentials(HTTP_AUTHORIZATION="Token not-a-real-token")
    response = api_client.get("/api/plays/")
    assert response.status_code == 401
    assert response.json()["code"] == "authentication_failed"


def test_the_session_works_for_the_browsable_api(client, user):
    client.force_login(user)
    response = client.get("/api/plays/", HTTP_ACCEPT="text/html")
    assert response.status_code == 200
    assert b"<html" in response.content
