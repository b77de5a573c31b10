"""Streams routes, included under /api/ in the "api" namespace."""

from __future__ import annotations

from django.urls import path

from streams import apis

urlpatterns = [
    path("imports/", apis.ImportsApi.as_view(), name="imports"),
    path("imports/<int:import_id>/", apis.ImportDetailApi.as_view(), name="import-detail"),
    path("plays/", apis.PlayListApi.as_view(), name="play-list"),
    path("tracks/<int:track_id>/", apis.TrackDetailApi.as_view(), name="track-detail"),
    path("stats/", apis.StatsApi.as_view(), name="stats"),
    path("stats/recap/", apis.StatsRecapApi.as_view(), name="stats-recap"),
]
