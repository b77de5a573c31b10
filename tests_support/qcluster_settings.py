"""Settings for a real ``manage.py qcluster`` subprocess in fault tests.

The test settings with a short task cycle, so a task whose worker was killed is handed
out again within seconds (django-q2 redelivers an unacknowledged task after ``retry``)
and enrichment works in short slices. The database comes from DATABASE_URL, which the
test points at a throwaway SQLite file both processes share.
"""

from __future__ import annotations

from musicflow_site.settings.test import *  # noqa: F403
from musicflow_site.settings.test import Q_CLUSTER

Q_CLUSTER = {**Q_CLUSTER, "workers": 1, "timeout": 4, "retry": 6, "poll": 0.1}
MUSICFLOW_ENRICHMENT_SLICE_SECONDS = 1.5
MUSICFLOW_ENRICHMENT_STALE_SECONDS = 3.0
MUSICFLOW_SOURCE_MIN_INTERVAL = {"spotify": 0.0, "reccobeats": 0.0}
MUSICFLOW_HTTP_BACKOFF_SECONDS = 0.01
