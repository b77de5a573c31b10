"""Streams routes, included under /api/ in the "api" namespace."""

from __future__ import annotations

from django.urls import path

import musicflow_site.api.converters  # noqa: F401  (registers <object_id:...>)
from streams import apis

urlpatterns = [
    path("imports/", apis.ImportsApi.as_view(), name="imports"),
    path("imports/<object_id:import_id>/", apis.ImportDetailApi.as_view(), name="import-detail"),
    path("plays/", apis.PlayListApi.as_view(), name="play-list"),
    path("tracks/<object_id:track_id>/", apis.TrackDetailApi.as_view(), name="track-detail"),
    path("stats/", apis.StatsApi.as_view(), name="stats"),
    path("stats/recap/", apis.StatsRecapApi.as_view(), name="stats-recap"),
]
