"""pytest fixtures for the fake external services.

Registered from the root conftest.py with
``pytest_plugins = ["tests_support.fakes.fixtures"]``.

``fake_services`` gives a test the running fakes, reset to the default catalog in
extended-quota mode, with Django settings pointing every client at them (and Spotify
credentials set). Subprocesses get the same addresses from ``fake_services.environ()``.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests_support.fakes.server import FakeMusicServices


@pytest.fixture(scope="session")
def fake_services_running() -> Iterator[FakeMusicServices]:
    """The servers, started once per test session (cheap to reset, cheaper not to restart)."""
    services = FakeMusicServices().start()
    yield services
    services.stop()


@pytest.fixture
def fake_services(
    fake_services_running: FakeMusicServices, settings
) -> Iterator[FakeMusicServices]:
    fake_services_running.reset()
    for name, value in fake_services_running.environ().items():
        setattr(settings, name, value)
    yield fake_services_running
    fake_services_running.reset()


@pytest.fixture
def fast_http(settings) -> None:
    """Retry backoff, timeouts and pacing shrunk so fault tests run in milliseconds."""
    settings.MUSICFLOW_HTTP_BACKOFF_SECONDS = 0.01
    settings.MUSICFLOW_HTTP_CONNECT_TIMEOUT = 1.0
    settings.MUSICFLOW_HTTP_READ_TIMEOUT = 0.5
    settings.MUSICFLOW_SOURCE_MIN_INTERVAL = {"spotify": 0.0, "reccobeats": 0.0}
