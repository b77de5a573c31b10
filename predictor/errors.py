"""Domain errors of the predictor app (mapped to HTTP once, by the API's exception handler)."""

from __future__ import annotations

from django.http import Http404

from predictor.ml.errors import ArtifactIntegrityError, DatasetTooSmall, MlError

__all__ = [
    "ArtifactIntegrityError",
    "DatasetTooSmall",
    "MlError",
    "ModelArtifactMissing",
    "ModelVersionNotFound",
    "ModelVersionStateError",
    "NoActiveModel",
    "PredictorError",
    "TrainingDeferred",
    "TrainingInProgress",
]


class PredictorError(Exception):
    """Base class for the predictor app's own errors."""


class NoActiveModel(PredictorError):
    """Neither the user nor the site has an active model to predict with."""


class ModelVersionNotFound(PredictorError, Http404):
    """No such model version for this user; another user's looks exactly the same.

    Also an Http404, so a plain Django or DRF view answers 404 without any mapping.
    """


class ModelArtifactMissing(PredictorError):
    """A version's artifact is not in the model storage (deleted, or on a storage the web
    workers do not share with the training cluster): there is nothing to load."""


class ModelVersionStateError(PredictorError):
    """The version is not in a state that allows the operation (e.g. activating a failed one)."""


class TrainingInProgress(PredictorError):
    """Another training for the same owner is running; the database lock refused a second."""


class TrainingDeferred(PredictorError):
    """A queued training found another of the same owner running: it is remembered on
    that version and queued again once that training ends, instead of being dropped."""
