"""Settings for the test suite: fast hashing, files in a throwaway folder."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from .base import *  # noqa: F403
from .base import DATABASES, STORAGES

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

# --- production and scale (fault tests) ---
# Fault tests start real qcluster and gunicorn processes that must see the rows a test
# writes, so the SQLite test database is a file, never memory; one per test process, so
# runs side by side never share it (pytest-django deletes it at the end of the run).
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"]["TEST"] = {
        "NAME": str(Path(tempfile.gettempdir()) / f"musicflow-test-{os.getpid()}.sqlite3")
    }

# Nothing in the suite may reach the internet: a test that forgets to point a client at
# the fake servers hits a closed local port and fails fast instead.
_NOWHERE = "http://127.0.0.1:9/"
SPOTIFY_API_URL = _NOWHERE + "v1/"
SPOTIFY_ACCOUNTS_URL = _NOWHERE
RECCOBEATS_API_URL = _NOWHERE + "v1/"
