"""`manage.py demo [--no-train]`: the offline demo, ready to use, in one command."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.base_user import AbstractBaseUser
from django.core.management.base import BaseCommand, CommandParser

from streams.services.demo import DemoReport, demo_load


class Command(BaseCommand):
    help = (
        "Create the demo user (password printed once), a synthetic catalog and a synthetic "
        "listening history, all labelled synthetic; then train the demo user's model and "
        "the site default model if none exists. Idempotent."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--no-train", action="store_true", help="load the data only, train no model"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        report = demo_load()
        self.stdout.write("\n".join(_lines(report)))
        if not options["no_train"]:
            self._train(report)

    def _train(self, report: DemoReport) -> None:
        # Imported here: the data part of the demo needs nothing from the predictor.
        from django.contrib.auth import get_user_model

        from predictor.models import ModelStatus, ModelVersion
        from predictor.services import model_version_train

        user = get_user_model().objects.get(username=report.username)
        targets: list[tuple[str, AbstractBaseUser | None]] = [
            (f"{report.username}'s model", user),
            ("site default model", None),
        ]
        for label, owner in targets:
            existing = ModelVersion.objects.filter(owner=owner).exclude(status=ModelStatus.FAILED)
            if existing.exists():
                self.stdout.write(f"{label}: exists, not retrained")
                continue
            self.stdout.write(f"{label}: training on the synthetic history...")
            outcome = model_version_train(owner=owner, dataset_user=user)
            state = "active" if outcome.activated else "ready"
            self.stdout.write(f"{label}: version {outcome.version.version} trained ({state})")


def _lines(report: DemoReport) -> list[str]:
    if report.password is not None:
        user_line = (
            f"created user {report.username!r} with password {report.password} "
            "(shown only this once; change it with `manage.py changepassword demo`)"
        )
    else:
        user_line = f"user {report.username!r} exists (password unchanged)"
    history = (
        f"synthetic history: {report.plays_created} plays created (import {report.history_import_id})"
        if report.history_import_id
        else "synthetic history: already loaded"
    )
    return [
        user_line,
        f"synthetic catalog: {report.tracks_created} tracks created, {report.catalog_size} in all",
        history,
    ]
