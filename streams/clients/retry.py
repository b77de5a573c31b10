"""Bounded retries shared by the clients.

Transient failures (5xx, connection errors, timeouts) are retried a few times with
exponential backoff. A 429 is waited out inside the call only when the service asks
for a short pause; anything longer is raised as RateLimited so the worker is freed
and the task is rescheduled for ``retry_at``.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from email.utils import parsedate_to_datetime
from typing import TypeVar

from django.conf import settings
from django.utils import timezone

from streams.clients.errors import RateLimited, SourceUnavailable

T = TypeVar("T")

# Failures worth another attempt inside the same call. "malformed" is not among them:
# a server that sent broken JSON for a request tends to do so again, so that batch
# fails now and is retried by a later run.
RETRYABLE_REASONS = frozenset({"server_error", "connection", "timeout", "expired_token"})
DEFAULT_RETRY_AFTER_SECONDS = 5


@dataclass(frozen=True)
class RetryPolicy:
    attempts: int = 3
    backoff_seconds: float = 0.5
    backoff_max_seconds: float = 4.0
    max_inline_wait_seconds: float = 2.0
    connect_timeout: float = 3.05
    read_timeout: float = 10.0

    @classmethod
    def from_settings(cls) -> RetryPolicy:
        return cls(
            attempts=settings.MUSICFLOW_HTTP_ATTEMPTS,
            backoff_seconds=settings.MUSICFLOW_HTTP_BACKOFF_SECONDS,
            max_inline_wait_seconds=settings.MUSICFLOW_HTTP_MAX_INLINE_WAIT_SECONDS,
            connect_timeout=settings.MUSICFLOW_HTTP_CONNECT_TIMEOUT,
            read_timeout=settings.MUSICFLOW_HTTP_READ_TIMEOUT,
        )

    @property
    def timeout(self) -> tuple[float, float]:
        return (self.connect_timeout, self.read_timeout)

    def backoff(self, attempt: int) -> float:
        """Seconds to wait after failed attempt number ``attempt`` (1-based), with jitter."""
        ceiling = min(self.backoff_max_seconds, self.backoff_seconds * 2 ** (attempt - 1))
        return ceiling * (0.5 + random.random() / 2)


def call_with_retries(
    call: Callable[[], T], *, policy: RetryPolicy, sleep: Callable[[float], None] = time.sleep
) -> T:
    """Run ``call`` (which raises only classified SourceErrors) under ``policy``."""
    attempt = 1
    while True:
        try:
            return call()
        except RateLimited as exc:
            wait = (exc.retry_at - timezone.now()).total_seconds()
            if wait > policy.max_inline_wait_seconds or attempt >= policy.attempts:
                raise
            sleep(max(wait, 0.0))
        except SourceUnavailable as exc:
            if exc.permanent or exc.reason not in RETRYABLE_REASONS or attempt >= policy.attempts:
                raise
            sleep(policy.backoff(attempt))
        attempt += 1


def retry_at_from_header(value: str | None, *, now: datetime | None = None) -> datetime:
    """Parse Retry-After (delta-seconds or an HTTP date) into an aware datetime."""
    now = now or timezone.now()
    if value:
        text = value.strip()
        if text.isdigit():
            return now + timedelta(seconds=int(text))
        try:
            parsed = parsedate_to_datetime(text)
        except (TypeError, ValueError):
            parsed = None
        if parsed is not None:
            return parsed if parsed.tzinfo else parsed.replace(tzinfo=now.tzinfo)
    return now + timedelta(seconds=DEFAULT_RETRY_AFTER_SECONDS)
