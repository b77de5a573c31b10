"""Limit/offset pagination for every list endpoint, with a helper for plain APIViews."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from rest_framework.pagination import LimitOffsetPagination
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.serializers import Serializer
from rest_framework.views import APIView

# Past any table's end, and still a number every database can take in OFFSET.
_MAX_OFFSET = 2**62


class LimitOffset(LimitOffsetPagination):
    default_limit = 50
    max_limit = 500

    def get_offset(self, request: Request) -> int:
        return min(super().get_offset(request), _MAX_OFFSET)


def paginated_response(
    *,
    queryset: QuerySet[Any],
    serializer_class: type[Serializer],
    request: Request,
    view: APIView,
    pagination_class: type[LimitOffsetPagination] = LimitOffset,
) -> Response:
    """One page of `queryset`, serialised, with count/next/previous links."""
    paginator = pagination_class()
    page = paginator.paginate_queryset(queryset, request, view=view)
    serializer = serializer_class(page, many=True, context={"request": request})
    return paginator.get_paginated_response(serializer.data)
