"""Routes under /api/ (namespace "api"); the schema and its two viewers are served here."""

from __future__ import annotations

from django.urls import include, path, re_path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

from musicflow_site.api.apis import HealthApi, NoSuchEndpointApi, TokenCreateApi
from musicflow_site.api.docs import OfflineRedocView

app_name = "api"

urlpatterns = [
    path("health", HealthApi.as_view(), name="health"),
    path("token/", TokenCreateApi.as_view(), name="token"),
    path("schema/", SpectacularAPIView.as_view(), name="schema"),
    path("docs/", SpectacularSwaggerView.as_view(url_name="api:schema"), name="docs"),
    path("redoc/", OfflineRedocView.as_view(url_name="api:schema"), name="redoc"),
    path("", include("streams.api_urls")),
    path("", include("predictor.api_urls")),
    # Last: anything else under /api/ is a JSON 404 (any method).
    re_path(r"^[\s\S]*$", NoSuchEndpointApi.as_view(), name="no-such-endpoint"),
]
