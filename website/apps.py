from __future__ import annotations

from django.apps import AppConfig


class WebsiteConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "website"
    verbose_name = "MusicFlow website"

    def ready(self) -> None:
        # Registers the system checks for the token encryption key.
        from website import checks  # noqa: F401
