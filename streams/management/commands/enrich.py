"""``manage.py enrich [--user NAME] [--json]``: resolution + enrichment in the foreground.

Runs exactly what the background task runs, slice after slice, until the user's job is
done or waiting for a rate limit (then a scheduled run continues it; this command never
sleeps through a Retry-After).
"""

from __future__ import annotations

import json
from typing import Any

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError, CommandParser

from streams.enrichment.services import (
    RunOutcome,
    enrichment_job_for_user,
    enrichment_run,
)
from streams.models import EnrichmentJob, EnrichmentStatus, Play


class Command(BaseCommand):
    help = "Resolve plays and fill track metadata / audio features from the feature sources."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--user", help="username (default: every user with plays)")
        parser.add_argument("--json", action="store_true", help="print one JSON object")

    def handle(self, *args: Any, **options: Any) -> None:
        user_ids = self._user_ids(options["user"])
        summaries = [self._enrich(user_id) for user_id in user_ids]
        if options["json"]:
            payload = summaries[0] if options["user"] else {"users": summaries}
            self.stdout.write(json.dumps(payload, default=str))
        else:
            for summary in summaries:
                self._print(summary)
        if any(s["status"] == EnrichmentStatus.FAILED for s in summaries):
            raise CommandError("enrichment failed: " + "; ".join(s["error"] for s in summaries))

    def _user_ids(self, username: str | None) -> list[int]:
        users = get_user_model().objects
        if username:
            user = users.filter(username=username).first()
            if user is None:
                raise CommandError(f"no user named {username!r}")
            return [user.pk]
        with_plays = Play.objects.values("user_id").distinct()
        return list(users.filter(pk__in=with_plays).order_by("pk").values_list("pk", flat=True))

    def _enrich(self, user_id: int) -> dict[str, Any]:
        job, _ = enrichment_job_for_user(user_id=user_id)
        outcome = RunOutcome(job_id=job.pk, status=job.status, more_work=True)
        while outcome.more_work:
            outcome = enrichment_run(job_id=job.pk, background=False)
        job.refresh_from_db()
        busy = outcome.status == EnrichmentStatus.RUNNING
        return _summary(job, busy_elsewhere=busy)

    def _print(self, summary: dict[str, Any]) -> None:
        self.stdout.write(f"{summary['user']}: {summary['status']}")
        self.stdout.write(
            f"  plays: {summary['plays_resolved']} resolved, "
            f"{summary['plays_unresolved']} unresolved"
        )
        self.stdout.write(
            f"  names searched on Spotify: {summary['names_searched']} "
            f"({summary['names_remaining']} left)"
        )
        self.stdout.write(
            f"  tracks: {summary['tracks_done']} done, {summary['tracks_remaining']} remaining"
        )
        if summary["next_retry_at"]:
            self.stdout.write(f"  rate-limited: continues at {summary['next_retry_at']}")
        for note in summary["notes"]:
            self.stdout.write(f"  note: {note}")


def _summary(job: EnrichmentJob, *, busy_elsewhere: bool) -> dict[str, Any]:
    notes = list(job.notes or [])
    if busy_elsewhere:
        notes.append("a background worker is running this job; progress shown as of now")
    return {
        "user": job.user.get_username(),
        "job_id": job.pk,
        "status": job.status,
        "plays_resolved": job.plays_resolved,
        "plays_unresolved": job.plays_unresolved,
        "names_searched": job.names_searched,
        "names_remaining": job.names_remaining,
        "tracks_done": job.tracks_done,
        "tracks_remaining": job.tracks_remaining,
        "next_retry_at": job.next_retry_at.isoformat() if job.next_retry_at else None,
        "notes": notes,
        "error": job.error,
    }
