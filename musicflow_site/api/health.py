"""What /health reports: can this deployment serve predictions right now, and if not, why.

Honest but cheap: the database is really queried on every call (one `SELECT 1`), the
active models are one indexed query; only the task cluster's heartbeat, which
django-q2 refreshes every few seconds anyway, is remembered per process for a moment.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal

from django.core.cache import caches
from django.db import DatabaseError, connection

HealthStatus = Literal["ok", "degraded", "unavailable"]

# django-q2 rewrites its cluster stats every few seconds with a 3 s expiry.
CLUSTER_MEMO_SECONDS = 2.0


@dataclass(frozen=True)
class DatabaseHealth:
    ok: bool
    vendor: str
    error: str = ""


@dataclass(frozen=True)
class ClusterHealth:
    ok: bool
    clusters: int
    last_heartbeat: datetime | None


@dataclass(frozen=True)
class HealthReport:
    status: HealthStatus
    reasons: list[str]
    database: DatabaseHealth
    cluster: ClusterHealth
    models: dict[str, Any] = field(default_factory=dict)
    sources: list[dict[str, Any]] = field(default_factory=list)

    @property
    def serving(self) -> bool:
        return self.status != "unavailable"


def health_database() -> DatabaseHealth:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except DatabaseError as exc:
        return DatabaseHealth(ok=False, vendor=connection.vendor, error=str(exc) or "error")
    return DatabaseHealth(ok=True, vendor=connection.vendor)


_cluster_memo: tuple[float, ClusterHealth] | None = None


def health_cluster(*, now: float | None = None) -> ClusterHealth:
    """The task clusters alive (their heartbeat is in the shared cache), memoised briefly."""
    global _cluster_memo
    now = time.monotonic() if now is None else now
    if _cluster_memo is not None and now - _cluster_memo[0] < CLUSTER_MEMO_SECONDS:
        return _cluster_memo[1]
    report = _cluster_read()
    _cluster_memo = (now, report)
    return report


def health_cluster_forget() -> None:
    """Drop the memoised heartbeat (tests, and after starting a cluster in-process)."""
    global _cluster_memo
    _cluster_memo = None


def _cluster_read() -> ClusterHealth:
    # Read the stats without django-q2's Stat.get_all(), which rewrites its key index
    # on every call: a health check must not write.
    from django_q.conf import Conf
    from django_q.signing import BadSignature, SignedPackage

    try:
        cache = caches[Conf.CACHE]
        keys = cache.get(Conf.Q_STAT) or []
        packs = cache.get_many(keys).values() if keys else []
    except Exception:  # any cache backend failure means "cannot tell", not a crash
        return ClusterHealth(ok=False, clusters=0, last_heartbeat=None)
    beats = []
    for pack in packs:
        try:
            beats.append(SignedPackage.loads(pack).timestamp)
        except (BadSignature, AttributeError):
            continue
    last = max(beats, default=None)
    return ClusterHealth(ok=bool(beats), clusters=len(beats), last_heartbeat=last)


def health_report() -> HealthReport:
    database = health_database()
    if not database.ok:
        return HealthReport(
            status="unavailable",
            reasons=["database unreachable"],
            database=database,
            cluster=ClusterHealth(ok=False, clusters=0, last_heartbeat=None),
        )
    cluster = health_cluster()
    reasons: list[str] = []
    if not cluster.ok:
        reasons.append("no task cluster heartbeat: imports and training are not running")
    return HealthReport(
        status="degraded" if reasons else "ok",
        reasons=reasons,
        database=database,
        cluster=cluster,
    )
