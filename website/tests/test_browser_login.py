"""In a real browser: log in with Spotify (against the fake Spotify) or a password, log out."""

from __future__ import annotations

import json
from urllib.parse import parse_qs, urlencode, urlsplit, urlunsplit

import pytest
import requests
from django.contrib.auth import get_user_model
from social_django.models import UserSocialAuth

from website.token_crypto import token_decrypt

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_spotify_login_round_trip(browsing):
    page, fake = browsing.page, browsing.fake
    navigations: list[str] = []
    page.on("request", lambda r: navigations.append(r.url) if r.is_navigation_request() else None)

    page.goto(browsing.url("/accounts/login/"))
    browsing.shot("login-page")
    page.get_by_role("button", name="Log in with Spotify").click()
    page.wait_for_url(browsing.url("/dashboard/"))
    browsing.shot("dashboard-after-spotify-login")

    authorize = next(u for u in navigations if u.startswith(fake.authorize_url))
    callback = next(u for u in navigations if "/complete/spotify/" in u)
    state = parse_qs(urlsplit(authorize).query)["state"][0]
    assert parse_qs(urlsplit(authorize).query)["redirect_uri"] == [
        browsing.url("/complete/spotify/")
    ]
    assert parse_qs(urlsplit(callback).query)["state"] == [state]
    assert page.get_by_text("Fake Listener").is_visible()
    user = get_user_model().objects.get(username="spotify-fakelistener")
    social = UserSocialAuth.objects.get(user=user, provider="spotify")
    stored = json.dumps(social.extra_data)
    refresh = token_decrypt(stored=social.extra_data["refresh_token"])
    assert refresh not in stored
    assert fake.count("accounts.token") == 1


def test_spotify_callback_with_a_forged_state_is_refused(browsing):
    page, fake = browsing.page, browsing.fake

    def forge(route):
        # MusicFlow's redirect to Spotify (which sets this browser's session and state),
        # then Spotify's answer with the state swapped for one this browser never got.
        begin = route.fetch(max_redirects=0)
        consent = requests.get(begin.headers["location"], allow_redirects=False, timeout=5)
        callback = urlsplit(consent.headers["location"])
        query = {k: v[0] for k, v in parse_qs(callback.query).items()}
        query["state"] = "forged-" + query["state"][7:]
        forged = urlunsplit(callback._replace(query=urlencode(query)))
        route.fulfill(response=begin, headers={**begin.headers, "location": forged})

    page.route(browsing.url("/login/spotify/"), forge)
    page.goto(browsing.url("/accounts/login/"))
    page.get_by_role("button", name="Log in with Spotify").click()
    page.wait_for_url("**/complete/spotify/**")
    browsing.shot("forged-state-refused")

    alert = page.get_by_role("alert").inner_text()
    assert alert.startswith("The Spotify login could not be verified")
    assert fake.count("accounts.authorize") == 1
    assert fake.count("accounts.token") == 0
    assert not get_user_model().objects.exists()
    assert page.get_by_role("banner").get_by_role("link", name="Log in").is_visible()


def test_password_login_and_logout(browsing, django_user_model):
    django_user_model.objects.create_user(username="demo", password="demo-pass-123")
    page = browsing.page

    page.goto(browsing.url("/accounts/login/"))
    page.get_by_label("Username", exact=True).fill("demo")
    page.get_by_label("Password", exact=True).fill("demo-pass-123")
    page.get_by_role("button", name="Log in", exact=True).click()
    page.wait_for_url(browsing.url("/dashboard/"))
    browsing.shot("dashboard-after-password-login")
    assert page.get_by_role("heading", name="Your listening history").is_visible()

    page.get_by_role("button", name="Log out").click()
    page.wait_for_url(browsing.url("/"))
    assert page.get_by_role("banner").get_by_role("link", name="Log in").is_visible()


def test_a_wrong_password_is_refused(browsing, django_user_model):
    django_user_model.objects.create_user(username="demo", password="demo-pass-123")
    page = browsing.page

    page.goto(browsing.url("/accounts/login/"))
    page.get_by_label("Username", exact=True).fill("demo")
    page.get_by_label("Password", exact=True).fill("wrong")
    page.get_by_role("button", name="Log in", exact=True).click()

    assert "Please enter a correct username and password" in page.get_by_role("alert").inner_text()
