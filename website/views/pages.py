"""The home page: what MusicFlow does, and a prediction for any song."""

from __future__ import annotations

import logging
from dataclasses import dataclass

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from predictor.errors import ArtifactIntegrityError, ModelArtifactMissing, NoActiveModel
from streams.clients.errors import RateLimited, SourceUnavailable
from streams.errors import LookupDeferred, TrackNotFound
from website.forms import PredictionForm
from website.prediction_card import prediction_card_get

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class PageError:
    kind: str  # the alert style: info, warn or error
    message: str
    status: int


def _error_for(exc: Exception, song: str, artist: str) -> PageError:
    if isinstance(exc, TrackNotFound):
        return PageError("info", f"We could not find that song: {exc}.", 404)
    if isinstance(exc, NoActiveModel):
        return PageError(
            "warn", "No model yet — import your history, or ask the site admin to train one.", 503
        )
    if isinstance(exc, RateLimited):
        return PageError(
            "warn", "A music source is rate-limiting us; please try again in a little while.", 503
        )
    if isinstance(exc, SourceUnavailable | LookupDeferred):
        return PageError(
            "warn", "The music sources are unavailable right now; try again later.", 503
        )
    return PageError(
        "error", "The model could not be loaded safely; the admin has been told.", 503
    )


@require_GET
def home(request: HttpRequest) -> HttpResponse:
    asked = "song" in request.GET or "artist" in request.GET
    form = PredictionForm(request.GET if asked else None)
    context: dict[str, object] = {"nav": "home", "form": form}
    status = 400 if asked and not form.is_valid() else 200
    if asked and form.is_valid():
        song, artist = form.cleaned_data["song"], form.cleaned_data["artist"]
        user = request.user if request.user.is_authenticated else None
        try:
            context["result"] = prediction_card_get(user=user, song=song, artist=artist)
        except (
            TrackNotFound,
            NoActiveModel,
            RateLimited,
            SourceUnavailable,
            LookupDeferred,
            ArtifactIntegrityError,
            ModelArtifactMissing,
        ) as exc:
            error = _error_for(exc, song, artist)
            context["error"], status = error, error.status
    return render(request, "website/home.html", context, status=status)
