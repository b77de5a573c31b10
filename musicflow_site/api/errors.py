"""Errors of the API's own services (tokens)."""

from __future__ import annotations


class InvalidCredentials(Exception):
    """The username and password do not name an active user."""
