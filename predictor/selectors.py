"""Reads of the model registry, always scoped to the user asking."""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.base_user import AbstractBaseUser
from django.db.models import Count, IntegerField, OuterRef, Q, QuerySet, Subquery, Value
from django.db.models.functions import Coalesce

from predictor.errors import ModelVersionNotFound, NoActiveModel
from predictor.ml.predict import percentile_of
from predictor.models import ModelStatus, ModelVersion
from streams.models import ResolutionStatus


def _owner_id(user: AbstractBaseUser | None) -> int | None:
    return user.pk if user is not None and user.is_authenticated else None


def model_versions_for_user(*, user: AbstractBaseUser) -> QuerySet[ModelVersion]:
    """The user's own versions, newest first."""
    return ModelVersion.objects.filter(owner_id=user.pk).order_by("-version")


def model_version_get_for_user(*, user: AbstractBaseUser, version_id: int) -> ModelVersion:
    """The user's version with that id; ModelVersionNotFound for anyone else's."""
    version = ModelVersion.objects.filter(owner_id=user.pk, pk=version_id).first()
    if version is None:
        raise ModelVersionNotFound(f"no model version {version_id}")
    return version


def model_version_active(*, owner: AbstractBaseUser | None) -> ModelVersion | None:
    """The owner's active version (owner None: the site default), if any."""
    owner_id = _owner_id(owner)
    return ModelVersion.objects.filter(owner_id=owner_id, is_active=True).first()


# A version's training reports: kilobytes of JSON that nothing on the serving path reads.
_REPORT_FIELDS = (
    "params",
    "candidates",
    "metrics",
    "baselines",
    "cv_metrics",
    "champion_comparison",
    "feature_names",
    "neutralised_features",
    "importances",
    "holdout_points",
    "library_versions",
    "notes",
    "error",
)


def model_version_serving(*, user: AbstractBaseUser | None) -> ModelVersion:
    """The version that answers this user: their own active one, else the site default.

    Asked on every prediction, so it is read without its training reports (deferred:
    reading one of those fields costs a query of its own).
    """
    owner_id = _owner_id(user)
    scope = Q(owner_id=owner_id) | Q(owner__isnull=True) if owner_id else Q(owner__isnull=True)
    candidates = ModelVersion.objects.filter(scope, is_active=True).defer(*_REPORT_FIELDS)
    # The user's own model first (owner_id NULLs sort after or before by backend, so
    # order explicitly on "is it the site default").
    versions = sorted(candidates, key=lambda v: v.owner_id is None)
    if not versions:
        raise NoActiveModel("no active model: train one first (manage.py train --user NAME)")
    return versions[0]


def model_version_percentile(*, version: ModelVersion, prediction: float) -> float:
    """Where a prediction falls (0-100) among the version's predictions for its catalog."""
    return percentile_of(value=prediction, percentiles=list(version.prediction_percentiles))


def users_due_for_training(*, min_new_plays: int | None = None) -> list[int]:
    """Users with at least `min_new_plays` more resolved plays than their last version saw.

    Users with a training running are left out; the lock would refuse them anyway.
    """
    threshold = (
        settings.MUSICFLOW_RETRAIN_MIN_NEW_PLAYS if min_new_plays is None else min_new_plays
    )
    last_seen = (
        # Failed versions count too: a history that cannot be trained waits for new
        # plays instead of being retried on every tick.
        ModelVersion.objects.filter(owner_id=OuterRef("pk"))
        .order_by("-version")
        .values("resolved_plays")[:1]
    )
    users = (
        get_user_model()
        .objects.annotate(
            resolved=Count("plays", filter=Q(plays__resolution_status=ResolutionStatus.RESOLVED)),
            seen=Coalesce(Subquery(last_seen, output_field=IntegerField()), Value(0)),
        )
        .exclude(model_versions__status=ModelStatus.TRAINING)
        .filter(resolved__gt=0)
        .order_by("pk")
    )
    return [u.pk for u in users if u.resolved - u.seen >= threshold]
