"""Streams routes, included under /api/ in the "api" namespace."""

from __future__ import annotations

from django.urls import path

from streams import apis

urlpatterns = [
    path("stats/", apis.StatsApi.as_view(), name="stats"),
    path("stats/recap/", apis.StatsRecapApi.as_view(), name="stats-recap"),
]
