"""`manage.py import_history --user NAME [--create-user] [--json] PATH...`"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.base_user import AbstractBaseUser
from django.core.management.base import BaseCommand, CommandError, CommandParser

from streams.models import ImportStatus
from streams.selectors import HistoryImportReport, history_import_report
from streams.services.history_import import history_import_from_paths


class Command(BaseCommand):
    help = (
        "Import a Spotify export (JSON files, folders or the export zip) into a user's "
        "listening history, then resolve the plays offline."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--user", required=True, help="username that owns the plays")
        parser.add_argument(
            "--create-user",
            action="store_true",
            help="create the user (with no password) if it does not exist",
        )
        parser.add_argument(
            "--json", action="store_true", help="print one JSON object instead of lines"
        )
        parser.add_argument("paths", nargs="+", metavar="PATH", help=".json file, folder or .zip")

    def handle(self, *args: Any, **options: Any) -> None:
        owner = _user(options["user"], create=options["create_user"])
        history_import = history_import_from_paths(
            owner=owner, paths=[Path(p) for p in options["paths"]]
        )
        report = history_import_report(history_import=history_import)
        if options["json"]:
            self.stdout.write(json.dumps(report.as_dict(), ensure_ascii=False))
        else:
            self.stdout.write("\n".join(_lines(report)))
        if history_import.status != ImportStatus.DONE:
            raise CommandError(f"import {history_import.pk} rejected: {history_import.error}")


def _user(username: str, *, create: bool) -> AbstractBaseUser:
    user_model = get_user_model()
    user = user_model.objects.filter(username=username).first()
    if user is not None:
        return user
    if not create:
        raise CommandError(f"no user named {username!r} (pass --create-user to create it)")
    return user_model.objects.create_user(username=username)


def _lines(report: HistoryImportReport) -> list[str]:
    lines = [
        f"import {report.import_id}: {report.status}",
        f"rows read: {report.rows_read}",
        f"plays created: {report.plays_created}",
        f"duplicates: {report.duplicates}",
    ]
    if report.skipped:
        lines.append("skipped:")
        lines.extend(f"  {reason}: {count}" for reason, count in sorted(report.skipped.items()))
    else:
        lines.append("skipped: none")
    if report.library_tracks:
        lines.append(f"saved tracks (YourLibrary.json): {report.library_tracks}")
    lines += [f"resolved: {report.resolved}", f"unresolved: {report.unresolved}"]
    return lines
