"""The streams API: history imports, plays, tracks and listening statistics.

One APIView per operation (GET and POST /api/imports/ share a path, as the API's users
know it, so that view has two); each validates its input with a nested serializer,
calls one service or selector, and shapes the answer with a nested OutputSerializer.
Every object is fetched through a selector that checks ownership, so another user's
id answers 404, exactly like an id that does not exist.
"""

from __future__ import annotations

from datetime import UTC
from typing import Any

from django.conf import settings
from django.urls import reverse
from django.utils import timezone
from drf_spectacular.utils import extend_schema, extend_schema_field
from rest_framework import serializers, status
from rest_framework.parsers import MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from musicflow_site.api.pagination import paginated_response
from musicflow_site.api.schema import (
    AUTH_ERRORS,
    PAGINATION_PARAMETERS,
    error_responses,
    paginated,
)
from streams.enrichment.progress import enrichment_progress_for_user
from streams.errors import UploadTooLarge
from streams.models import AUDIO_FEATURE_FIELDS, ImportStatus, ResolutionStatus
from streams.selectors import (
    history_import_get_for_user,
    imports_for_user,
    plays_list,
    track_listening_get,
)
from streams.selectors_stats import (
    TOP_LIMIT_MAX,
    StatsPeriod,
    stats_overview,
    stats_year_recap,
    stats_years,
    time_zone_get,
)
from streams.services.history_import import history_import_create

# Multipart framing around the files: boundaries, part headers, other fields.
_MULTIPART_OVERHEAD_BYTES = 64 * 1024


# --- history imports -----------------------------------------------------------------------


class HistoryImportSerializer(serializers.Serializer):
    """An import and its progress (the list, the detail and the upload's answer)."""

    id = serializers.IntegerField()
    status = serializers.ChoiceField(
        choices=ImportStatus.choices,
        help_text="queued -> running -> done | failed.",
    )
    file_names = serializers.ListField(child=serializers.CharField())
    files = serializers.ListField(
        child=serializers.DictField(),
        help_text="Per file found: its name, the format recognised and the rows read.",
    )
    rows_read = serializers.IntegerField()
    plays_created = serializers.IntegerField()
    duplicates = serializers.IntegerField(help_text="Rows already imported before.")
    skipped = serializers.DictField(
        child=serializers.IntegerField(), help_text="Rows (or files) not stored, by reason."
    )
    resolved = serializers.IntegerField(help_text="New plays matched to a track.")
    unresolved = serializers.IntegerField(help_text="New plays not (yet) matched.")
    error = serializers.CharField(help_text="Why the import failed; empty otherwise.")
    created_at = serializers.DateTimeField()
    started_at = serializers.DateTimeField(allow_null=True)
    finished_at = serializers.DateTimeField(allow_null=True)


class ImportsApi(APIView):
    parser_classes = [MultiPartParser]

    class UploadSerializer(serializers.Serializer):
        files = serializers.ListField(
            child=serializers.FileField(),
            allow_empty=False,
            help_text="The export zip, or one or more of its JSON files.",
        )

    @extend_schema(
        operation_id="imports_list",
        summary="Your imports",
        description="Your history imports, newest first, with their progress and reports.",
        parameters=PAGINATION_PARAMETERS,
        responses={
            200: paginated(HistoryImportSerializer, "PaginatedHistoryImportList"),
            **error_responses(*AUTH_ERRORS),
        },
    )
    def get(self, request: Request) -> Response:
        return paginated_response(
            queryset=imports_for_user(user=request.user),
            serializer_class=HistoryImportSerializer,
            request=request,
            view=self,
        )

    @extend_schema(
        operation_id="imports_create",
        summary="Upload a Spotify export",
        description="Stores the upload and imports it in the background: answers 202 with "
        "the queued import at once; follow it at its `Location`. Size-limited "
        "(MUSICFLOW_UPLOAD_MAX_BYTES); importing the same plays twice adds nothing.",
        request={"multipart/form-data": UploadSerializer},
        responses={
            202: HistoryImportSerializer,
            **error_responses(
                status.HTTP_400_BAD_REQUEST,
                status.HTTP_413_REQUEST_ENTITY_TOO_LARGE,
                status.HTTP_415_UNSUPPORTED_MEDIA_TYPE,
                *AUTH_ERRORS,
            ),
        },
    )
    def post(self, request: Request) -> Response:
        _refuse_oversized_body(request)
        serializer = self.UploadSerializer(data={"files": request.FILES.getlist("files")})
        serializer.is_valid(raise_exception=True)
        history_import = history_import_create(
            owner=request.user, uploads=serializer.validated_data["files"]
        )
        location = reverse("api:import-detail", kwargs={"import_id": history_import.pk})
        return Response(
            HistoryImportSerializer(history_import).data,
            status=status.HTTP_202_ACCEPTED,
            headers={"Location": location},
        )


def _refuse_oversized_body(request: Request) -> None:
    """Refuse by the declared length, before the body is read or spooled to disk."""
    try:
        declared = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        declared = 0
    limit = settings.MUSICFLOW_UPLOAD_MAX_BYTES
    if declared > limit + _MULTIPART_OVERHEAD_BYTES:
        raise UploadTooLarge(
            f"the upload is {declared} bytes, more than the {limit} accepted "
            "(MUSICFLOW_UPLOAD_MAX_BYTES)"
        )


class ImportDetailApi(APIView):
    class OutputSerializer(HistoryImportSerializer):
        class EnrichmentSerializer(serializers.Serializer):
            status = serializers.CharField(help_text="queued, running, waiting, done or failed.")
            done = serializers.IntegerField(help_text="Searches and tracks finished.")
            remaining = serializers.IntegerField(help_text="Searches and tracks still to do.")
            next_retry_at = serializers.DateTimeField(
                allow_null=True, help_text="When a rate-limited source is asked again."
            )
            plays_resolved = serializers.IntegerField()
            plays_unresolved = serializers.IntegerField()
            notes = serializers.ListField(
                child=serializers.CharField(), help_text="Skipped steps and why."
            )
            error = serializers.CharField()
            updated_at = serializers.DateTimeField(allow_null=True)

        enrichment = EnrichmentSerializer(
            allow_null=True,
            help_text="Your background resolution and enrichment (all imports share it); "
            "null before it first runs.",
        )

    @extend_schema(
        operation_id="imports_retrieve",
        summary="One import",
        description="An import's progress and report, with the background resolution and "
        "enrichment that follows it. Another user's import is a 404.",
        responses={
            200: OutputSerializer,
            **error_responses(status.HTTP_404_NOT_FOUND, *AUTH_ERRORS),
        },
    )
    def get(self, request: Request, import_id: int) -> Response:
        history_import = history_import_get_for_user(user=request.user, import_id=import_id)
        history_import.enrichment = enrichment_progress_for_user(user_id=request.user.pk)
        return Response(self.OutputSerializer(history_import).data)


# --- plays and tracks ----------------------------------------------------------------------


class TrackBriefSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    spotify_id = serializers.CharField(allow_null=True)
    name = serializers.CharField()
    primary_artist = serializers.CharField()


class PlayListApi(APIView):
    class FilterSerializer(serializers.Serializer):
        start = serializers.DateField(required=False, help_text="First day included (UTC).")
        end = serializers.DateField(required=False, help_text="Last day included (UTC).")
        track = serializers.IntegerField(
            required=False,
            min_value=1,
            max_value=2**63 - 1,
            help_text="Only plays resolved to this track id.",
        )

        def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
            return _checked_range(attrs)

    class OutputSerializer(serializers.Serializer):
        id = serializers.IntegerField()
        played_at = serializers.DateTimeField(help_text="When the play ended (UTC).")
        ms_played = serializers.IntegerField()
        track_name = serializers.CharField(help_text="As the export named it.")
        artist_name = serializers.CharField()
        album_name = serializers.CharField()
        spotify_track_uri = serializers.CharField()
        platform = serializers.CharField()
        reason_start = serializers.CharField()
        reason_end = serializers.CharField()
        shuffle = serializers.BooleanField(allow_null=True)
        skipped = serializers.BooleanField(allow_null=True)
        offline = serializers.BooleanField(allow_null=True)
        incognito_mode = serializers.BooleanField(allow_null=True)
        source_format = serializers.CharField()
        history_import = serializers.IntegerField(source="history_import_id", allow_null=True)
        resolution_status = serializers.ChoiceField(choices=ResolutionStatus.choices)
        unresolved_reason = serializers.CharField()
        track = TrackBriefSerializer(allow_null=True)

    @extend_schema(
        operation_id="plays_list",
        summary="Your plays",
        description="Your plays, newest first, filtered by date range and resolved track.",
        parameters=[FilterSerializer, *PAGINATION_PARAMETERS],
        responses={
            200: paginated(OutputSerializer, "PaginatedPlayList"),
            **error_responses(status.HTTP_400_BAD_REQUEST, *AUTH_ERRORS),
        },
    )
    def get(self, request: Request) -> Response:
        filters = self.FilterSerializer(data=request.query_params)
        filters.is_valid(raise_exception=True)
        data = filters.validated_data
        plays = plays_list(
            user=request.user,
            period=StatsPeriod(start=data.get("start"), end=data.get("end")),
            track_id=data.get("track"),
        )
        return paginated_response(
            queryset=plays, serializer_class=self.OutputSerializer, request=request, view=self
        )


def _checked_range(attrs: dict[str, Any]) -> dict[str, Any]:
    start, end = attrs.get("start"), attrs.get("end")
    if start and end and start > end:
        raise serializers.ValidationError({"end": "Must not be before start."})
    return attrs


class TrackDetailApi(APIView):
    class OutputSerializer(serializers.Serializer):
        class ListeningSerializer(serializers.Serializer):
            plays = serializers.IntegerField()
            streams = serializers.IntegerField(help_text="Plays of at least 30 seconds.")
            ms_played = serializers.IntegerField()
            first_played_at = serializers.DateTimeField()
            last_played_at = serializers.DateTimeField()

        id = serializers.IntegerField(source="track.id")
        spotify_id = serializers.CharField(source="track.spotify_id", allow_null=True)
        spotify_url = serializers.CharField(source="track.spotify_url")
        name = serializers.CharField(source="track.name")
        artists = serializers.ListField(child=serializers.DictField(), source="track.artists")
        album_name = serializers.CharField(source="track.album_name")
        release_date = serializers.CharField(source="track.release_date")
        release_date_precision = serializers.CharField(source="track.release_date_precision")
        duration_ms = serializers.IntegerField(source="track.duration_ms", allow_null=True)
        explicit = serializers.BooleanField(source="track.explicit", allow_null=True)
        popularity = serializers.IntegerField(source="track.popularity", allow_null=True)
        isrc = serializers.CharField(source="track.isrc")
        audio_features = serializers.SerializerMethodField()
        field_sources = serializers.DictField(
            child=serializers.CharField(),
            source="track.field_sources",
            help_text="Which source supplied each field.",
        )
        is_synthetic = serializers.BooleanField(source="track.is_synthetic")
        listening = ListeningSerializer(source="*")

        @extend_schema_field(serializers.DictField(child=serializers.FloatField(allow_null=True)))
        def get_audio_features(self, obj: Any) -> dict[str, float | None]:
            return {name: getattr(obj.track, name) for name in AUDIO_FEATURE_FIELDS}

    @extend_schema(
        operation_id="tracks_retrieve",
        summary="A track from your history",
        description="Metadata, audio features, which source supplied what, and how you "
        "listened to it. A track you never played is a 404 here (look any song up by name "
        "with /api/raw_features/ or /api/features/).",
        responses={
            200: OutputSerializer,
            **error_responses(status.HTTP_404_NOT_FOUND, *AUTH_ERRORS),
        },
    )
    def get(self, request: Request, track_id: int) -> Response:
        listening = track_listening_get(user=request.user, track_id=track_id)
        return Response(self.OutputSerializer(listening).data)


# --- statistics ----------------------------------------------------------------------------


class TimeZoneField(serializers.CharField):
    """An IANA time zone name ("Europe/Berlin"), validated against the zone database."""

    default_error_messages = {"unknown": "Unknown time zone {value!r}; use an IANA name."}

    def to_internal_value(self, data: Any) -> Any:
        name = super().to_internal_value(data)
        try:
            return time_zone_get(name)
        except ValueError:
            self.fail("unknown", value=name)


class TopTrackSerializer(serializers.Serializer):
    track_name = serializers.CharField()
    artist_name = serializers.CharField()
    track_id = serializers.IntegerField(
        allow_null=True, help_text="The resolved track (see /api/tracks/{id}/), if resolved."
    )
    plays = serializers.IntegerField()
    streams = serializers.IntegerField(help_text="Plays of at least 30 seconds.")
    ms_played = serializers.IntegerField()


class TopArtistSerializer(serializers.Serializer):
    artist_name = serializers.CharField()
    tracks = serializers.IntegerField(help_text="Distinct track names played.")
    plays = serializers.IntegerField()
    streams = serializers.IntegerField()
    ms_played = serializers.IntegerField()


class MonthSerializer(serializers.Serializer):
    month = serializers.DateField(help_text="First day of the month.")
    plays = serializers.IntegerField()
    streams = serializers.IntegerField()
    ms_played = serializers.IntegerField()


class BucketSerializer(serializers.Serializer):
    bucket = serializers.IntegerField(help_text="Hour 0-23, or ISO weekday 1 (Mon) - 7 (Sun).")
    plays = serializers.IntegerField()
    streams = serializers.IntegerField()
    ms_played = serializers.IntegerField()


class StatsApi(APIView):
    class FilterSerializer(serializers.Serializer):
        start = serializers.DateField(
            required=False, help_text="First day included (YYYY-MM-DD, in `tz`)."
        )
        end = serializers.DateField(required=False, help_text="Last day included.")
        by = serializers.ChoiceField(
            choices=["count", "time"],
            default="count",
            help_text="Rank top lists by streams (count) or by time played.",
        )
        limit = serializers.IntegerField(min_value=1, max_value=TOP_LIMIT_MAX, default=10)
        tz = TimeZoneField(
            required=False, help_text="IANA time zone for days, months and hours (UTC)."
        )

        def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
            return _checked_range(attrs)

    class OutputSerializer(serializers.Serializer):
        start = serializers.DateField(source="period.start", allow_null=True)
        end = serializers.DateField(source="period.end", allow_null=True)
        tz = serializers.CharField(source="period.tz")
        by = serializers.CharField()
        top_tracks = TopTrackSerializer(many=True)
        top_artists = TopArtistSerializer(many=True)
        plays_per_month = MonthSerializer(many=True)
        hour_of_day = BucketSerializer(many=True, help_text="24 entries, hour 0 first.")
        weekday = BucketSerializer(many=True, help_text="7 entries, Monday first.")

    @extend_schema(
        operation_id="stats_overview",
        summary="Your listening statistics",
        description="Top tracks and artists (by stream count or by time), plays per month, "
        "and the hour-of-day and weekday profiles, over an optional date range.",
        parameters=[FilterSerializer],
        responses={
            200: OutputSerializer,
            **error_responses(status.HTTP_400_BAD_REQUEST, *AUTH_ERRORS),
        },
    )
    def get(self, request: Request) -> Response:
        filters = self.FilterSerializer(data=request.query_params)
        filters.is_valid(raise_exception=True)
        data = filters.validated_data
        period = StatsPeriod(start=data.get("start"), end=data.get("end"), tz=data.get("tz", UTC))
        overview = stats_overview(
            user=request.user, period=period, by=data["by"], limit=data["limit"]
        )
        return Response(self.OutputSerializer(overview).data)


class StatsRecapApi(APIView):
    class FilterSerializer(serializers.Serializer):
        year = serializers.IntegerField(
            required=False,
            min_value=2000,
            max_value=2100,
            help_text="Calendar year; default: the latest year with plays.",
        )
        tz = TimeZoneField(required=False, help_text="IANA time zone for the year (UTC).")

    class OutputSerializer(serializers.Serializer):
        year = serializers.IntegerField()
        years = serializers.ListField(
            child=serializers.IntegerField(), help_text="Years with plays, newest first."
        )
        plays = serializers.IntegerField()
        streams = serializers.IntegerField()
        ms_played = serializers.IntegerField()
        distinct_tracks = serializers.IntegerField()
        distinct_artists = serializers.IntegerField()
        new_artists = serializers.IntegerField(help_text="Artists first played that year.")
        top_tracks = TopTrackSerializer(many=True)
        top_artists = TopArtistSerializer(many=True)
        top_month = MonthSerializer(allow_null=True)
        busiest_day = serializers.DateField(allow_null=True)
        busiest_day_ms_played = serializers.IntegerField()

    @extend_schema(
        operation_id="stats_recap",
        summary="Your year in music",
        description="A yearly recap: totals, top five tracks and artists, new artists, the "
        "top month and the busiest day.",
        parameters=[FilterSerializer],
        responses={
            200: OutputSerializer,
            **error_responses(status.HTTP_400_BAD_REQUEST, *AUTH_ERRORS),
        },
    )
    def get(self, request: Request) -> Response:
        filters = self.FilterSerializer(data=request.query_params)
        filters.is_valid(raise_exception=True)
        tz = filters.validated_data.get("tz", UTC)
        years = stats_years(user=request.user, tz=tz)
        year = filters.validated_data.get("year") or _default_year(years)
        recap = stats_year_recap(user=request.user, year=year, tz=tz)
        return Response(self.OutputSerializer({**vars(recap), "years": years}).data)


def _default_year(years: list[int]) -> int:
    return years[0] if years else timezone.now().astimezone(UTC).year
