"""The models page: versions with holdout metrics vs baselines, charts, activate, retrain."""

from __future__ import annotations

import json

import pytest
from django.conf import settings
from django.urls import reverse

from predictor.models import ModelVersion

pytestmark = pytest.mark.django_db


def _json_script(html: str, element_id: str) -> dict:
    marker = f'<script id="{element_id}" type="application/json">'
    start = html.index(marker) + len(marker)
    return json.loads(html[start : html.index("</script>", start)])


def test_versions_are_listed_with_metrics_and_the_active_one_marked(
    client, user, trained_versions
):
    client.force_login(user)

    html = client.get(reverse("website:models")).content.decode()

    active = next(v for v in trained_versions if v.is_active)
    for version in trained_versions:
        assert f'data-testid="model-version-{version.version}"' in html
    row = html.split(f'data-testid="model-version-{active.version}"', 1)[1].split("</tr>", 1)[0]
    assert ">active<" in row
    assert f"{active.metric('roc_auc'):.3f}" in row
    assert f"{active.baseline_metric('popularity', 'roc_auc'):.3f}" in row


def test_the_selected_version_has_holdout_and_importance_charts(client, user, trained_versions):
    client.force_login(user)
    version = trained_versions[0]

    html = client.get(reverse("website:models"), {"version": version.pk}).content.decode()

    scatter = _json_script(html, "holdout-chart")
    importance = _json_script(html, "importance-chart")
    assert len(scatter["points"]) == len(version.holdout_points) > 0
    assert importance["labels"]
    assert len(importance["labels"]) == len(importance["values"])


def test_activating_the_other_version_switches_the_active_one(client, user, trained_versions):
    client.force_login(user)
    inactive = next(v for v in trained_versions if not v.is_active)

    response = client.post(reverse("website:model_activate", args=[inactive.pk]))

    assert response.status_code == 302
    assert ModelVersion.objects.get(owner=user, is_active=True).pk == inactive.pk
    page = client.get(reverse("website:models")).content.decode()
    assert f"Version {inactive.version} now answers your predictions." in page


def test_a_failed_version_cannot_be_activated(client, user, trained_versions):
    failed = ModelVersion.objects.create(owner=user, version=99, status="failed", error="boom")
    client.force_login(user)

    client.post(reverse("website:model_activate", args=[failed.pk]))

    assert not ModelVersion.objects.get(pk=failed.pk).is_active
    page = client.get(reverse("website:models")).content.decode()
    assert "Version 99 was not activated" in page


def test_another_users_version_is_a_404(client, other_user, trained_versions):
    client.force_login(other_user)

    response = client.post(reverse("website:model_activate", args=[trained_versions[0].pk]))

    assert response.status_code == 404


def test_retrain_queues_a_training_on_the_training_cluster(
    client, user, django_capture_on_commit_callbacks
):
    from django_q.brokers import get_broker

    broker = get_broker(settings.MUSICFLOW_TRAINING_CLUSTER)
    before = broker.queue_size()
    client.force_login(user)

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("website:model_retrain"))

    assert response.status_code == 302
    assert broker.queue_size() == before + 1


def test_no_model_yet_is_an_empty_state(client, user):
    client.force_login(user)

    response = client.get(reverse("website:models"))

    assert b"No model yet" in response.content
