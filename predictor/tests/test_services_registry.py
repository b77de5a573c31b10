"""Activation (rollback), archive and restore are compare-and-set and keep one active version."""

from __future__ import annotations

import pytest

from predictor.errors import ModelVersionNotFound, ModelVersionStateError
from predictor.models import ModelStatus, ModelVersion
from predictor.selectors import model_version_get_for_user, model_versions_for_user
from predictor.services import (
    model_version_activate,
    model_version_archive,
    model_version_restore,
)


@pytest.fixture
def versions(user):
    """Three ready versions of `user` as (newest and active, oldest, middle)."""
    oldest, middle, newest = (
        ModelVersion.objects.create(owner=user, version=n, status=ModelStatus.READY)
        for n in (1, 2, 3)
    )
    return model_version_activate(version=newest), oldest, middle


def _active_ids(user) -> list[int]:
    return list(
        ModelVersion.objects.filter(owner=user, is_active=True).values_list("pk", flat=True)
    )


def test_rollback_activates_an_older_ready_version_and_records_who(versions, user, other_user):
    newest, oldest = versions[0], versions[1]
    model_version_activate(version=oldest, promoted_by=other_user)
    assert _active_ids(user) == [oldest.pk]
    oldest.refresh_from_db()
    assert oldest.promoted_by == other_user and oldest.promoted_at is not None
    newest.refresh_from_db()
    assert not newest.is_active


def test_activation_with_a_stale_expectation_changes_nothing(versions, user):
    newest, oldest, middle = versions
    with pytest.raises(ModelVersionStateError, match="active version changed"):
        model_version_activate(version=oldest, expected_active_id=middle.pk)
    assert _active_ids(user) == [newest.pk]
    model_version_activate(version=oldest, expected_active_id=newest.pk)
    assert _active_ids(user) == [oldest.pk]


def test_failed_training_or_archived_versions_cannot_be_activated(versions, user):
    newest, oldest, _ = versions
    ModelVersion.objects.filter(pk=oldest.pk).update(status=ModelStatus.FAILED)
    with pytest.raises(ModelVersionStateError, match="only a ready version"):
        model_version_activate(version=oldest)
    assert _active_ids(user) == [newest.pk]


def test_the_active_version_cannot_be_archived_but_others_can_and_come_back(versions, user):
    newest, oldest, _ = versions
    with pytest.raises(ModelVersionStateError, match="activate another version"):
        model_version_archive(version=newest)
    archived = model_version_archive(version=oldest)
    assert archived.status == ModelStatus.ARCHIVED
    with pytest.raises(ModelVersionStateError):
        model_version_activate(version=archived)
    restored = model_version_restore(version=archived)
    assert restored.status == ModelStatus.READY
    model_version_activate(version=restored)
    assert _active_ids(user) == [restored.pk]


def test_selectors_never_show_another_users_versions(versions, user, other_user):
    assert [v.version for v in model_versions_for_user(user=user)] == [3, 2, 1]
    assert list(model_versions_for_user(user=other_user)) == []
    assert model_version_get_for_user(user=user, version_id=versions[0].pk) == versions[0]
    with pytest.raises(ModelVersionNotFound):
        model_version_get_for_user(user=other_user, version_id=versions[0].pk)
