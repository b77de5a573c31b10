from __future__ import annotations

from django.apps import AppConfig


class PredictorConfig(AppConfig):
    name = "predictor"
    verbose_name = "Models and predictions"
    default_auto_field = "django.db.models.BigAutoField"
