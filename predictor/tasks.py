"""django-q2 entry points: take ids, load rows, call a service."""

from __future__ import annotations

import logging

from django.contrib.auth import get_user_model

from predictor.errors import DatasetTooSmall, TrainingDeferred, TrainingInProgress
from predictor.services import retraining_queue_due, training_request_run

logger = logging.getLogger(__name__)


def model_version_train_task(
    user_id: int, site_default: bool = False, trained_by_id: int | None = None
) -> dict[str, object]:
    """Trains the user's next model version, or the site default from their history."""
    users = get_user_model().objects
    user = users.filter(pk=user_id).first()
    if user is None:
        return {"user_id": user_id, "skipped": "user no longer exists"}
    trained_by = users.filter(pk=trained_by_id).first() if trained_by_id else None
    try:
        outcome = training_request_run(user=user, site_default=site_default, trained_by=trained_by)
    except TrainingDeferred as exc:
        logger.info("training of user %s deferred: %s", user_id, exc)
        return {"user_id": user_id, "deferred": str(exc)}
    except TrainingInProgress as exc:
        logger.info("training of user %s skipped: %s", user_id, exc)
        return {"user_id": user_id, "skipped": str(exc)}
    except DatasetTooSmall as exc:
        # Recorded on the failed version; retrying cannot help until new plays arrive.
        logger.info("training of user %s not possible yet: %s", user_id, exc)
        return {"user_id": user_id, "failed": str(exc)}
    return {
        "user_id": user_id,
        "version_id": outcome.version.pk,
        "version": outcome.version.version,
        "activated": outcome.activated,
    }


def retrain_due_task() -> list[int]:
    """The continuous-training schedule: queue users with enough new resolved plays."""
    return retraining_queue_due()
