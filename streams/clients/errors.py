"""Errors the external-service clients raise, classified for the caller.

A caller never sees a requests or spotipy exception: it sees whether to give up on
this item for good (``permanent``), try again in a later run, or come back at a
given time (``RateLimited``).
"""

from __future__ import annotations

from datetime import datetime


class SourceError(Exception):
    """Base class of everything a feature source client raises."""

    def __init__(self, message: str, *, source: str) -> None:
        super().__init__(message)
        self.source = source


class SourceUnavailable(SourceError):
    """The call failed.

    ``permanent``: asking again will not help (bad credentials, 403, 404, 400).
    ``reason`` is a short machine-readable word: forbidden, not_found, bad_request,
    credentials, server_error, connection, timeout, malformed, not_configured.
    """

    def __init__(
        self,
        message: str,
        *,
        source: str,
        permanent: bool,
        reason: str,
        status: int | None = None,
    ) -> None:
        super().__init__(message, source=source)
        self.permanent = permanent
        self.reason = reason
        self.status = status

    @property
    def forbidden(self) -> bool:
        return self.status == 403


class RateLimited(SourceError):
    """The service asked us to wait longer than a call may block; come back at ``retry_at``."""

    def __init__(self, message: str, *, source: str, retry_at: datetime) -> None:
        super().__init__(message, source=source)
        self.retry_at = retry_at
