"""Predictor routes: under /api/ (namespace "api"), and the original three at the root."""

from __future__ import annotations

from django.urls import path

import musicflow_site.api.converters  # noqa: F401  (registers <object_id:...>)
from predictor import apis

original_urlpatterns = [
    path("raw_features/", apis.RawFeaturesApi.as_view(), name="raw-features"),
    path("features/", apis.FeaturesApi.as_view(), name="features"),
    path("prediction/", apis.PredictionApi.as_view(), name="prediction"),
]

urlpatterns = [
    *original_urlpatterns,
    path("predictions/", apis.PredictionBatchApi.as_view(), name="predictions"),
    path("models/", apis.ModelListApi.as_view(), name="model-list"),
    path("models/<object_id:version_id>/", apis.ModelDetailApi.as_view(), name="model-detail"),
    path(
        "models/<object_id:version_id>/activate/",
        apis.ModelActivateApi.as_view(),
        name="model-activate",
    ),
]
