"""social-auth pipeline steps for Spotify sign-in."""

from __future__ import annotations

import re
import secrets
from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.base_user import AbstractBaseUser

_NOT_USERNAME_CHARS = re.compile(r"[^\w.@+-]")


def _username_for(*, spotify_id: str) -> str:
    User = get_user_model()
    base = "spotify-" + _NOT_USERNAME_CHARS.sub("", spotify_id)[:120]
    username = base
    while User.objects.filter(username=username).exists():
        username = f"{base}-{secrets.token_hex(3)}"
    return username


def user_from_spotify(
    backend: Any,
    uid: str,
    details: dict[str, Any],
    user: AbstractBaseUser | None = None,
    *args: Any,
    **kwargs: Any,
) -> dict[str, Any] | None:
    """Create the user from the Spotify id and display name, or refresh the display name.

    The username is derived from the Spotify id (the stable identity, also kept by the
    social association); the display name is what the pages show. No email is asked
    for or stored.
    """
    display_name = (details.get("fullname") or "")[:150]
    if user is not None:
        if display_name and user.first_name != display_name:
            user.first_name = display_name
            user.save(update_fields=["first_name"])
        return {"is_new": False}
    User = get_user_model()
    new_user = User(username=_username_for(spotify_id=uid), first_name=display_name)
    new_user.set_unusable_password()
    new_user.save()
    return {"user": new_user, "is_new": True}
