"""The model registry: every trained model version, its metrics and its artifact.

The rules that keep serving sane are database constraints, not code conventions:
version numbers are unique per owner, at most one version per owner is active, only a
ready version can be active, and at most one training per owner runs at a time (the
"training" row is the lock; a training asked for meanwhile is remembered on that row).
The site-wide default model has no owner; because SQL treats NULLs as distinct, each
rule has a twin for owner IS NULL.
"""

from __future__ import annotations

from django.conf import settings
from django.core.files.storage import Storage, storages
from django.db import models
from django.db.models import Q


def artifact_storage() -> Storage:
    """The storage holding model artifacts; a setting so an object store can replace it."""
    return storages[settings.MUSICFLOW_MODEL_STORAGE]


def artifact_upload_to(instance: ModelVersion, filename: str) -> str:
    owner = f"user-{instance.owner_id}" if instance.owner_id else "site-default"
    return f"models/{owner}/v{instance.version}-{filename}"


class ModelStatus(models.TextChoices):
    TRAINING = "training", "Training"
    READY = "ready", "Ready"
    FAILED = "failed", "Failed"
    ARCHIVED = "archived", "Archived"


class ModelVersion(models.Model):
    """One trained (or training, or failed) model for a user or for the whole site."""

    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="model_versions",
        help_text="Empty for the site-wide default model.",
    )
    version = models.PositiveIntegerField()
    status = models.CharField(
        max_length=8, choices=ModelStatus.choices, default=ModelStatus.TRAINING
    )
    is_active = models.BooleanField(default=False)

    # What was chosen and how every candidate scored (mean Poisson deviance in CV).
    estimator = models.CharField(max_length=64, blank=True)
    params = models.JSONField(default=dict, blank=True)
    candidates = models.JSONField(default=list, blank=True)
    # Holdout metrics of the model, of the baselines ("mean", "popularity"), and the
    # cross-validated spread of all three.
    metrics = models.JSONField(default=dict, blank=True)
    baselines = models.JSONField(default=dict, blank=True)
    cv_metrics = models.JSONField(default=dict, blank=True)
    judgeable = models.BooleanField(default=False)
    judgement = models.CharField(max_length=255, blank=True)
    # Set when this version was compared with the then-active one on its holdout.
    champion_comparison = models.JSONField(default=dict, blank=True)

    feature_names = models.JSONField(default=list, blank=True)
    include_context = models.BooleanField(default=True)
    neutralised_features = models.JSONField(default=list, blank=True)
    importances = models.JSONField(default=dict, blank=True)
    # Sample of (actual, predicted) holdout pairs for the dashboard chart.
    holdout_points = models.JSONField(default=list, blank=True)
    # Percentiles 0..100 of predictions over the user's catalog (emoji bands).
    prediction_percentiles = models.JSONField(default=list, blank=True)

    dataset_user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        help_text="Whose listening history the dataset was built from.",
    )
    dataset_rows = models.PositiveIntegerField(default=0)
    dataset_positives = models.PositiveIntegerField(default=0)
    dataset_negatives = models.PositiveIntegerField(default=0)
    dataset_digest = models.CharField(max_length=64, blank=True)
    dataset_first_play_at = models.DateTimeField(null=True, blank=True)
    dataset_last_play_at = models.DateTimeField(null=True, blank=True)
    # Resolved plays of the dataset user when training started (retraining threshold).
    resolved_plays = models.PositiveIntegerField(default=0)
    library_versions = models.JSONField(default=dict, blank=True)

    artifact = models.FileField(
        upload_to=artifact_upload_to, storage=artifact_storage, max_length=255, blank=True
    )
    artifact_sha256 = models.CharField(max_length=64, blank=True)

    # A training asked for while this one ran (the lock refused it), remembered here and
    # queued once this one stops training: from this user's history, for this requester.
    # Any number of requests during one training make one training after it.
    pending_dataset_user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        help_text="Set when a training was requested while this one ran; it is queued after.",
    )
    pending_trained_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )

    training_seconds = models.FloatField(null=True, blank=True)
    error = models.TextField(blank=True)
    notes = models.TextField(blank=True)
    trained_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    promoted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    promoted_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    trained_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["owner_id", "-version"]
        indexes = [models.Index(fields=["owner", "status"])]
        constraints = [
            models.UniqueConstraint(
                fields=["owner", "version"],
                condition=Q(owner__isnull=False),
                name="model_version_unique_per_owner",
            ),
            models.UniqueConstraint(
                fields=["version"],
                condition=Q(owner__isnull=True),
                name="model_version_unique_site_default",
            ),
            models.UniqueConstraint(
                fields=["owner"],
                condition=Q(is_active=True, owner__isnull=False),
                name="one_active_model_per_owner",
            ),
            models.UniqueConstraint(
                fields=["is_active"],
                condition=Q(is_active=True, owner__isnull=True),
                name="one_active_site_default_model",
            ),
            models.UniqueConstraint(
                fields=["owner"],
                condition=Q(status="training", owner__isnull=False),
                name="one_training_per_owner",
            ),
            models.UniqueConstraint(
                fields=["status"],
                condition=Q(status="training", owner__isnull=True),
                name="one_training_site_default",
            ),
            models.CheckConstraint(
                condition=Q(is_active=False) | Q(status="ready"),
                name="model_version_active_is_ready",
            ),
            models.CheckConstraint(condition=Q(version__gte=1), name="model_version_positive"),
        ]

    def __str__(self) -> str:
        whose = f"user {self.owner_id}" if self.owner_id else "site default"
        return f"Model v{self.version} ({whose}, {self.status})"

    @property
    def is_site_default(self) -> bool:
        return self.owner_id is None

    def metric(self, name: str) -> float | None:
        value = (self.metrics or {}).get(name)
        return float(value) if isinstance(value, int | float) else None

    def baseline_metric(self, baseline: str, name: str) -> float | None:
        value = (self.baselines or {}).get(baseline, {}).get(name)
        return float(value) if isinstance(value, int | float) else None
