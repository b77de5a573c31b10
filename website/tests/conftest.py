"""Fixtures for the website's tests."""

from __future__ import annotations

from urllib.parse import parse_qs, urlencode, urlsplit, urlunsplit

import pytest
import requests
from django.test import Client
from django.urls import reverse

from tests_support.fakes import fixtures as _fake_fixtures
from tests_support.fakes.server import FakeMusicServices


def spotify_authorize(*, client: Client) -> str:
    """Press "Log in with Spotify"; returns where MusicFlow sends the browser."""
    response = client.post(reverse("website:spotify_begin"))
    assert response.status_code == 302, response.content
    return response["Location"]


def spotify_consent(*, authorize_url: str) -> str:
    """What the user's browser does at Spotify: returns the callback URL Spotify redirects to."""
    response = requests.get(authorize_url, allow_redirects=False, timeout=5)
    assert response.status_code == 302, response.text
    return response.headers["Location"]


def with_query(url: str, **changes: str) -> str:
    parts = urlsplit(url)
    query = {key: values[0] for key, values in parse_qs(parts.query).items()}
    query.update(changes)
    return urlunsplit(parts._replace(query=urlencode(query)))


# TEMP: until the root conftest registers tests_support.fakes.fixtures as a plugin.
fake_services_running = _fake_fixtures.fake_services_running
fake_services = _fake_fixtures.fake_services


@pytest.fixture
def spotify_login(client: Client, fake_services: FakeMusicServices):
    """Log `client` in through the whole Spotify round trip; returns the user."""

    def login():
        callback = spotify_consent(authorize_url=spotify_authorize(client=client))
        response = client.get(callback)
        assert response.status_code == 302, response.content
        return response.wsgi_request.user

    return login


@pytest.fixture
def q_sync(monkeypatch):
    """Run django-q2 tasks in the calling thread, as soon as they are queued.

    The task functions are the real ones; only the hand-over to a cluster is skipped,
    because the test database lives in this process and a cluster process cannot see it.
    """
    from django_q.conf import Conf

    monkeypatch.setattr(Conf, "SYNC", True)


@pytest.fixture
def account_data(shared_data):
    """The real account-data export's JSON files."""
    return sorted((shared_data / "history" / "account-data").glob("*.json"))
