"""Spotify Web API client (client-credentials flow), built on spotipy.

spotipy is handed a plain ``requests.Session`` so urllib3 never retries or sleeps on
its own: with spotipy's default session a 429 carrying Retry-After is slept on inside
urllib3 (hours, in the worst case), and a 5xx that exhausts urllib3's retries comes
back disguised as a 429 without headers. Retries happen in ``call_with_retries``
instead, where a long Retry-After becomes ``RateLimited(retry_at=...)``.

Base URLs come from settings (SPOTIFY_API_URL, SPOTIFY_ACCOUNTS_URL) so tests point the
real spotipy code at the fake server.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any
from urllib.parse import urljoin

import requests
import spotipy
from django.conf import settings
from spotipy.cache_handler import MemoryCacheHandler
from spotipy.exceptions import SpotifyException, SpotifyOauthError

from streams.clients.errors import RateLimited, SourceUnavailable
from streams.clients.records import ArtistRef, AudioFeatures, TrackMetadata
from streams.clients.retry import RetryPolicy, call_with_retries, retry_at_from_header

SOURCE = "spotify"
TRACKS_BATCH_MAX = 50
AUDIO_FEATURES_BATCH_MAX = 100
# Development-mode apps get 400 "Invalid limit" above 10 (since 2026-03).
SEARCH_LIMIT_MAX = 10
_PERMANENT_OAUTH_ERRORS = {"invalid_client", "unauthorized_client", "invalid_grant"}
_PERMANENT_STATUS_REASONS = {400: "bad_request", 403: "forbidden", 404: "not_found"}


def spotify_configured() -> bool:
    return bool(settings.SPOTIFY_CLIENT_ID and settings.SPOTIFY_CLIENT_SECRET)


class SpotifyClient:
    def __init__(
        self,
        *,
        client_id: str,
        client_secret: str,
        api_url: str,
        accounts_url: str,
        policy: RetryPolicy | None = None,
    ) -> None:
        self._policy = policy or RetryPolicy()
        session = requests.Session()
        self._auth = spotipy.SpotifyClientCredentials(
            client_id=client_id,
            client_secret=client_secret,
            requests_session=session,
            requests_timeout=self._policy.timeout,
            cache_handler=MemoryCacheHandler(),
        )
        self._auth.OAUTH_TOKEN_URL = urljoin(accounts_url, "api/token")
        self._api = spotipy.Spotify(
            auth_manager=self._auth,
            requests_session=session,
            requests_timeout=self._policy.timeout,
            # Inert with our own session (spotipy only builds its urllib3 Retry for a
            # session it creates), stated so no default can creep back in.
            retries=0,
            status_retries=0,
        )
        self._api.prefix = api_url if api_url.endswith("/") else api_url + "/"

    @classmethod
    def from_settings(cls) -> SpotifyClient:
        if not spotify_configured():
            raise SourceUnavailable(
                "Spotify is not configured (SPOTIFY_CLIENT_ID / SPOTIFY_CLIENT_SECRET are empty)",
                source=SOURCE,
                permanent=True,
                reason="not_configured",
            )
        return cls(
            client_id=settings.SPOTIFY_CLIENT_ID,
            client_secret=settings.SPOTIFY_CLIENT_SECRET,
            api_url=settings.SPOTIFY_API_URL,
            accounts_url=settings.SPOTIFY_ACCOUNTS_URL,
            policy=RetryPolicy.from_settings(),
        )

    # --- operations --------------------------------------------------------------------

    def track_get(self, *, spotify_id: str) -> TrackMetadata | None:
        """One track (works in Development mode); None when Spotify does not know it."""
        try:
            data = self._call(lambda: self._api.track(spotify_id))
        except SourceUnavailable as exc:
            if exc.reason == "not_found":
                return None
            raise
        return track_metadata_from_json(data)

    def tracks_get(self, *, spotify_ids: Sequence[str]) -> dict[str, TrackMetadata | None]:
        """Up to 50 tracks in one request (403 for Development-mode apps since 2026-03)."""
        _check_batch(spotify_ids, TRACKS_BATCH_MAX)
        data = self._call(lambda: self._api.tracks(list(spotify_ids)))
        found = {
            item["id"]: track_metadata_from_json(item)
            for item in _list_field(data, "tracks")
            if isinstance(item, dict) and item.get("id")
        }
        return {spotify_id: found.get(spotify_id) for spotify_id in spotify_ids}

    def audio_features_get(self, *, spotify_ids: Sequence[str]) -> dict[str, AudioFeatures | None]:
        """Up to 100 tracks' audio features (403 for apps created after 2024-11-27)."""
        _check_batch(spotify_ids, AUDIO_FEATURES_BATCH_MAX)
        data = self._call(lambda: self._api.audio_features(list(spotify_ids)))
        items = data if isinstance(data, list) else _list_field(data, "audio_features")
        found = {
            item["id"]: AudioFeatures.from_json(item["id"], item)
            for item in items
            if isinstance(item, dict) and item.get("id")
        }
        return {spotify_id: found.get(spotify_id) for spotify_id in spotify_ids}

    def tracks_search(self, *, query: str, limit: int = SEARCH_LIMIT_MAX) -> list[TrackMetadata]:
        limit = max(1, min(limit, SEARCH_LIMIT_MAX))
        data = self._call(lambda: self._api.search(q=query, limit=limit, type="track"))
        tracks = data.get("tracks") if isinstance(data, dict) else None
        if not isinstance(tracks, dict):
            raise _malformed("search answer has no tracks page")
        return [
            track_metadata_from_json(item)
            for item in _list_field(tracks, "items")
            if isinstance(item, dict) and item.get("id")
        ]

    # --- plumbing ----------------------------------------------------------------------

    def _call(self, operation: Callable[[], Any]) -> Any:
        return call_with_retries(lambda: self._attempt(operation), policy=self._policy)

    def _attempt(self, operation: Callable[[], Any]) -> Any:
        try:
            result = operation()
        except SpotifyException as exc:
            raise self._classify(exc) from exc
        except SpotifyOauthError as exc:
            permanent = exc.error in _PERMANENT_OAUTH_ERRORS
            reason = "credentials" if permanent else "server_error"
            raise SourceUnavailable(
                f"Spotify token request failed: {exc.error}",
                source=SOURCE,
                permanent=permanent,
                reason=reason,
            ) from exc
        except requests.JSONDecodeError as exc:
            raise _malformed("token answer is not JSON") from exc
        except requests.Timeout as exc:
            raise SourceUnavailable(
                "Spotify timed out", source=SOURCE, permanent=False, reason="timeout"
            ) from exc
        except requests.RequestException as exc:
            raise SourceUnavailable(
                f"Spotify unreachable: {exc.__class__.__name__}",
                source=SOURCE,
                permanent=False,
                reason="connection",
            ) from exc
        except TypeError as exc:
            # spotipy.audio_features() indexes into the parsed body, which is None
            # when the body was not JSON.
            raise _malformed("answer is not JSON") from exc
        if result is None:
            # spotipy returns None when a 2xx body is not valid JSON.
            raise _malformed("answer is not JSON")
        return result

    def _classify(self, exc: SpotifyException) -> RateLimited | SourceUnavailable:
        status = exc.http_status
        if status == 429:
            retry_after = (exc.headers or {}).get("Retry-After")
            return RateLimited(
                f"Spotify rate limit (Retry-After: {retry_after})",
                source=SOURCE,
                retry_at=retry_at_from_header(retry_after),
            )
        if status == 401:
            # The cached token was refused (expired or revoked): drop it so the next
            # attempt fetches a fresh one.
            self._auth.cache_handler.save_token_to_cache(None)
            return SourceUnavailable(
                "Spotify refused the access token",
                source=SOURCE,
                permanent=False,
                reason="expired_token",
                status=401,
            )
        if status is not None and status >= 500:
            return SourceUnavailable(
                f"Spotify server error {status}",
                source=SOURCE,
                permanent=False,
                reason="server_error",
                status=status,
            )
        return SourceUnavailable(
            f"Spotify answered {status}: {exc.msg}",
            source=SOURCE,
            permanent=True,
            reason=_PERMANENT_STATUS_REASONS.get(status or 0, "bad_request"),
            status=status,
        )


def track_metadata_from_json(data: dict[str, Any]) -> TrackMetadata:
    """A Spotify track object -> TrackMetadata; fields a mode omits stay None."""
    album = data.get("album") if isinstance(data.get("album"), dict) else {}
    markets = data.get("available_markets")
    external_ids = data.get("external_ids") if isinstance(data.get("external_ids"), dict) else {}
    release_date = album.get("release_date") or None
    precision = album.get("release_date_precision") or None
    if release_date and precision not in {"year", "month", "day"}:
        precision = {4: "year", 7: "month", 10: "day"}.get(len(release_date))
    return TrackMetadata(
        spotify_id=data["id"],
        name=data.get("name") or "",
        artists=tuple(
            ArtistRef(name=artist.get("name") or "", id=artist.get("id"))
            for artist in data.get("artists") or []
            if isinstance(artist, dict)
        ),
        album_name=album.get("name") or None,
        release_date=release_date,
        release_date_precision=precision,
        duration_ms=_int_or_none(data.get("duration_ms")),
        explicit=data.get("explicit") if isinstance(data.get("explicit"), bool) else None,
        popularity=_int_or_none(data.get("popularity")),
        available_markets_count=len(markets) if isinstance(markets, list) else None,
        isrc=external_ids.get("isrc") or None,
        raw=data,
    )


def _int_or_none(value: Any) -> int | None:
    return int(value) if isinstance(value, int) and not isinstance(value, bool) else None


def _list_field(data: Any, name: str) -> list[Any]:
    items = data.get(name) if isinstance(data, dict) else None
    if not isinstance(items, list):
        raise _malformed(f"answer has no {name!r} list")
    return items


def _check_batch(ids: Sequence[str], maximum: int) -> None:
    if not ids or len(ids) > maximum:
        raise ValueError(f"a batch holds 1 to {maximum} ids, got {len(ids)}")


def _malformed(detail: str) -> SourceUnavailable:
    return SourceUnavailable(
        f"Spotify sent a malformed answer: {detail}",
        source=SOURCE,
        permanent=False,
        reason="malformed",
    )
