"""Admin for the listening history: imports, tracks (with provenance) and plays (read-only).

Imports and plays are records of what happened, so the admin shows them and never
edits them; tracks can be corrected by hand, and show which source supplied what.
"""

from __future__ import annotations

import json
from typing import Any

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.html import format_html

from streams.models import AUDIO_FEATURE_FIELDS, HistoryImport, Play, SavedTrack, Track


def _pretty_json(value: Any) -> str:
    return format_html("<pre>{}</pre>", json.dumps(value, indent=2, sort_keys=True, default=str))


class ReadOnlyAdmin(admin.ModelAdmin):
    """Viewable by staff, never added, changed or deleted through the admin."""

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(HistoryImport)
class HistoryImportAdmin(ReadOnlyAdmin):
    list_display = (
        "id",
        "owner",
        "status",
        "files_uploaded",
        "rows_read",
        "plays_created",
        "duplicates",
        "skipped_total",
        "resolved",
        "unresolved",
        "error_summary",
        "created_at",
        "finished_at",
    )
    list_filter = ("status", "created_at")
    search_fields = ("owner__username", "error")
    list_select_related = ("owner",)
    readonly_fields = ("skipped_report", "files_report")
    exclude = ("skipped", "files")

    @admin.display(description="files")
    def files_uploaded(self, obj: HistoryImport) -> str:
        return ", ".join(obj.file_names or [])

    @admin.display(description="error")
    def error_summary(self, obj: HistoryImport) -> str:
        return obj.error if len(obj.error) <= 80 else obj.error[:79] + "…"

    @admin.display(description="skipped")
    def skipped_total(self, obj: HistoryImport) -> int:
        return sum((obj.skipped or {}).values())

    @admin.display(description="skipped by reason")
    def skipped_report(self, obj: HistoryImport) -> str:
        return _pretty_json(obj.skipped or {})

    @admin.display(description="files recognised")
    def files_report(self, obj: HistoryImport) -> str:
        return _pretty_json(obj.files or [])


class HasFeaturesFilter(admin.SimpleListFilter):
    title = "audio features"
    parameter_name = "features"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        return [("yes", "Has audio features"), ("no", "Missing audio features")]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Track]) -> QuerySet[Track]:
        if self.value() == "yes":
            return queryset.filter(danceability__isnull=False, energy__isnull=False)
        if self.value() == "no":
            return queryset.filter(danceability__isnull=True)
        return queryset


@admin.register(Track)
class TrackAdmin(admin.ModelAdmin):
    list_display = (
        "name",
        "primary_artist",
        "album_name",
        "spotify_id",
        "metadata_source",
        "features_source",
        "features_present",
        "is_synthetic",
    )
    list_filter = ("metadata_source", "features_source", HasFeaturesFilter, "is_synthetic")
    search_fields = ("name", "primary_artist", "album_name", "spotify_id", "isrc")
    readonly_fields = (
        "field_sources_report",
        "raw_sources_report",
        "metadata_fetched_at",
        "features_fetched_at",
        "created_at",
        "updated_at",
    )
    fieldsets = (
        (
            None,
            {
                "fields": (
                    "name",
                    "artists",
                    "primary_artist",
                    "album_name",
                    ("release_date", "release_date_precision"),
                    ("duration_ms", "explicit"),
                    ("popularity", "available_markets_count"),
                    ("spotify_id", "isrc"),
                    "genres",
                    "is_synthetic",
                )
            },
        ),
        ("Audio features", {"fields": AUDIO_FEATURE_FIELDS}),
        (
            "Provenance: which source supplied what",
            {
                "fields": (
                    ("metadata_source", "metadata_fetched_at"),
                    ("features_source", "features_fetched_at"),
                    "field_sources_report",
                    "raw_sources_report",
                    ("created_at", "updated_at"),
                )
            },
        ),
    )

    @admin.display(boolean=True, description="features")
    def features_present(self, obj: Track) -> bool:
        return obj.has_features

    @admin.display(description="field -> source")
    def field_sources_report(self, obj: Track) -> str:
        return _pretty_json(obj.field_sources or {})

    @admin.display(description="raw answers per source")
    def raw_sources_report(self, obj: Track) -> str:
        return _pretty_json(obj.raw_sources or {})


@admin.register(Play)
class PlayAdmin(ReadOnlyAdmin):
    list_display = (
        "played_at",
        "user",
        "track_name",
        "artist_name",
        "ms_played",
        "source_format",
        "resolution_status",
        "track",
    )
    list_filter = ("resolution_status", "source_format", "unresolved_reason")
    search_fields = ("track_name", "artist_name", "album_name", "user__username")
    list_select_related = ("user", "track")
    # Histories run to hundreds of thousands of rows: skip the unfiltered COUNT(*).
    show_full_result_count = False
    raw_id_fields = ("user", "track", "history_import")


@admin.register(SavedTrack)
class SavedTrackAdmin(ReadOnlyAdmin):
    list_display = ("user", "track", "history_import", "created_at")
    search_fields = ("track__name", "track__primary_artist", "user__username")
    list_select_related = ("user", "track")
    raw_id_fields = ("user", "track", "history_import")
