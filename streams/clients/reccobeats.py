"""ReccoBeats client: free audio features by Spotify id, no key needed.

``GET <RECCOBEATS_API_URL>audio-features?ids=<spotify ids>`` answers
``{"content": [...]}``; items carry ReccoBeats' own uuid as ``id`` and the Spotify
link as ``href``, so results are matched by href and unknown ids are simply absent.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

import requests
from django.conf import settings

from streams.clients.errors import RateLimited, SourceUnavailable
from streams.clients.records import AudioFeatures
from streams.clients.retry import RetryPolicy, call_with_retries, retry_at_from_header

SOURCE = "reccobeats"
# What ReccoBeats' own clients send per request; larger batches are refused.
BATCH_MAX = 40
_SPOTIFY_TRACK_HREF = re.compile(r"open\.spotify\.com/(?:intl-[\w-]+/)?track/([0-9A-Za-z]{22})")


class ReccoBeatsClient:
    def __init__(self, *, api_url: str, policy: RetryPolicy | None = None) -> None:
        self._url = (api_url if api_url.endswith("/") else api_url + "/") + "audio-features"
        self._policy = policy or RetryPolicy()
        self._session = requests.Session()
        self._session.headers["Accept"] = "application/json"

    @classmethod
    def from_settings(cls) -> ReccoBeatsClient:
        return cls(api_url=settings.RECCOBEATS_API_URL, policy=RetryPolicy.from_settings())

    def audio_features_get(self, *, spotify_ids: Sequence[str]) -> dict[str, AudioFeatures | None]:
        """Features for up to 40 Spotify ids; None for the ids ReccoBeats does not know."""
        if not spotify_ids or len(spotify_ids) > BATCH_MAX:
            raise ValueError(f"a batch holds 1 to {BATCH_MAX} ids, got {len(spotify_ids)}")
        data = call_with_retries(
            lambda: self._attempt({"ids": ",".join(spotify_ids)}), policy=self._policy
        )
        found: dict[str, AudioFeatures] = {}
        for item in _content(data):
            match = _SPOTIFY_TRACK_HREF.search(str(item.get("href") or ""))
            if match:
                found[match.group(1)] = AudioFeatures.from_json(match.group(1), item)
        return {spotify_id: found.get(spotify_id) for spotify_id in spotify_ids}

    def _attempt(self, params: dict[str, str]) -> Any:
        try:
            response = self._session.get(self._url, params=params, timeout=self._policy.timeout)
        except requests.Timeout as exc:
            raise _unavailable("timed out", permanent=False, reason="timeout") from exc
        except requests.RequestException as exc:
            detail = f"unreachable: {exc.__class__.__name__}"
            raise _unavailable(detail, permanent=False, reason="connection") from exc
        status = response.status_code
        if status == 429:
            retry_after = response.headers.get("Retry-After")
            raise RateLimited(
                f"ReccoBeats rate limit (Retry-After: {retry_after})",
                source=SOURCE,
                retry_at=retry_at_from_header(retry_after),
            )
        if status >= 500:
            raise _unavailable(f"server error {status}", False, "server_error", status)
        if status >= 400:
            reason = {403: "forbidden", 404: "not_found"}.get(status, "bad_request")
            raise _unavailable(f"answered {status}", True, reason, status)
        try:
            return response.json()
        except ValueError as exc:
            raise _unavailable("answer is not JSON", permanent=False, reason="malformed") from exc


def _content(data: Any) -> list[dict[str, Any]]:
    content = data.get("content") if isinstance(data, dict) else None
    if not isinstance(content, list):
        raise _unavailable("answer has no 'content' list", permanent=False, reason="malformed")
    return [item for item in content if isinstance(item, dict)]


def _unavailable(
    detail: str, permanent: bool, reason: str, status: int | None = None
) -> SourceUnavailable:
    return SourceUnavailable(
        f"ReccoBeats {detail}", source=SOURCE, permanent=permanent, reason=reason, status=status
    )
