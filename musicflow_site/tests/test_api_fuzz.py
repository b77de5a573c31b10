"""Schemathesis against the live schema: no input may produce a 500, and every answer
must match what the schema documents (status, content type, body, headers)."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime, timedelta

import pytest
import schemathesis
from django.core import signals
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from hypothesis import HealthCheck, Phase, given
from hypothesis import settings as hypothesis_settings
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from musicflow_site.api.services import api_token_get_or_create
from predictor.models import ModelVersion
from streams.models import HistoryImport, Play, PlayFormat, ResolutionStatus

pytestmark = pytest.mark.django_db

EXAMPLES_PER_OPERATION = 15
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
    response_headers_conformance,
]


@pytest.fixture
def fuzz_world(site_model, user, settings, throttle_rates):
    """A user with plays, an import and a model version, the site model, no network."""
    settings.SPOTIFY_CLIENT_ID = ""  # unknown songs are 404s, never outbound requests
    throttle_rates(anon="100000/min", user="100000/min", prediction_batch="100000/min")
    start = datetime(2024, 1, 1, tzinfo=UTC)
    for n, track in enumerate(site_model.tracks[:30]):
        Play.objects.create(
            user=user,
            played_at=start + timedelta(hours=n),
            ms_played=60_000,
            track_name=track.name,
            artist_name=track.primary_artist,
            source_format=PlayFormat.EXTENDED,
            dedupe_key=hashlib.sha1(str(n).encode()).hexdigest(),
            track=track,
            resolution_status=ResolutionStatus.RESOLVED,
        )
    HistoryImport.objects.create(owner=user, file_names=["a.json"])
    ModelVersion.objects.create(owner=user, version=1, status="ready")
    return {"Authorization": f"Token {api_token_get_or_create(user=user).key}"}


@pytest.fixture
def wsgi_app():
    """The project's WSGI application, sharing the test's database connection.

    Django closes connections when a request finishes; its test client switches that
    off for the duration of a request, and so must a test driving the WSGI app itself,
    or the test's own transaction (and connection) would be closed under it."""
    for signal in (signals.request_started, signals.request_finished):
        signal.disconnect(close_old_connections)
    yield get_wsgi_application()
    for signal in (signals.request_started, signals.request_finished):
        signal.connect(close_old_connections)


def test_no_generated_request_gets_a_500_or_an_undocumented_answer(fuzz_world, wsgi_app):
    app = wsgi_app
    schema = schemathesis.openapi.from_wsgi("/api/schema/?format=json", app)
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 15
    for operation in operations:
        definition = schema.raw_schema["paths"][operation.path][operation.method.lower()]
        takes_input = bool(definition.get("parameters") or definition.get("requestBody"))
        # Invalid input only exists for operations that take some.
        modes = [GenerationMode.POSITIVE, GenerationMode.NEGATIVE][: 1 + takes_input]
        for mode in modes:
            _fuzz(operation, mode=mode, headers=fuzz_world)


def _fuzz(operation, *, mode: GenerationMode, headers: dict[str, str]) -> None:
    @given(case=operation.as_strategy(generation_mode=mode))
    @hypothesis_settings(
        max_examples=EXAMPLES_PER_OPERATION,
        deadline=None,
        database=None,
        derandomize=True,
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    def check(case) -> None:
        case.call_and_validate(headers=headers, checks=CHECKS)

    check()
