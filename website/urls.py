from __future__ import annotations

from django.urls import path

from website.views import account, auth, dashboard, models, pages, stats

app_name = "website"

urlpatterns = [
    path("", pages.home, name="home"),
    path("login/spotify/", auth.spotify_begin, name="spotify_begin"),
    path("complete/spotify/", auth.spotify_complete, name="spotify_complete"),
    path("dashboard/", dashboard.imports_page, name="dashboard"),
    path("dashboard/imports/", dashboard.import_create, name="import_create"),
    path(
        "dashboard/imports/<int:import_id>/progress/",
        dashboard.import_progress,
        name="import_progress",
    ),
    path("dashboard/stats/", stats.stats_page, name="stats"),
    path("dashboard/models/", models.models_page, name="models"),
    path("dashboard/models/retrain/", models.model_retrain, name="model_retrain"),
    path(
        "dashboard/models/<int:version_id>/activate/",
        models.model_activate,
        name="model_activate",
    ),
    path("dashboard/account/", account.account_page, name="account"),
    path("dashboard/account/token/", account.api_token_reset, name="api_token_reset"),
    path("dashboard/account/export.<str:fmt>", account.plays_export, name="plays_export"),
    path("dashboard/account/delete/", account.account_delete, name="account_delete"),
]
