"""The ModelVersion admin: metrics in the list, filters, and the three actions."""

from __future__ import annotations

import pytest
from django.urls import reverse

from predictor.models import ModelStatus, ModelVersion
from predictor.services import model_version_activate
from predictor.services.training import TRAIN_TASK
from tests_support.queues import queued_tasks_by_cluster

CHANGELIST = "admin:predictor_modelversion_changelist"


@pytest.fixture
def admin_client(client, django_user_model):
    admin = django_user_model.objects.create_superuser("root", "root@example.com", "root-pass-1")
    client.force_login(admin)
    client.admin = admin
    return client


@pytest.fixture
def two_versions(user):
    old = ModelVersion.objects.create(
        owner=user,
        version=1,
        status=ModelStatus.READY,
        estimator="PoissonRegressor",
        metrics={"d2": 0.21, "roc_auc": 0.81, "spearman": 0.33},
        baselines={"popularity": {"d2": 0.05}, "mean": {"d2": 0.0}},
        dataset_user=user,
    )
    new = ModelVersion.objects.create(
        owner=user, version=2, status=ModelStatus.READY, dataset_user=user
    )
    model_version_activate(version=new)
    return old, new


def _act(admin_client, action: str, *versions: ModelVersion):
    return admin_client.post(
        reverse(CHANGELIST),
        {"action": action, "_selected_action": [v.pk for v in versions]},
        follow=True,
    )


def test_list_shows_key_metrics_and_filters(admin_client, two_versions):
    page = admin_client.get(reverse(CHANGELIST))
    assert page.status_code == 200
    html = page.content.decode()
    for text in ("D²", "ROC AUC", "D² popularity baseline", "0.210", "0.810", "0.050", "alice"):
        assert text in html
    only_site = admin_client.get(reverse(CHANGELIST), {"whose": "site"})
    assert "alice" not in only_site.content.decode().split("result_list")[-1]
    assert admin_client.get(reverse(CHANGELIST), {"status__exact": "ready"}).status_code == 200


def test_activate_action_rolls_back_to_the_selected_version(admin_client, two_versions):
    old, new = two_versions
    page = _act(admin_client, "activate_version", old)
    assert "is now active" in page.content.decode()
    old.refresh_from_db()
    new.refresh_from_db()
    assert old.is_active and not new.is_active
    assert old.promoted_by == admin_client.admin


def test_activate_action_needs_exactly_one_version(admin_client, two_versions):
    page = _act(admin_client, "activate_version", *two_versions)
    assert "Select exactly one version" in page.content.decode()


def test_archive_action_archives_inactive_versions_and_refuses_the_active_one(
    admin_client, two_versions
):
    old, new = two_versions
    page = _act(admin_client, "archive_versions", old, new)
    html = page.content.decode()
    assert "Archived 1 version(s)." in html
    assert "activate another version before archiving" in html
    old.refresh_from_db()
    new.refresh_from_db()
    assert old.status == ModelStatus.ARCHIVED
    assert new.status == ModelStatus.READY and new.is_active


def test_retrain_action_queues_one_training_per_owner(
    admin_client,
    two_versions,
    user,
    settings,
    empty_task_queues,
    django_capture_on_commit_callbacks,
):
    with django_capture_on_commit_callbacks(execute=True):
        page = _act(admin_client, "retrain_owner", *two_versions)
    assert "Queued 1 training(s)." in page.content.decode()
    queued = {
        cluster: [(t["name"], t["func"], t["args"], t["kwargs"]) for t in tasks]
        for cluster, tasks in queued_tasks_by_cluster().items()
    }
    assert queued == {
        settings.Q_CLUSTER["name"]: [],
        settings.MUSICFLOW_TRAINING_CLUSTER: [
            (
                f"train-user-{user.pk}",
                TRAIN_TASK,
                (user.pk,),
                {"site_default": False, "trained_by_id": admin_client.admin.pk},
            )
        ],
    }


def test_metrics_cannot_be_edited_by_hand(admin_client, two_versions):
    old, _ = two_versions
    url = reverse("admin:predictor_modelversion_change", args=[old.pk])
    assert admin_client.get(url).status_code == 200
    admin_client.post(url, {"notes": "kept for the audit", "metrics": "{}"})
    old.refresh_from_db()
    assert old.notes == "kept for the audit"
    assert old.metrics["d2"] == 0.21
    assert admin_client.get(reverse("admin:predictor_modelversion_add")).status_code == 403
