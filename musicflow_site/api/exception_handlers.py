"""Every error the API returns, in one shape, decided in one place.

Services raise our own domain exceptions and know nothing about HTTP; this handler
maps each to a status once. Every error body is
`{"detail": str, "code": str}` plus `"fields"` (400: messages per parameter) and
`"retry_after"` (seconds, mirrored in the Retry-After header) when they apply.
An exception nobody mapped stays a 500 so that bugs are loud, not disguised.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime
from functools import cache
from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from django.utils import timezone
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.serializers import as_serializer_error
from rest_framework.views import exception_handler as drf_exception_handler


@dataclass(frozen=True)
class ErrorRule:
    status: int
    code: str


class DomainError(exceptions.APIException):
    """A domain exception translated to HTTP by `api_exception_handler`."""

    def __init__(self, *, detail: str, rule: ErrorRule, wait: int | None = None) -> None:
        super().__init__(detail=detail, code=rule.code)
        self.status_code = rule.status
        self.wait = wait


def _rule_table() -> list[tuple[type[Exception], ErrorRule]]:
    """Domain exception class -> HTTP; the first matching class wins (subclasses first)."""
    return [*_api_rules(), *_streams_rules(), *_predictor_rules()]


def _api_rules() -> list[tuple[type[Exception], ErrorRule]]:
    from musicflow_site.api.errors import InvalidCredentials

    return [(InvalidCredentials, ErrorRule(400, "invalid_credentials"))]


def _streams_rules() -> list[tuple[type[Exception], ErrorRule]]:
    from streams.clients.errors import RateLimited, SourceUnavailable
    from streams.errors import (
        ImportBusy,
        ImportRejected,
        LookupDeferred,
        NotFound,
        TrackNotFound,
        UploadTooLarge,
    )

    return [
        (TrackNotFound, ErrorRule(404, "track_not_found")),
        (LookupDeferred, ErrorRule(503, "lookup_deferred")),
        (UploadTooLarge, ErrorRule(413, "upload_too_large")),
        (ImportRejected, ErrorRule(400, "import_rejected")),
        (ImportBusy, ErrorRule(409, "import_busy")),
        (NotFound, ErrorRule(404, "not_found")),
        # A source's 429 is our 503: the client did nothing wrong, and Retry-After
        # tells it when the source will answer again.
        (RateLimited, ErrorRule(503, "source_rate_limited")),
        (SourceUnavailable, ErrorRule(503, "source_unavailable")),
    ]


def _predictor_rules() -> list[tuple[type[Exception], ErrorRule]]:
    from predictor.errors import (
        ArtifactIntegrityError,
        ModelArtifactMissing,
        ModelVersionNotFound,
        ModelVersionStateError,
        NoActiveModel,
        TrainingInProgress,
    )

    return [
        (NoActiveModel, ErrorRule(503, "no_active_model")),
        (ModelVersionNotFound, ErrorRule(404, "not_found")),
        (ModelVersionStateError, ErrorRule(409, "model_version_state")),
        (TrainingInProgress, ErrorRule(409, "training_in_progress")),
        # The stored model no longer matches its checksum: refused, never unpickled.
        (ArtifactIntegrityError, ErrorRule(503, "model_unavailable")),
        # Its file is not in the storage: the same for a client, nothing can be served.
        (ModelArtifactMissing, ErrorRule(503, "model_unavailable")),
    ]


@cache
def domain_rules() -> tuple[tuple[type[Exception], ErrorRule], ...]:
    return tuple(_rule_table())


def retry_after_seconds(retry_at: datetime | None) -> int | None:
    """Whole seconds until `retry_at`, at least 1; None when there is nothing to wait for."""
    if retry_at is None:
        return None
    return max(1, math.ceil((retry_at - timezone.now()).total_seconds()))


def as_api_exception(exc: Exception) -> Exception:
    """Our domain exceptions and Django's ValidationError as DRF exceptions; others unchanged."""
    if isinstance(exc, DjangoValidationError):
        return exceptions.ValidationError(as_serializer_error(exc))
    for cls, rule in domain_rules():
        if isinstance(exc, cls):
            wait = retry_after_seconds(getattr(exc, "retry_at", None))
            return DomainError(detail=str(exc) or rule.code, rule=rule, wait=wait)
    return exc


def api_exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    exc = as_api_exception(exc)
    response = drf_exception_handler(exc, context)
    if response is None:
        return None
    response.data = _envelope(exc, response)
    return response


def error_status_and_body(exc: Exception) -> tuple[int, dict[str, Any]] | None:
    """The status and body an exception would answer with; None for unmapped ones.

    For operations that report errors per item (batch predictions)."""
    exc = as_api_exception(exc)
    if not isinstance(exc, exceptions.APIException):
        return None
    headers = {"Retry-After": f"{int(exc.wait)}"} if getattr(exc, "wait", None) else {}
    response = Response(status=exc.status_code, headers=headers)
    return exc.status_code, _envelope(exc, response)


def _envelope(exc: Exception, response: Response) -> dict[str, Any]:
    if isinstance(exc, exceptions.ValidationError):
        body: dict[str, Any] = {
            "detail": "Invalid input.",
            "code": "invalid",
            "fields": _field_messages(exc.detail),
        }
    else:
        detail = getattr(exc, "detail", "")
        body = {"detail": str(detail), "code": _code_of(exc, detail)}
    if "Retry-After" in response.headers:
        body["retry_after"] = int(response.headers["Retry-After"])
    return body


def _field_messages(detail: Any) -> dict[str, list[str]]:
    """Messages per parameter, nested input flattened to dotted paths ("items.2.song")."""
    found: dict[str, list[str]] = {}
    _flatten(detail, "", found)
    return found


def _flatten(detail: Any, path: str, found: dict[str, list[str]]) -> None:
    if isinstance(detail, dict):
        for name, inner in detail.items():
            nested = path if name == "non_field_errors" and path else _join(path, str(name))
            _flatten(inner, nested, found)
    elif isinstance(detail, list) and any(isinstance(item, dict | list) for item in detail):
        for index, item in enumerate(detail):
            _flatten(item, _join(path, str(index)), found)
    elif isinstance(detail, list):
        found.setdefault(path or "non_field_errors", []).extend(str(item) for item in detail)
    else:
        found.setdefault(path or "non_field_errors", []).append(str(detail))


def _join(path: str, name: str) -> str:
    return f"{path}.{name}" if path else name


def _code_of(exc: Exception, detail: Any) -> str:
    code = getattr(detail, "code", None)
    if isinstance(code, str) and code:
        return code
    return str(getattr(exc, "default_code", "error"))


# Statuses the API documents for every operation that can produce them.
ERROR_STATUSES: dict[int, str] = {
    status.HTTP_400_BAD_REQUEST: "Invalid input (`fields` holds the messages per parameter) or wrong credentials.",
    status.HTTP_401_UNAUTHORIZED: "Authentication required (session or `Authorization: Token …`).",
    status.HTTP_403_FORBIDDEN: "Authenticated, but not allowed to do this.",
    status.HTTP_404_NOT_FOUND: "Not found (or not yours).",
    status.HTTP_409_CONFLICT: "Conflicts with work in progress; try again later.",
    status.HTTP_413_REQUEST_ENTITY_TOO_LARGE: "Upload larger than the configured limit.",
    status.HTTP_415_UNSUPPORTED_MEDIA_TYPE: "A body in a format this operation does not take.",
    status.HTTP_429_TOO_MANY_REQUESTS: "Throttled: retry after `retry_after` seconds.",
    status.HTTP_503_SERVICE_UNAVAILABLE: "Temporarily unable to serve; see `detail`.",
}
