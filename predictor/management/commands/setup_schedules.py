"""`manage.py setup_schedules`: install (or update) every periodic task; idempotent."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from predictor.services import schedules_install


def _enrichment_schedules() -> list[tuple[str, bool]]:
    # The streams app owns its sweep; installed here so one command sets up everything.
    from streams.enrichment.services import SWEEP_SCHEDULE, enrichment_schedules_install

    return [(SWEEP_SCHEDULE, enrichment_schedules_install())]


def _import_schedules() -> list[tuple[str, bool]]:
    # Imports whose worker died or whose task was lost (Redis does not redeliver).
    from streams.services.history_import import SWEEP_SCHEDULE, history_import_schedules_install

    return [(SWEEP_SCHEDULE, history_import_schedules_install())]


class Command(BaseCommand):
    help = (
        "Create or update the django-q2 schedules: continuous training (retrain users "
        "with enough new resolved plays), the enrichment sweep and the import sweep. "
        "Safe to re-run."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        for name, created in [
            *schedules_install(),
            *_enrichment_schedules(),
            *_import_schedules(),
        ]:
            self.stdout.write(f"{'created' if created else 'up to date'}: {name}")
