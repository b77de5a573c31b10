from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import DatabaseError
from django.utils import timezone
from django_q.brokers import get_broker
from django_q.signing import SignedPackage
from django_q.status import Stat, Status

from musicflow_site.api.health import CLUSTER_MEMO_SECONDS, health_cluster, health_memo_forget
from predictor.models import ModelStatus, ModelVersion
from streams.enrichment.ratelimit import source_block

pytestmark = pytest.mark.django_db


def _active_model(owner=None, version: int = 1) -> ModelVersion:
    return ModelVersion.objects.create(
        owner=owner, version=version, status=ModelStatus.READY, is_active=True
    )


@pytest.fixture
def site_default_model():
    return _active_model()


@pytest.fixture(autouse=True)
def _no_memoised_heartbeat():
    health_memo_forget()
    yield
    health_memo_forget()


def _cluster_heartbeat(cluster_id: str = "test-cluster") -> Status:
    """Publish a cluster status the way a running django-q2 sentinel does."""
    status = Status(pid=1234, cluster_id=cluster_id)
    get_broker().set_stat(Stat.get_key(cluster_id), SignedPackage.dumps(status, True), 30)
    return status


def test_health_is_public_and_reports_the_database(api_client, site_default_model):
    response = api_client.get("/api/health")
    assert response.status_code == 200
    body = response.json()
    assert body["database"]["ok"] is True
    assert body["database"]["vendor"] in {"sqlite", "postgresql"}
    assert body["models"]["site_default"]["version"] == 1


def test_original_health_path_answers_like_the_api_one(api_client, site_default_model):
    original = api_client.get("/health")
    assert original.status_code == 200
    assert original.json().keys() == api_client.get("/api/health").json().keys()


def test_no_active_model_at_all_is_503_with_the_reason(api_client):
    response = api_client.get("/api/health")
    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "unavailable"
    assert any("no active model" in reason for reason in body["reasons"])


def test_only_user_models_is_degraded_for_anonymous_callers(api_client, user):
    _active_model(owner=user)
    response = api_client.get("/api/health")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "degraded"
    assert body["models"] == {"site_default": None, "user_models_active": 1}
    assert any("site-default" in reason for reason in body["reasons"])


def test_sources_are_listed_in_chain_order_with_their_state(
    api_client, site_default_model, settings
):
    settings.MUSICFLOW_FEATURE_SOURCES = ["catalog", "reccobeats", "spotify"]
    settings.SPOTIFY_CLIENT_ID = ""
    until = timezone.now() + timedelta(hours=1)
    source_block(source="reccobeats", until=until)
    sources = {s["name"]: s for s in api_client.get("/api/health").json()["sources"]}
    assert list(sources)[:2] == ["catalog", "reccobeats"]
    assert sources["catalog"]["available"] is True
    assert sources["reccobeats"]["available"] is False
    assert "rate-limited" in sources["reccobeats"]["reason"]
    assert sources["spotify"]["available"] is False  # no credentials configured
    body = api_client.get("/api/health").json()
    assert any("no remote feature source" in reason for reason in body["reasons"])
    assert body["status"] == "degraded"


def test_no_task_cluster_is_degraded_with_a_reason(api_client, site_default_model):
    body = api_client.get("/api/health").json()
    assert body["cluster"] == {"ok": False, "clusters": 0, "last_heartbeat": None}
    assert body["status"] == "degraded"
    assert any("task cluster" in reason for reason in body["reasons"])


def test_a_cluster_heartbeat_is_reported(api_client, site_default_model):
    beat = _cluster_heartbeat()
    body = api_client.get("/api/health").json()
    assert body["cluster"]["ok"] is True
    assert body["cluster"]["clusters"] == 1
    assert body["cluster"]["last_heartbeat"].startswith(beat.timestamp.strftime("%Y-%m-%dT%H:%M"))
    assert not any("task cluster" in reason for reason in body["reasons"])


def test_the_heartbeat_is_read_again_only_once_its_memo_expires():
    unseen = health_cluster(now=1000.0)
    _cluster_heartbeat()
    assert health_cluster(now=1000.0 + CLUSTER_MEMO_SECONDS - 0.1) == unseen
    assert health_cluster(now=1000.0 + CLUSTER_MEMO_SECONDS).clusters == unseen.clusters + 1


def test_unreachable_database_is_503_with_the_reason(api_client, monkeypatch):
    # The database driver is the edge here: make its cursor fail like a lost server.
    from django.db import connection

    def broken_cursor(*args, **kwargs):
        raise DatabaseError("connection refused")

    monkeypatch.setattr(connection, "cursor", broken_cursor)
    response = api_client.get("/api/health")
    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "unavailable"
    assert body["reasons"] == ["database unreachable"]
    assert body["database"]["error"] == "connection refused"


def test_health_is_throttled_for_anonymous_callers(api_client, site_default_model, throttle_rates):
    throttle_rates(anon="2/min")
    codes = [api_client.get("/api/health").status_code for _ in range(3)]
    assert codes == [200, 200, 429]
    response = api_client.get("/api/health")
    assert response.json()["code"] == "throttled"
    assert int(response["Retry-After"]) > 0
    assert response.json()["retry_after"] == int(response["Retry-After"])
