"""Log in with Spotify: social-auth's Spotify backend pointed at configurable hosts.

The hosts come from the feature-source settings (SPOTIFY_ACCOUNTS_URL, SPOTIFY_API_URL),
so tests drive the whole round trip against the fake Spotify server on 127.0.0.1.
Credentials are read at call time, so the backend is "on" exactly when
SPOTIFY_CLIENT_ID is set, and tokens are encrypted before social-auth stores them.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urljoin

from django.conf import settings
from social_core.backends.spotify import SpotifyOAuth2
from social_core.exceptions import AuthConfigurationError

from website.token_crypto import token_decrypt, token_encrypt, token_is_encrypted

_TOKEN_FIELDS = ("access_token", "refresh_token")


def spotify_login_enabled() -> bool:
    return bool(getattr(settings, "SPOTIFY_CLIENT_ID", ""))


class MusicFlowSpotifyOAuth2(SpotifyOAuth2):
    name = "spotify"
    EXTRA_DATA = [
        ("refresh_token", "refresh_token"),
        ("expires_in", "expires_in"),
        ("token_type", "token_type"),
    ]

    def authorization_url(self) -> str:
        return urljoin(settings.SPOTIFY_ACCOUNTS_URL, "authorize")

    def access_token_url(self) -> str:
        return urljoin(settings.SPOTIFY_ACCOUNTS_URL, "api/token")

    def get_key_and_secret(self) -> tuple[str, str]:
        if not spotify_login_enabled():
            raise AuthConfigurationError(
                self, "SPOTIFY_CLIENT_ID is not set", code="missing_setting", stage="begin"
            )
        return settings.SPOTIFY_CLIENT_ID, settings.SPOTIFY_CLIENT_SECRET

    def user_data(self, access_token: str, *args: Any, **kwargs: Any) -> dict[str, Any] | None:
        return self.get_json(
            urljoin(settings.SPOTIFY_API_URL, "me"),
            headers={"Authorization": f"Bearer {access_token}"},
        )

    def get_user_details(self, response: dict[str, Any]) -> dict[str, Any]:
        # Development-mode apps no longer get an email from /me; never rely on one.
        return {
            "username": response.get("id"),
            "email": "",
            "fullname": response.get("display_name") or "",
            "first_name": None,
            "last_name": None,
        }

    def extra_data(
        self,
        user: Any,
        uid: str,
        response: dict[str, Any],
        details: dict[str, Any],
        pipeline_kwargs: dict[str, Any],
    ) -> dict[str, Any]:
        data = super().extra_data(user, uid, response, details, pipeline_kwargs)
        for field in _TOKEN_FIELDS:
            value = data.get(field)
            if not value:
                # Spotify may omit the refresh token on refresh: keep the stored one.
                data.pop(field, None)
            elif not token_is_encrypted(value=value):
                data[field] = token_encrypt(plaintext=value)
        return data

    def get_refresh_token(self, extra_data: dict[str, Any]) -> str | None:
        stored = extra_data.get("refresh_token")
        return token_decrypt(stored=stored) if stored else None
