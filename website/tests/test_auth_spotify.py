"""Log in with Spotify, end to end against the fake Spotify accounts and Web API servers."""

from __future__ import annotations

import json
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
from django.db import connection
from django.urls import reverse
from social_django.models import UserSocialAuth

from website.errors import SpotifyNotLinked
from website.services import spotify_access_token_get
from website.tests.conftest import spotify_authorize, spotify_consent, with_query
from website.token_crypto import token_decrypt

pytestmark = pytest.mark.django_db


def test_login_button_sends_the_browser_to_spotify_with_state_and_no_scope(client, fake_services):
    authorize_url = spotify_authorize(client=client)

    assert authorize_url.startswith(fake_services.authorize_url + "?")
    query = parse_qs(urlsplit(authorize_url).query)
    assert query["client_id"] == [fake_services.client_id]
    assert query["response_type"] == ["code"]
    assert query["redirect_uri"] == ["http://testserver/complete/spotify/"]
    assert len(query["state"][0]) >= 32
    assert "scope" not in query


def test_round_trip_creates_the_user_from_id_and_display_name(
    client, fake_services, django_user_model
):
    callback = spotify_consent(authorize_url=spotify_authorize(client=client))
    response = client.get(callback)

    assert response.status_code == 302
    assert response["Location"] == "/dashboard/"
    user = django_user_model.objects.get(username="spotify-fakelistener")
    assert user.first_name == "Fake Listener"
    assert user.email == ""
    assert not user.has_usable_password()
    assert client.session["_auth_user_id"] == str(user.pk)
    assert fake_services.counts() == {
        "accounts.authorize": 1,
        "accounts.token": 1,
        "spotify.me": 1,
    }


def test_tokens_are_stored_encrypted_never_in_plaintext(client, fake_services, spotify_login):
    user = spotify_login()
    social = UserSocialAuth.objects.get(user=user, provider="spotify")
    access = token_decrypt(stored=social.extra_data["access_token"])
    refresh = token_decrypt(stored=social.extra_data["refresh_token"])

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT extra_data FROM social_auth_usersocialauth WHERE id = %s", [social.pk]
        )
        (raw,) = cursor.fetchone()
    raw_text = raw if isinstance(raw, str) else json.dumps(raw)
    assert access not in raw_text
    assert refresh not in raw_text
    # The decrypted access token is the one Spotify issued: it opens /v1/me.
    me = requests.get(
        fake_services.spotify_api_url + "me",
        headers={"Authorization": f"Bearer {access}"},
        timeout=5,
    )
    assert me.status_code == 200


def test_logging_in_again_reuses_the_user_and_updates_the_display_name(
    client, fake_services, spotify_login, django_user_model
):
    first = spotify_login()
    client.logout()
    fake_services.user.display_name = "Renamed Listener"

    second = spotify_login()

    assert second.pk == first.pk
    assert django_user_model.objects.filter(username__startswith="spotify-").count() == 1
    second.refresh_from_db()
    assert second.first_name == "Renamed Listener"


def test_a_forged_state_is_refused_and_nobody_is_logged_in(
    client, fake_services, django_user_model
):
    callback = spotify_consent(authorize_url=spotify_authorize(client=client))

    response = client.get(with_query(callback, state="forged-state-from-another-browser"))

    assert response.status_code == 400
    assert b"state did not match" in response.content
    assert "_auth_user_id" not in client.session
    assert not django_user_model.objects.exists()
    # The authorization code was never exchanged.
    assert fake_services.count("accounts.token") == 0


def test_a_callback_without_state_is_refused(client, fake_services, django_user_model):
    callback = spotify_consent(authorize_url=spotify_authorize(client=client))
    parts = urlsplit(callback)
    code = parse_qs(parts.query)["code"][0]

    response = client.get(parts.path, {"code": code})

    assert response.status_code == 400
    assert not django_user_model.objects.exists()


def test_declining_at_spotify_shows_a_message(client, fake_services, django_user_model):
    fake_services.deny_authorization = True
    callback = spotify_consent(authorize_url=spotify_authorize(client=client))

    response = client.get(callback)

    assert response.status_code == 400
    assert b"You cancelled the Spotify login" in response.content
    assert not django_user_model.objects.exists()


def test_access_token_is_reused_while_fresh_and_refreshed_before_expiry(
    client, fake_services, spotify_login, settings
):
    user = spotify_login()
    social = UserSocialAuth.objects.get(user=user)
    issued = token_decrypt(stored=social.extra_data["access_token"])
    stored_refresh = social.extra_data["refresh_token"]
    exchanges = fake_services.count("accounts.token")

    assert spotify_access_token_get(user=user) == issued
    assert fake_services.count("accounts.token") == exchanges

    # The token has an hour left; a margin above that makes it "about to expire".
    settings.MUSICFLOW_SPOTIFY_TOKEN_REFRESH_MARGIN = 3700
    fresh = spotify_access_token_get(user=user)

    assert fresh != issued
    refreshes = list(fake_services.requests_to("accounts.token"))[exchanges:]
    assert len(refreshes) == 1
    social.refresh_from_db()
    assert social.extra_data["access_token"].startswith("fernet:")
    # Spotify did not rotate the refresh token, so the stored one is kept.
    assert social.extra_data["refresh_token"] == stored_refresh
    me = requests.get(
        fake_services.spotify_api_url + "me",
        headers={"Authorization": f"Bearer {fresh}"},
        timeout=5,
    )
    assert me.status_code == 200


def test_no_token_for_a_user_who_never_linked_spotify(user):
    with pytest.raises(SpotifyNotLinked):
        spotify_access_token_get(user=user)


def test_without_a_client_id_the_button_is_hidden_and_the_page_says_why(client, settings):
    settings.SPOTIFY_CLIENT_ID = ""

    page = client.get(reverse("login"))
    begin = client.post(reverse("website:spotify_begin"))

    assert page.status_code == 200
    assert b"Log in with Spotify" not in page.content
    assert b"Spotify login is not available on this site" in page.content
    assert begin.status_code == 404
