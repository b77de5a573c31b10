"""Listening statistics: reads over one user's plays, for the API and the dashboard charts.

Every function takes the user and returns plain dataclasses (never querysets), so the
website can chart them and the API can serialise them without touching the ORM.
A *stream* is a play of at least MUSICFLOW_STREAM_MIN_MS (Spotify's 30-second rule);
"by count" ranks by streams, "by time" by milliseconds played. Bucketing by month,
hour and weekday happens in the user's time zone (`StatsPeriod.tz`), in the database.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from functools import cache
from typing import Any, Literal
from zoneinfo import ZoneInfo, available_timezones

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.db.models import Count, Max, Min, Q, QuerySet, Sum
from django.db.models.functions import ExtractHour, ExtractIsoWeekDay, TruncDate, TruncMonth

from streams.models import Play

StatsBy = Literal["count", "time"]
TOP_LIMIT_MAX = 100


@cache
def time_zone_names() -> frozenset[str]:
    """IANA names accepted as a statistics time zone."""
    return frozenset(available_timezones()) | {"UTC"}


def time_zone_get(name: str) -> tzinfo:
    """The zone `name`; ValueError when it is not an IANA zone name."""
    if name not in time_zone_names():
        raise ValueError(f"Unknown time zone {name!r}.")
    return UTC if name == "UTC" else ZoneInfo(name)


# Outside these, a bound excludes nothing (and datetime arithmetic near year 1 or 9999
# in a time zone would overflow).
_EARLIEST = date(1900, 1, 1)
_LATEST = date(2999, 12, 31)


@dataclass(frozen=True)
class StatsPeriod:
    """Dates `start`..`end` (both inclusive, either open) in the time zone `tz`."""

    start: date | None = None
    end: date | None = None
    tz: tzinfo = UTC

    def bounds(self) -> tuple[datetime | None, datetime | None]:
        """The half-open aware interval [start 00:00, day after end 00:00) in `tz`."""
        low = high = None
        if self.start is not None and self.start > _EARLIEST:
            low = datetime.combine(min(self.start, _LATEST), time.min, tzinfo=self.tz)
        if self.end is not None and self.end < _LATEST:
            day_after = max(self.end, _EARLIEST) + timedelta(days=1)
            high = datetime.combine(day_after, time.min, tzinfo=self.tz)
        return low, high


@dataclass(frozen=True)
class TopTrack:
    track_name: str
    artist_name: str
    track_id: int | None
    plays: int
    streams: int
    ms_played: int


@dataclass(frozen=True)
class TopArtist:
    artist_name: str
    tracks: int
    plays: int
    streams: int
    ms_played: int


@dataclass(frozen=True)
class MonthCount:
    month: date
    plays: int
    streams: int
    ms_played: int


@dataclass(frozen=True)
class BucketCount:
    """One hour of the day (0-23) or one ISO weekday (1 Monday .. 7 Sunday)."""

    bucket: int
    plays: int
    streams: int
    ms_played: int


@dataclass(frozen=True)
class StatsOverview:
    period: StatsPeriod
    by: StatsBy
    top_tracks: list[TopTrack]
    top_artists: list[TopArtist]
    plays_per_month: list[MonthCount]
    hour_of_day: list[BucketCount]
    weekday: list[BucketCount]


@dataclass(frozen=True)
class YearRecap:
    year: int
    plays: int
    streams: int
    ms_played: int
    distinct_tracks: int
    distinct_artists: int
    new_artists: int
    top_tracks: list[TopTrack] = field(default_factory=list)
    top_artists: list[TopArtist] = field(default_factory=list)
    top_month: MonthCount | None = None
    busiest_day: date | None = None
    busiest_day_ms_played: int = 0


def _stream_filter() -> Q:
    return Q(ms_played__gte=settings.MUSICFLOW_STREAM_MIN_MS)


def play_totals() -> dict[str, Any]:
    """The aggregates every statistic reports: plays, streams, and milliseconds ("ms")."""
    return {
        "plays": Count("id"),
        "streams": Count("id", filter=_stream_filter()),
        "ms": Sum("ms_played"),
    }


def play_totals_fields(row: Mapping[str, Any]) -> dict[str, int]:
    """A row's `play_totals()` as the records' fields; an absent row (`{}`) has no plays."""
    return {
        "plays": row.get("plays", 0),
        "streams": row.get("streams", 0),
        "ms_played": row.get("ms") or 0,
    }


def plays_within(*, plays: QuerySet[Play], period: StatsPeriod) -> QuerySet[Play]:
    """`plays` narrowed to the period."""
    low, high = period.bounds()
    if low is not None:
        plays = plays.filter(played_at__gte=low)
    if high is not None:
        plays = plays.filter(played_at__lt=high)
    return plays


def plays_in_period(*, user: AbstractBaseUser, period: StatsPeriod) -> QuerySet[Play]:
    """The user's plays inside the period; only ever this user's."""
    return plays_within(plays=Play.objects.filter(user=user), period=period)


def _order(by: StatsBy) -> list[str]:
    return ["-ms", "-streams"] if by == "time" else ["-streams", "-ms"]


def stats_top_tracks(
    *, user: AbstractBaseUser, period: StatsPeriod, by: StatsBy = "count", limit: int = 10
) -> list[TopTrack]:
    """Most streamed (or longest played) tracks, by the names the export gave them."""
    rows = (
        plays_in_period(user=user, period=period)
        .order_by()
        .values("track_name", "artist_name")
        .annotate(**play_totals(), track_id=Max("track_id"))
        .order_by(*_order(by), "track_name", "artist_name")[: _limit(limit)]
    )
    return [
        TopTrack(
            track_name=row["track_name"],
            artist_name=row["artist_name"],
            track_id=row["track_id"],
            **play_totals_fields(row),
        )
        for row in rows
    ]


def stats_top_artists(
    *, user: AbstractBaseUser, period: StatsPeriod, by: StatsBy = "count", limit: int = 10
) -> list[TopArtist]:
    rows = (
        plays_in_period(user=user, period=period)
        .order_by()
        .values("artist_name")
        .annotate(**play_totals(), tracks=Count("track_name", distinct=True))
        .order_by(*_order(by), "artist_name")[: _limit(limit)]
    )
    return [
        TopArtist(
            artist_name=row["artist_name"],
            tracks=row["tracks"],
            **play_totals_fields(row),
        )
        for row in rows
    ]


def stats_plays_per_month(*, user: AbstractBaseUser, period: StatsPeriod) -> list[MonthCount]:
    """Months with at least one play, oldest first."""
    rows = (
        plays_in_period(user=user, period=period)
        .order_by()
        .annotate(month=TruncMonth("played_at", tzinfo=period.tz))
        .values("month")
        .annotate(**play_totals())
        .order_by("month")
    )
    return [
        MonthCount(
            month=_as_date(row["month"]),
            **play_totals_fields(row),
        )
        for row in rows
    ]


def stats_hour_profile(*, user: AbstractBaseUser, period: StatsPeriod) -> list[BucketCount]:
    """All 24 hours of the day (0-23), zeros included."""
    extract = ExtractHour("played_at", tzinfo=period.tz)
    return _buckets(user=user, period=period, extract=extract, buckets=range(24))


def stats_weekday_profile(*, user: AbstractBaseUser, period: StatsPeriod) -> list[BucketCount]:
    """All 7 ISO weekdays (1 Monday .. 7 Sunday), zeros included."""
    extract = ExtractIsoWeekDay("played_at", tzinfo=period.tz)
    return _buckets(user=user, period=period, extract=extract, buckets=range(1, 8))


def _buckets(
    *, user: AbstractBaseUser, period: StatsPeriod, extract: Any, buckets: range
) -> list[BucketCount]:
    rows = (
        plays_in_period(user=user, period=period)
        .order_by()
        .annotate(bucket=extract)
        .values("bucket")
        .annotate(**play_totals())
    )
    found = {row["bucket"]: row for row in rows}
    return [
        BucketCount(
            bucket=b,
            **play_totals_fields(found.get(b, {})),
        )
        for b in buckets
    ]


def stats_overview(
    *, user: AbstractBaseUser, period: StatsPeriod, by: StatsBy = "count", limit: int = 10
) -> StatsOverview:
    """Everything the stats page shows for one period (five queries)."""
    return StatsOverview(
        period=period,
        by=by,
        top_tracks=stats_top_tracks(user=user, period=period, by=by, limit=limit),
        top_artists=stats_top_artists(user=user, period=period, by=by, limit=limit),
        plays_per_month=stats_plays_per_month(user=user, period=period),
        hour_of_day=stats_hour_profile(user=user, period=period),
        weekday=stats_weekday_profile(user=user, period=period),
    )


def stats_years(*, user: AbstractBaseUser, tz: tzinfo = UTC) -> list[int]:
    """Years (in `tz`) in which the user has plays, newest first."""
    months = stats_plays_per_month(user=user, period=StatsPeriod(tz=tz))
    return sorted({m.month.year for m in months}, reverse=True)


def stats_year_recap(
    *, user: AbstractBaseUser, year: int, tz: tzinfo = UTC, limit: int = 5
) -> YearRecap:
    """A "wrapped"-style summary of one calendar year in `tz`."""
    period = StatsPeriod(start=date(year, 1, 1), end=date(year, 12, 31), tz=tz)
    plays = plays_in_period(user=user, period=period)
    totals = plays.aggregate(
        **play_totals(),
        distinct_tracks=Count("track_name", distinct=True),
        distinct_artists=Count("artist_name", distinct=True),
    )
    months = stats_plays_per_month(user=user, period=period)
    busiest = _busiest_day(plays=plays, tz=tz)
    return YearRecap(
        year=year,
        **play_totals_fields(totals),
        distinct_tracks=totals["distinct_tracks"],
        distinct_artists=totals["distinct_artists"],
        new_artists=_new_artists(user=user, period=period),
        top_tracks=stats_top_tracks(user=user, period=period, limit=limit),
        top_artists=stats_top_artists(user=user, period=period, limit=limit),
        top_month=max(months, key=lambda m: (m.ms_played, m.plays), default=None),
        busiest_day=busiest[0] if busiest else None,
        busiest_day_ms_played=busiest[1] if busiest else 0,
    )


def _busiest_day(*, plays: QuerySet[Play], tz: tzinfo) -> tuple[date, int] | None:
    row = (
        plays.order_by()
        .annotate(day=TruncDate("played_at", tzinfo=tz))
        .values("day")
        .annotate(ms=Sum("ms_played"))
        .order_by("-ms", "day")
        .first()
    )
    return (_as_date(row["day"]), row["ms"] or 0) if row else None


def _new_artists(*, user: AbstractBaseUser, period: StatsPeriod) -> int:
    """Artists first played (ever, by this user) inside the period."""
    low, high = period.bounds()
    return (
        Play.objects.filter(user=user)
        .order_by()
        .values("artist_name")
        .annotate(first=Min("played_at"))
        .filter(first__gte=low, first__lt=high)
        .count()
    )


def _limit(limit: int) -> int:
    return max(1, min(limit, TOP_LIMIT_MAX))


def _as_date(value: date | datetime) -> date:
    return value.date() if isinstance(value, datetime) else value
