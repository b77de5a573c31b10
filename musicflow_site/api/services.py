"""API tokens: one per user, created on first request (DRF's authtoken model)."""

from __future__ import annotations

from django.contrib.auth import authenticate
from django.contrib.auth.models import AbstractBaseUser
from django.http import HttpRequest
from rest_framework.authtoken.models import Token

from musicflow_site.api.errors import InvalidCredentials


def api_token_get_or_create(*, user: AbstractBaseUser) -> Token:
    """The user's API token (the website shows it on the dashboard)."""
    token, _ = Token.objects.get_or_create(user=user)
    return token


def api_token_obtain(*, request: HttpRequest | None, username: str, password: str) -> Token:
    """The token of the user these credentials name; InvalidCredentials otherwise."""
    user = authenticate(request=request, username=username, password=password)
    if user is None:
        raise InvalidCredentials("Unable to log in with the username and password given.")
    return api_token_get_or_create(user=user)
