"""Fake external HTTP services (Spotify accounts + Web API, ReccoBeats) on 127.0.0.1.

Use the ``fake_services`` pytest fixture from ``tests_support.fakes.fixtures`` (registered
as a pytest plugin by the root conftest.py), or ``FakeMusicServices`` directly in a script.
"""

from __future__ import annotations

from tests_support.fakes.catalog import FakeArtist, FakeTrack, default_catalog, generate_catalog
from tests_support.fakes.server import (
    ENDPOINTS,
    FakeMusicServices,
    FakeSpotifyUser,
    Fault,
    RecordedRequest,
)

__all__ = [
    "ENDPOINTS",
    "FakeArtist",
    "FakeMusicServices",
    "FakeSpotifyUser",
    "FakeTrack",
    "Fault",
    "RecordedRequest",
    "default_catalog",
    "generate_catalog",
]
