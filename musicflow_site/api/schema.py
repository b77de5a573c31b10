"""OpenAPI helpers: the error body, documented error responses, paginated envelopes."""

from __future__ import annotations

from functools import cache
from typing import Any

from drf_spectacular import openapi
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, inline_serializer
from rest_framework import serializers, status

from musicflow_site.api.exception_handlers import ERROR_STATUSES


class ErrorSerializer(serializers.Serializer):
    detail = serializers.CharField(help_text="What went wrong, for a person.")
    code = serializers.CharField(help_text="A stable machine-readable code.")
    fields = serializers.DictField(
        child=serializers.ListField(child=serializers.CharField()),
        required=False,
        help_text="400 only: messages per parameter.",
    )
    retry_after = serializers.IntegerField(
        required=False, help_text="Seconds to wait; also sent as the Retry-After header."
    )


# What any operation behind authentication can answer: not signed in, or throttled.
AUTH_ERRORS: tuple[int, ...] = (status.HTTP_401_UNAUTHORIZED, status.HTTP_429_TOO_MANY_REQUESTS)


def error_responses(*statuses: int) -> dict[int, OpenApiResponse]:
    """`responses=` entries for the given error statuses, all with the error body."""
    return {
        code: OpenApiResponse(response=ErrorSerializer, description=ERROR_STATUSES[code])
        for code in statuses
    }


@cache
def paginated(serializer_class: type[serializers.Serializer], name: str) -> Any:
    """The limit/offset page envelope around `serializer_class` items, for the schema."""
    return inline_serializer(
        name=name,
        fields={
            "count": serializers.IntegerField(),
            "next": serializers.URLField(allow_null=True),
            "previous": serializers.URLField(allow_null=True),
            "results": serializer_class(many=True),
        },
    )


PAGINATION_PARAMETERS: list[OpenApiParameter] = [
    OpenApiParameter(
        "limit", int, description="Items per page (default 50, at most 500).", required=False
    ),
    OpenApiParameter("offset", int, description="Items to skip.", required=False),
]


def only_api_paths(endpoints: list[tuple[Any, ...]], **kwargs: Any) -> list[tuple[Any, ...]]:
    """Preprocessing hook: the schema lists each operation once, under /api/.

    The original endpoints are also served at the site root (/health, /prediction/, ...)
    by the same views; documenting both would only duplicate every operation.
    """
    return [endpoint for endpoint in endpoints if endpoint[0].startswith("/api/")]


class AutoSchema(openapi.AutoSchema):
    """Names nested serializers after their view: `HealthApi.OutputSerializer` -> `HealthOutput`.

    Every view nests its own `InputSerializer` / `OutputSerializer`; by bare class name
    they would all collide as one "Output" component.
    """

    def get_serializer_name(self, serializer: serializers.Serializer, direction: Any) -> str:
        parts = [p for p in type(serializer).__qualname__.split(".") if not p.startswith("<")]
        if len(parts) < 2:
            return super().get_serializer_name(serializer, direction)
        return "".join(_strip_suffix(part) for part in parts)


def _strip_suffix(name: str) -> str:
    for suffix in ("Serializer", "Api"):
        if name.endswith(suffix) and name != suffix:
            return name[: -len(suffix)]
    return name
