"""What /health reports: can this deployment serve predictions right now, and if not, why.

Serving needs the database and an active model: without either, 503. Everything else
(the task cluster, the site-default model when users have their own, the remote
feature sources) only degrades the service: known songs are still answered.

Honest but cheap: the database is really queried on every call (one `SELECT 1`) and
so are the active models (one indexed query). The task cluster's heartbeat (which
django-q2 itself refreshes every few seconds) and the feature sources' state (which
changes on a 429 or a 403, for minutes or hours) are remembered per process for a
couple of seconds.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Generic, Literal, TypeVar

from django.core.cache import caches
from django.db import DatabaseError, connection
from django.db.models import Count, Max, Q

T = TypeVar("T")

HealthStatus = Literal["ok", "degraded", "unavailable"]
HEALTH_STATUSES: list[str] = ["ok", "degraded", "unavailable"]

# django-q2 rewrites its cluster stats every few seconds with a 3 s expiry.
CLUSTER_MEMO_SECONDS = 2.0
SOURCES_MEMO_SECONDS = 5.0


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
class ActiveModel:
    version: int
    trained_at: datetime | None


@dataclass(frozen=True)
class ModelsHealth:
    site_default: ActiveModel | None
    user_models_active: int

    @property
    def any_active(self) -> bool:
        return self.site_default is not None or self.user_models_active > 0


@dataclass(frozen=True)
class SourceHealth:
    name: str
    remote: bool
    available: bool
    reason: str
    blocked_until: datetime | None


@dataclass(frozen=True)
class HealthReport:
    status: HealthStatus
    reasons: list[str]
    database: DatabaseHealth
    cluster: ClusterHealth
    models: ModelsHealth | None = None
    sources: list[SourceHealth] = field(default_factory=list)

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


class _BriefMemo(Generic[T]):
    """The last answer of a read, reused for `seconds` (per process)."""

    def __init__(self, *, seconds: float) -> None:
        self._seconds = seconds
        self._kept: tuple[float, T] | None = None

    def get(self, read: Callable[[], T], *, now: float | None = None) -> T:
        now = time.monotonic() if now is None else now
        kept = self._kept
        if kept is not None and now - kept[0] < self._seconds:
            return kept[1]
        value = read()
        self._kept = (now, value)
        return value

    def forget(self) -> None:
        self._kept = None


_cluster_memo: _BriefMemo[ClusterHealth] = _BriefMemo(seconds=CLUSTER_MEMO_SECONDS)
_sources_memo: _BriefMemo[list[SourceHealth]] = _BriefMemo(seconds=SOURCES_MEMO_SECONDS)


def health_cluster(*, now: float | None = None) -> ClusterHealth:
    """The task clusters alive (their heartbeat is in the shared cache), memoised briefly."""
    return _cluster_memo.get(_cluster_read, now=now)


def health_memo_forget() -> None:
    """Drop the memoised heartbeat and sources (tests, and after changing them in-process)."""
    _cluster_memo.forget()
    _sources_memo.forget()


def _cluster_read() -> ClusterHealth:
    # Read the stats without django-q2's Stat.get_all(), which rewrites its key index
    # on every call: a health check must not write.
    from django_q.signing import BadSignature, SignedPackage

    try:
        packs = _cluster_stat_packs()
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


def _cluster_stat_packs() -> list[object]:
    """The clusters' signed status packs, from wherever their broker keeps them.

    The Redis broker keeps them in Redis itself (its own read is a plain KEYS + MGET);
    the others in the Django cache, under an index read here without rewriting it.
    """
    from django_q.brokers import Broker, get_broker
    from django_q.conf import Conf

    broker = get_broker()
    if type(broker).get_stats is not Broker.get_stats:
        return list(broker.get_stats(f"{Conf.Q_STAT}:*") or [])
    cache = caches[Conf.CACHE]
    keys = cache.get(Conf.Q_STAT) or []
    return list(cache.get_many(keys).values()) if keys else []


def health_models() -> ModelsHealth:
    """The active site-default model and how many users have an active model (one query)."""
    from predictor.models import ModelVersion

    site = Q(owner__isnull=True)
    row = ModelVersion.objects.filter(is_active=True).aggregate(
        users=Count("id", filter=~site),
        default_version=Max("version", filter=site),
        default_trained_at=Max("trained_at", filter=site),
    )
    default = (
        ActiveModel(version=row["default_version"], trained_at=row["default_trained_at"])
        if row["default_version"] is not None
        else None
    )
    return ModelsHealth(site_default=default, user_models_active=row["users"])


def health_sources(*, now: float | None = None) -> list[SourceHealth]:
    """The feature-source chain as configured, each usable or not (and why), memoised briefly."""
    return _sources_memo.get(_sources_read, now=now)


def _sources_read() -> list[SourceHealth]:
    from streams.enrichment.ratelimit import source_blocked_until
    from streams.sources.chain import sources_from_settings

    found = []
    for source in sources_from_settings():
        reason = source.unavailable_reason() or ""
        blocked = source_blocked_until(source=source.limiter) if source.remote else None
        if blocked and not reason:
            reason = f"rate-limited until {blocked:%Y-%m-%d %H:%M:%S} UTC"
        found.append(
            SourceHealth(
                name=source.raw_key,
                remote=source.remote,
                available=not reason,
                reason=reason,
                blocked_until=blocked,
            )
        )
    return found


def health_report() -> HealthReport:
    database = health_database()
    if not database.ok:
        return HealthReport(
            status="unavailable",
            reasons=["database unreachable"],
            database=database,
            cluster=ClusterHealth(ok=False, clusters=0, last_heartbeat=None),
        )
    models = health_models()
    cluster = health_cluster()
    sources = health_sources()
    fatal, reasons = _judge(models=models, cluster=cluster, sources=sources)
    return HealthReport(
        status="unavailable" if fatal else ("degraded" if reasons else "ok"),
        reasons=reasons,
        database=database,
        cluster=cluster,
        models=models,
        sources=sources,
    )


def _judge(
    *, models: ModelsHealth, cluster: ClusterHealth, sources: list[SourceHealth]
) -> tuple[bool, list[str]]:
    """(cannot serve at all, every reason something does not work)."""
    reasons: list[str] = []
    if not models.any_active:
        reasons.append("no active model: train one (manage.py train --user NAME)")
    elif models.site_default is None:
        reasons.append("no active site-default model: anonymous predictions are unavailable")
    if not cluster.ok:
        reasons.append("no task cluster heartbeat: imports and training are not running")
    remote = [s for s in sources if s.remote]
    if remote and not any(s.available for s in remote):
        reasons.append("no remote feature source available: only known songs can be answered")
    return not models.any_active, reasons
