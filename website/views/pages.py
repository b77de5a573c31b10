"""The home page: what MusicFlow does, and a prediction for any song."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from website.forms import PredictionForm


@require_GET
def home(request: HttpRequest) -> HttpResponse:
    asked = "song" in request.GET or "artist" in request.GET
    form = PredictionForm(request.GET if asked else None)
    context: dict[str, object] = {"nav": "home", "form": form}
    return render(request, "website/home.html", context)
