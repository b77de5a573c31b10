"""Registry writes: activate (rollback), archive, and sha256-checked artifact loading.

Every state change is a compare-and-set (`filter(<expected state>).update(...)`), and
the database constraints are the last word: two workers racing to activate two
versions of one owner cannot both succeed.
"""

from __future__ import annotations

import logging
import threading
from collections import OrderedDict

from django.contrib.auth.base_user import AbstractBaseUser
from django.db import IntegrityError, transaction
from django.utils import timezone
from sklearn.pipeline import Pipeline

from predictor.errors import ModelArtifactMissing, ModelVersionStateError
from predictor.ml.artifact import artifact_load
from predictor.models import ModelStatus, ModelVersion

logger = logging.getLogger(__name__)

# Fitted pipelines per process, by version id (an id's artifact never changes).
_CACHE_SIZE = 8
_cache: OrderedDict[int, Pipeline] = OrderedDict()
_cache_lock = threading.Lock()


class _Unchecked:
    """Sentinel: activate without comparing against the currently active version."""


UNCHECKED = _Unchecked()


def model_version_activate(
    *,
    version: ModelVersion,
    promoted_by: AbstractBaseUser | None = None,
    expected_active_id: int | _Unchecked | None = UNCHECKED,
) -> ModelVersion:
    """Makes a ready version its owner's only active one (also how rollback works).

    `expected_active_id` (optional) is the compare-and-set guard: the caller's view of
    which version was active; if another activation got there first, nothing changes
    and ModelVersionStateError is raised.
    """
    with transaction.atomic():
        current = (
            ModelVersion.objects.select_for_update()
            .filter(owner_id=version.owner_id, is_active=True)
            .first()
        )
        current_id = current.pk if current else None
        if expected_active_id is not UNCHECKED and current_id != expected_active_id:
            raise ModelVersionStateError(
                f"the active version changed (now {current_id}, expected {expected_active_id})"
            )
        if current_id == version.pk:
            return version
        if current is not None:
            ModelVersion.objects.filter(pk=current.pk, is_active=True).update(is_active=False)
        try:
            with transaction.atomic():
                changed = ModelVersion.objects.filter(
                    pk=version.pk, owner_id=version.owner_id, status=ModelStatus.READY
                ).update(
                    is_active=True,
                    promoted_by=promoted_by,
                    promoted_at=timezone.now(),
                )
        except IntegrityError as exc:
            raise ModelVersionStateError("another version was activated at the same time") from exc
        if changed != 1:
            raise ModelVersionStateError(
                f"version {version.version} is {_status_of(version)}, only a ready version can be activated"
            )
    version.refresh_from_db()
    logger.info("activated %s", version)
    return version


def _status_of(version: ModelVersion) -> str:
    status = ModelVersion.objects.filter(pk=version.pk).values_list("status", flat=True).first()
    return status or "gone"


def model_version_archive(*, version: ModelVersion) -> ModelVersion:
    """Archives a version that is not active (its artifact is kept; it can be restored)."""
    changed = (
        ModelVersion.objects.filter(pk=version.pk, is_active=False)
        .exclude(status=ModelStatus.TRAINING)
        .update(status=ModelStatus.ARCHIVED)
    )
    if changed != 1:
        raise ModelVersionStateError(
            f"version {version.version} is active or still training; "
            "activate another version before archiving this one"
        )
    version.refresh_from_db()
    return version


def model_version_restore(*, version: ModelVersion) -> ModelVersion:
    """Brings an archived version back to ready, so it can be activated again."""
    changed = ModelVersion.objects.filter(pk=version.pk, status=ModelStatus.ARCHIVED).update(
        status=ModelStatus.READY
    )
    if changed != 1:
        raise ModelVersionStateError(f"version {version.version} is not archived")
    version.refresh_from_db()
    return version


def model_version_pipeline(*, version: ModelVersion) -> Pipeline:
    """The version's fitted pipeline, loaded once per process after its sha256 matches.

    Raises ArtifactIntegrityError (and never unpickles) when the stored bytes differ
    from the sha256 recorded at training time, ModelArtifactMissing when the storage
    does not have the file.
    """
    with _cache_lock:
        cached = _cache.get(version.pk)
        if cached is not None:
            _cache.move_to_end(version.pk)
            return cached
    pipeline = artifact_load(
        data=_artifact_read(version=version), expected_sha256=version.artifact_sha256
    )
    with _cache_lock:
        _cache[version.pk] = pipeline
        while len(_cache) > _CACHE_SIZE:
            _cache.popitem(last=False)
    logger.info("loaded %s (sha256 %s)", version, version.artifact_sha256[:12])
    return pipeline


def _artifact_read(*, version: ModelVersion) -> bytes:
    """The version's stored bytes; ModelArtifactMissing when the storage has none."""
    name = version.artifact.name
    if name:
        try:
            with version.artifact.open("rb") as handle:
                return handle.read()
        except FileNotFoundError:
            pass
    logger.error("%s: artifact %r is missing from the model storage", version, name)
    raise ModelArtifactMissing(
        f"the stored model of version {version.version} is missing; it cannot be loaded "
        "until its file is restored or another version is activated"
    )


def model_cache_clear() -> None:
    """Forgets every loaded pipeline (tests, and after an artifact store migration)."""
    with _cache_lock:
        _cache.clear()
