"""The original project's endpoints at the paths its users know (namespace "original").

Same views as under /api/; the schema documents them once, there.
"""

from __future__ import annotations

from django.urls import path

from musicflow_site.api.apis import HealthApi
from predictor.api_urls import original_urlpatterns as predictor_original

app_name = "original"

urlpatterns = [
    path("health", HealthApi.as_view(), name="health"),
    *predictor_original,
]
