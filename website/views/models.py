"""Placeholder while the page is being written."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse


def _todo(request: HttpRequest, *args: object, **kwargs: object) -> HttpResponse:
    return HttpResponse("Coming soon.", status=503)


models_page = model_retrain = model_activate = _todo
