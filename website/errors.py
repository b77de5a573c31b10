"""Domain errors of the website: sign-in with Spotify and the tokens it stores."""

from __future__ import annotations


class TokenDecryptionError(Exception):
    """A stored token cannot be decrypted with the configured key (key rotated or data corrupted)."""


class SpotifyNotLinked(Exception):
    """The user has no Spotify account linked, so there is no token to hand out."""
