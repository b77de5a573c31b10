"""`manage.py setup_schedules`: install (or update) the periodic tasks; idempotent."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from predictor.services import schedules_install


class Command(BaseCommand):
    help = "Create or update the django-q2 schedules (continuous training). Safe to re-run."

    def handle(self, *args: Any, **options: Any) -> None:
        for name, created in schedules_install():
            self.stdout.write(f"{'created' if created else 'updated'}: {name}")
