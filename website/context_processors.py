"""Values every page needs: whether Spotify login is on, and why not when it is off."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest

from website.spotify_auth import spotify_login_enabled


def site(request: HttpRequest) -> dict[str, Any]:
    return {"spotify_login_enabled": spotify_login_enabled()}
