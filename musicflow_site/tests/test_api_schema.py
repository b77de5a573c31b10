from __future__ import annotations

import re

import pytest
import yaml
from django.core.management import call_command

pytestmark = pytest.mark.django_db

PUBLIC_OPERATIONS = {"health", "token_create", "prediction_get"}


@pytest.fixture(scope="module")
def schema_file(tmp_path_factory, django_db_blocker):
    path = tmp_path_factory.mktemp("schema") / "schema.yaml"
    with django_db_blocker.unblock():
        # Fails (raises) on any warning or on a schema that does not validate.
        call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(path))
    return path


@pytest.fixture(scope="module")
def schema(schema_file):
    return yaml.safe_load(schema_file.read_text())


def _operations(schema):
    for path, item in schema["paths"].items():
        for method, operation in item.items():
            yield path, method, operation


def test_schema_validates_with_no_warnings(schema):
    assert schema["openapi"].startswith("3.")
    assert "/api/health" in schema["paths"]


def test_the_original_paths_are_documented_once_under_api(schema):
    assert all(path.startswith("/api/") for path in schema["paths"])


def test_every_operation_documents_its_success_and_errors(schema):
    for path, method, operation in _operations(schema):
        codes = set(operation["responses"])
        assert codes & {"200", "201", "202"}, (path, method)
        assert "429" in codes, (path, method)
        if operation["operationId"] not in PUBLIC_OPERATIONS | {"schema_retrieve"}:
            assert "401" in codes, (path, method)
        assert operation.get("summary") or operation.get("description"), (path, method)


def test_schema_endpoint_is_public(api_client):
    response = api_client.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")
    assert response.status_code == 200
    assert "/api/health" in response.json()["paths"]


@pytest.mark.parametrize("page", ["/api/docs/", "/api/redoc/"])
def test_docs_pages_load_their_assets_locally(client, page):
    response = client.get(page)
    assert response.status_code == 200
    html = response.content.decode()
    assert "drf_spectacular_sidecar" in html
    # No script, stylesheet or image from another host: the docs work offline.
    assert not re.search(r"""(src|href)=["']https?://""", html)
