"""System checks: a configured token key must be a valid Fernet key."""

from __future__ import annotations

from typing import Any

from cryptography.fernet import Fernet
from django.conf import settings
from django.core.checks import Error, Tags, register


@register(Tags.security)
def token_key_check(app_configs: Any = None, **kwargs: Any) -> list[Error]:
    key = settings.MUSICFLOW_TOKEN_ENCRYPTION_KEY
    if not key:
        return []
    try:
        Fernet(key)
    except (ValueError, TypeError):
        return [
            Error(
                "MUSICFLOW_TOKEN_ENCRYPTION_KEY is not a valid Fernet key.",
                hint="Generate one with: python -c 'from cryptography.fernet import Fernet; "
                "print(Fernet.generate_key().decode())'",
                id="website.E001",
            )
        ]
    return []
