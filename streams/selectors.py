"""Reads of a user's listening history, always scoped to that user.

Another user's import is indistinguishable from a missing one (HistoryImportNotFound,
which is also an Http404), and a track they never played from one that does not exist
(TrackNotInHistory), so ids reveal nothing about other users.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.contrib.auth.base_user import AbstractBaseUser
from django.db.models import Max, Min, QuerySet

from streams.errors import HistoryImportNotFound, TrackNotInHistory
from streams.models import HistoryImport, Play, Track
from streams.selectors_stats import StatsPeriod, play_totals, play_totals_fields, plays_within


def history_import_get_for_user(*, user: AbstractBaseUser, import_id: int) -> HistoryImport:
    """The user's import with that id; HistoryImportNotFound for anyone else's."""
    history_import = HistoryImport.objects.filter(owner_id=user.pk, pk=import_id).first()
    if history_import is None:
        raise HistoryImportNotFound(f"no import {import_id}")
    return history_import


def imports_for_user(*, user: AbstractBaseUser) -> QuerySet[HistoryImport]:
    """The user's imports, newest first."""
    return HistoryImport.objects.filter(owner_id=user.pk).order_by("-created_at", "-id")


def plays_for_user(*, user: AbstractBaseUser) -> QuerySet[Play]:
    """The user's plays, newest first, with their resolved track."""
    return (
        Play.objects.filter(user_id=user.pk).select_related("track").order_by("-played_at", "-id")
    )


def plays_list(
    *, user: AbstractBaseUser, period: StatsPeriod, track_id: int | None = None
) -> QuerySet[Play]:
    """The user's plays in the period (newest first, tracks joined), optionally of one track."""
    plays = plays_within(plays=plays_for_user(user=user), period=period)
    if track_id is not None:
        plays = plays.filter(track_id=track_id)
    return plays


@dataclass(frozen=True)
class TrackListening:
    """A track from the user's history, with how they listened to it."""

    track: Track
    plays: int
    streams: int
    ms_played: int
    first_played_at: datetime
    last_played_at: datetime


def track_listening_get(*, user: AbstractBaseUser, track_id: int) -> TrackListening:
    """A track the user has played, with their listening; TrackNotInHistory otherwise.

    Tracks are shared, but which tracks someone played is theirs: a track is visible
    to a user through their own plays only.
    """
    totals = Play.objects.filter(user=user, track_id=track_id).aggregate(
        **play_totals(), first=Min("played_at"), last=Max("played_at")
    )
    track = Track.objects.filter(pk=track_id).first() if totals["plays"] else None
    if track is None:
        raise TrackNotInHistory(f"no track {track_id} in your history")
    return TrackListening(
        track=track,
        **play_totals_fields(totals),
        first_played_at=totals["first"],
        last_played_at=totals["last"],
    )


@dataclass(frozen=True)
class HistoryImportReport:
    """What an import did, in the shape `import_history --json` prints."""

    import_id: int
    status: str
    rows_read: int
    plays_created: int
    duplicates: int
    skipped: dict[str, int]
    resolved: int
    unresolved: int
    library_tracks: int
    error: str
    files: list[dict[str, Any]] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {
            "import_id": self.import_id,
            "status": self.status,
            "rows_read": self.rows_read,
            "plays_created": self.plays_created,
            "duplicates": self.duplicates,
            "skipped": dict(self.skipped),
            "resolved": self.resolved,
            "unresolved": self.unresolved,
            "library_tracks": self.library_tracks,
            "error": self.error,
            "files": list(self.files),
        }


def history_import_report(*, history_import: HistoryImport) -> HistoryImportReport:
    files = list(history_import.files or [])
    return HistoryImportReport(
        import_id=history_import.pk,
        status=history_import.status,
        rows_read=history_import.rows_read,
        plays_created=history_import.plays_created,
        duplicates=history_import.duplicates,
        skipped=dict(history_import.skipped or {}),
        resolved=history_import.resolved,
        unresolved=history_import.unresolved,
        library_tracks=sum(f.get("rows", 0) for f in files if f.get("format") == "library"),
        error=history_import.error,
        files=files,
    )
