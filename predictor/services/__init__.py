"""Writes and side effects of the predictor app (see the modules for details).

Other apps import from here: `training_request(user_id=...)` when enrichment of a
user's tracks finishes; `model_predict(user=..., track=...)` to serve a prediction.
"""

from __future__ import annotations

from predictor.services.dataset import Dataset, DatasetReport, dataset_build_for_user
from predictor.services.prediction import (
    ModelPrediction,
    TrackFeatures,
    model_predict,
    track_features_for_user,
)
from predictor.services.registry import (
    model_cache_clear,
    model_version_activate,
    model_version_archive,
    model_version_pipeline,
    model_version_restore,
)
from predictor.services.training import (
    TrainingOutcome,
    context_ablation_for_user,
    model_version_train,
    retraining_queue_due,
    schedules_install,
    training_enqueue,
    training_request,
    training_request_run,
)

__all__ = [
    "Dataset",
    "DatasetReport",
    "ModelPrediction",
    "TrackFeatures",
    "TrainingOutcome",
    "context_ablation_for_user",
    "dataset_build_for_user",
    "model_cache_clear",
    "model_predict",
    "model_version_activate",
    "model_version_archive",
    "model_version_pipeline",
    "model_version_restore",
    "model_version_train",
    "retraining_queue_due",
    "schedules_install",
    "track_features_for_user",
    "training_enqueue",
    "training_request",
    "training_request_run",
]
