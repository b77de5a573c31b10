"""URL routes. Each app adds its routes in its own block."""

from __future__ import annotations

from django.contrib import admin
from django.urls import include, path

urlpatterns = [
    path("admin/", admin.site.urls),
    path("accounts/", include("django.contrib.auth.urls")),
    # --- api ---
    path("api/", include("musicflow_site.api.urls")),
    path("", include("musicflow_site.api.original_urls")),
    # --- website ---
    path("", include("website.urls")),
    path("", include("social_django.urls", namespace="social")),
]
