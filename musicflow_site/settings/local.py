"""Settings for running MusicFlow on one machine (`make run`)."""

from __future__ import annotations

from .base import *  # noqa: F403
from .base import env

DEBUG = env.bool("DJANGO_DEBUG", default=True)
SECRET_KEY = env(
    "DJANGO_SECRET_KEY",
    default="local-only-insecure-key-set-DJANGO_SECRET_KEY-in-production",
)
