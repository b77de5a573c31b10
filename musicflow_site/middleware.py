"""Site-wide middleware."""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse

# Multipart boundaries and part headers around the files themselves.
MULTIPART_OVERHEAD_BYTES = 64 * 1024


class RequestBodyLimitMiddleware:
    """Refuse a request whose declared body is larger than any upload MusicFlow takes.

    Runs before the session and CSRF middleware: CSRF checking reads request.POST, which
    makes Django read (and spool to disk) the whole body. Here only the Content-Length
    header is looked at, so an oversized upload is answered 413 at once, unread.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        declared = _declared_length(request)
        limit = settings.MUSICFLOW_UPLOAD_MAX_BYTES
        if declared > limit + MULTIPART_OVERHEAD_BYTES:
            detail = (
                f"the upload is {declared} bytes, more than the {limit} accepted "
                "(MUSICFLOW_UPLOAD_MAX_BYTES)"
            )
            return JsonResponse({"detail": detail, "code": "upload_too_large"}, status=413)
        return self.get_response(request)


def _declared_length(request: HttpRequest) -> int:
    try:
        return int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        return 0
