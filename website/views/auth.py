"""Spotify sign-in: thin wrappers around social-auth's views.

They add two things: a 404 when Spotify login is not configured, and a readable
login page (HTTP 400) instead of a server error when the callback is refused,
for example when its `state` does not match the one this browser was given.
"""

from __future__ import annotations

import logging

from django.contrib.auth.forms import AuthenticationForm
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.cache import never_cache
from social_core.exceptions import SocialAuthBaseException
from social_django import views as social_views

from website.spotify_auth import spotify_login_enabled

logger = logging.getLogger(__name__)

_STATE_CODES = {"state_mismatch", "session_context_missing"}


def _require_spotify() -> None:
    if not spotify_login_enabled():
        raise Http404("Spotify login is not configured on this site.")


def spotify_error_message(*, exc: SocialAuthBaseException) -> str:
    if exc.code in _STATE_CODES or exc.parameter == "state":
        return (
            "The Spotify login could not be verified: its state did not match this "
            "browser's. Nothing was changed; please start again."
        )
    if exc.code == "authorization_declined":
        return "You cancelled the Spotify login."
    return f"Spotify login failed: {exc}"


def spotify_begin(request: HttpRequest) -> HttpResponse:
    _require_spotify()
    return social_views.auth(request, "spotify")


@never_cache
def spotify_complete(request: HttpRequest) -> HttpResponse:
    _require_spotify()
    try:
        return social_views.complete(request, "spotify")
    except SocialAuthBaseException as exc:
        logger.warning("Spotify login refused: %s (%s)", exc.code, exc.stage)
        context = {
            "form": AuthenticationForm(request),
            "spotify_error": spotify_error_message(exc=exc),
        }
        return render(request, "registration/login.html", context, status=400)
