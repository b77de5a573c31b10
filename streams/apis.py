"""The streams API: history imports, plays, tracks and listening statistics.

One APIView per operation; each validates its input with a nested InputSerializer /
FilterSerializer, calls one service or selector, and shapes the answer with a nested
OutputSerializer. Every object is fetched through a selector that checks ownership,
so another user's id answers 404, exactly like an id that does not exist.
"""

from __future__ import annotations

from datetime import UTC
from typing import Any

from django.utils import timezone
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from musicflow_site.api.schema import error_responses
from streams.selectors_stats import (
    TOP_LIMIT_MAX,
    StatsPeriod,
    stats_overview,
    stats_year_recap,
    stats_years,
    time_zone_get,
)

_AUTH_ERRORS = (status.HTTP_401_UNAUTHORIZED, status.HTTP_429_TOO_MANY_REQUESTS)


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
            start, end = attrs.get("start"), attrs.get("end")
            if start and end and start > end:
                raise serializers.ValidationError({"end": "Must not be before start."})
            return attrs

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
            **error_responses(status.HTTP_400_BAD_REQUEST, *_AUTH_ERRORS),
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
            **error_responses(status.HTTP_400_BAD_REQUEST, *_AUTH_ERRORS),
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
