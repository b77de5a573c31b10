"""The API documentation pages, served entirely from this site (no CDN, no web fonts)."""

from __future__ import annotations

from typing import Any

from django.http import HttpResponse
from django.template import engines
from drf_spectacular.utils import extend_schema
from drf_spectacular.views import SpectacularRedocView
from rest_framework.request import Request

# drf-spectacular's ReDoc page pulls Google Fonts; this one keeps its layout and
# script (from the sidecar package) and drops the font links, so it works offline.
_REDOC_OFFLINE = """{% extends "drf_spectacular/redoc.html" %}
{% block head %}
<title>{{ title|default:"Redoc" }}</title>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>body { margin: 0; padding: 0; }</style>
{% endblock head %}"""


class OfflineRedocView(SpectacularRedocView):
    @extend_schema(exclude=True)
    def get(self, request: Request, *args: Any, **kwargs: Any) -> HttpResponse:
        context = super().get(request, *args, **kwargs).data
        template = engines["django"].from_string(_REDOC_OFFLINE)
        return HttpResponse(template.render(context, request))
