"""Settings for real processes (qcluster, gunicorn) that fault tests start against the
test run's own database, broker and media folder.

The test settings, plus: the media folder of the test process (uploads it stored,
artifacts the workers write), and a short task cycle, so a task whose worker was killed
is handed out again within seconds instead of minutes. Every number can be changed per
test through the environment (LIVE_*).
"""

from __future__ import annotations

from pathlib import Path

from musicflow_site.settings.test import *  # noqa: F403
from musicflow_site.settings.test import (
    DATABASES,
    Q_CLUSTER,
    RECCOBEATS_API_URL,
    SPOTIFY_ACCOUNTS_URL,
    SPOTIFY_API_URL,
    env,
)

MEDIA_ROOT = Path(env("MUSICFLOW_MEDIA_ROOT"))
# The test settings point every external service at a closed port; a test that started
# the fake servers hands their addresses over in the environment.
SPOTIFY_API_URL = env("SPOTIFY_API_URL", default=SPOTIFY_API_URL)
SPOTIFY_ACCOUNTS_URL = env("SPOTIFY_ACCOUNTS_URL", default=SPOTIFY_ACCOUNTS_URL)
RECCOBEATS_API_URL = env("RECCOBEATS_API_URL", default=RECCOBEATS_API_URL)

# django-q2 hands an unacknowledged task (ORM broker) out again `retry` seconds after it
# was taken; a "running" import older than the short cluster's timeout, or a training
# older than MUSICFLOW_TRAINING_STALE_SECONDS, belongs to a dead worker.
_SHORT_TIMEOUT = env.int("LIVE_Q_TIMEOUT", default=10)
_TRAINING_TIMEOUT = env.int("LIVE_Q_TRAINING_TIMEOUT", default=20)
Q_CLUSTER = {
    **Q_CLUSTER,
    "workers": env.int("Q_WORKERS", default=1),
    "timeout": _SHORT_TIMEOUT,
    "retry": _SHORT_TIMEOUT + 4,
    "poll": 0.1,
    "ALT_CLUSTERS": {
        "training": {
            "workers": 1,
            "timeout": _TRAINING_TIMEOUT,
            # As in production (retry = timeout + 60 < stale = timeout + 300): a killed
            # training handed out again still finds its row locking and is skipped; the
            # retraining schedule re-queues it once the row is stale.
            "retry": _TRAINING_TIMEOUT + 2,
            "max_attempts": 2,
        },
    },
}
# The guard kills a task 3 s after its timeout; a row older than that is abandoned
# (tests_support.live.LiveStack.training_stale_seconds says the same).
MUSICFLOW_TRAINING_STALE_SECONDS = _TRAINING_TIMEOUT + 4
MUSICFLOW_IMPORT_RETRY_SECONDS = env.int("LIVE_IMPORT_RETRY_SECONDS", default=1)
MUSICFLOW_ENRICHMENT_SLICE_SECONDS = env.float("LIVE_ENRICHMENT_SLICE_SECONDS", default=1.5)
MUSICFLOW_ENRICHMENT_STALE_SECONDS = env.float("LIVE_ENRICHMENT_STALE_SECONDS", default=3.0)
MUSICFLOW_SOURCE_MIN_INTERVAL = {"spotify": 0.0, "reccobeats": 0.0}
MUSICFLOW_HTTP_BACKOFF_SECONDS = 0.01
MUSICFLOW_TRAINING_GRID = env("MUSICFLOW_TRAINING_GRID", default="quick")
MUSICFLOW_TRAINING_THREADS = env.int("MUSICFLOW_TRAINING_THREADS", default=1)

if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # How long a write waits for another process's lock before "database is locked".
    DATABASES["default"]["OPTIONS"]["timeout"] = env.float("LIVE_SQLITE_BUSY_SECONDS", default=20)
