"""Settings for the test suite: fast hashing, files in a throwaway folder."""

from __future__ import annotations

import tempfile
from pathlib import Path

from .base import *  # noqa: F403
from .base import STORAGES

SECRET_KEY = "test-only-key"
DEBUG = False
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
MEDIA_ROOT = Path(tempfile.mkdtemp(prefix="musicflow-test-media-"))
# whitenoise expects the collected-static folder to exist; tests never collect.
STATIC_ROOT = Path(tempfile.mkdtemp(prefix="musicflow-test-static-"))
# The manifest storage needs collectstatic; tests serve static files as they are.
STORAGES = {
    **STORAGES,
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
