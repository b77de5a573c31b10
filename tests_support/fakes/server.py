"""Fake Spotify (accounts + Web API) and ReccoBeats servers for tests and benchmarks.

Each service runs as a real threaded HTTP server on 127.0.0.1 with its own port, so the
paths it sees are exactly the real ones (``/api/token``, ``/v1/tracks``, ...), and the
code under test talks to it through spotipy and requests unchanged. A test tells the
fake how to misbehave (403, 429 with Retry-After, 5xx bursts, slow or malformed answers)
and reads back every request it received.
"""

from __future__ import annotations

import base64
import json
import re
import secrets
import threading
import time
import unicodedata
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

from tests_support.fakes import wire
from tests_support.fakes.catalog import FakeTrack, default_catalog

SERVICES = ("accounts", "spotify", "reccobeats")
ENDPOINTS = (
    "accounts.token",
    "accounts.authorize",
    "spotify.track",
    "spotify.tracks",
    "spotify.audio_features",
    "spotify.search",
    "spotify.me",
    "reccobeats.audio_features",
)
SPOTIFY_ID = re.compile(r"^[0-9A-Za-z]{22}$")
SEARCH_LIMIT_MAX = 10
BATCH_TRACKS_MAX = 50
AUDIO_FEATURES_MAX = 100
RECCOBEATS_BATCH_MAX = 40
MALFORMED_BODY = b'{"content": [{"id": "truncated'


@dataclass
class RecordedRequest:
    service: str
    endpoint: str
    method: str
    path: str
    query: dict[str, str]
    status: int = 0

    @property
    def ids(self) -> list[str]:
        raw = self.query.get("ids", "")
        return [part for part in raw.split(",") if part]


@dataclass
class Fault:
    """A misbehaviour applied to the next ``times`` matching requests (None: forever)."""

    endpoint: str
    status: int | None = None
    headers: dict[str, str] = field(default_factory=dict)
    body: dict[str, Any] | None = None
    delay: float = 0.0
    malformed: bool = False
    times: int | None = None
    match: Callable[[RecordedRequest], bool] | None = None

    def applies_to(self, request: RecordedRequest) -> bool:
        if self.endpoint != request.endpoint or self.times == 0:
            return False
        return self.match is None or self.match(request)


@dataclass
class Response:
    status: int
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)

    @classmethod
    def json(cls, status: int, payload: Any, headers: dict[str, str] | None = None) -> Response:
        return cls(
            status,
            json.dumps(payload).encode(),
            {"Content-Type": "application/json", **(headers or {})},
        )


@dataclass
class FakeSpotifyUser:
    id: str = "fakelistener"
    display_name: str = "Fake Listener"
    email: str = "listener@example.test"
    country: str = "DE"
    product: str = "premium"


@dataclass
class _Token:
    kind: str  # "client" or "user"
    expires_at: float
    scope: str = ""


def _fold(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(char for char in decomposed if not unicodedata.combining(char))


def _words(text: str) -> list[str]:
    return re.findall(r"\w+", _fold(text))


class FakeMusicServices:
    """The three fake services and the controls a test uses on them."""

    def __init__(self, *, catalog: Iterable[FakeTrack] | None = None) -> None:
        self._lock = threading.RLock()
        self._stopping = threading.Event()
        self._servers: dict[str, ThreadingHTTPServer] = {}
        self._initial_catalog = list(catalog) if catalog is not None else None
        self.client_id = "fake-client-id"
        self.client_secret = "fake-client-secret"
        self.reset()

    # --- lifecycle -------------------------------------------------------------------

    def start(self) -> FakeMusicServices:
        for service in SERVICES:
            server = _Server(("127.0.0.1", 0), _Handler)
            server.services = self
            server.service = service
            thread = threading.Thread(
                target=server.serve_forever, name=f"fake-{service}", daemon=True
            )
            thread.start()
            self._servers[service] = server
        return self

    def stop(self) -> None:
        self._stopping.set()
        for server in self._servers.values():
            server.shutdown()
            server.server_close()
        self._servers.clear()

    def __enter__(self) -> FakeMusicServices:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    def reset(self) -> None:
        """Forget requests, faults, tokens and modes; reload the default catalog."""
        with self._lock:
            self.tracks: dict[str, FakeTrack] = {}
            self.requests: list[RecordedRequest] = []
            self.faults: list[Fault] = []
            self._tokens: dict[str, _Token] = {}
            self._codes: dict[str, tuple[str, str]] = {}
            self._refresh_tokens: dict[str, str] = {}
            self.user = FakeSpotifyUser()
            self.token_lifetime = 3600
            self.deny_authorization = False
            self.extended_quota()
            self.load(
                self._initial_catalog if self._initial_catalog is not None else default_catalog()
            )

    # --- addresses -------------------------------------------------------------------

    def base_url(self, service: str) -> str:
        host, port = self._servers[service].server_address[:2]
        return f"http://{host}:{port}/"

    @property
    def accounts_url(self) -> str:
        return self.base_url("accounts")

    @property
    def spotify_api_url(self) -> str:
        return self.base_url("spotify") + "v1/"

    @property
    def reccobeats_api_url(self) -> str:
        return self.base_url("reccobeats") + "v1/"

    @property
    def authorize_url(self) -> str:
        return self.accounts_url + "authorize"

    @property
    def token_url(self) -> str:
        return self.accounts_url + "api/token"

    def environ(self) -> dict[str, str]:
        """Environment variables that point a MusicFlow subprocess at these fakes."""
        return {
            "SPOTIFY_API_URL": self.spotify_api_url,
            "SPOTIFY_ACCOUNTS_URL": self.accounts_url,
            "RECCOBEATS_API_URL": self.reccobeats_api_url,
            "SPOTIFY_CLIENT_ID": self.client_id,
            "SPOTIFY_CLIENT_SECRET": self.client_secret,
        }

    # --- catalog and modes -----------------------------------------------------------

    def load(self, tracks: Iterable[FakeTrack]) -> None:
        with self._lock:
            for track in tracks:
                self.tracks[track.id] = track

    def clear_catalog(self) -> None:
        with self._lock:
            self.tracks = {}

    def extended_quota(self) -> None:
        """Behave like an app with extended quota: every endpoint, every field."""
        self.audio_features_allowed = True
        self.batch_tracks_allowed = True
        self.extended_fields = True

    def development_mode(self) -> None:
        """Behave like a Development-mode app as of 2026-03: 403 on audio features and
        batch tracks, no popularity / available_markets in track objects, no email."""
        self.audio_features_allowed = False
        self.batch_tracks_allowed = False
        self.extended_fields = False

    # --- faults ----------------------------------------------------------------------

    def add_fault(self, fault: Fault) -> Fault:
        if fault.endpoint not in ENDPOINTS:
            raise ValueError(f"unknown endpoint {fault.endpoint!r}; known: {', '.join(ENDPOINTS)}")
        with self._lock:
            self.faults.append(fault)
        return fault

    def forbid(self, endpoint: str, *, times: int | None = None) -> Fault:
        return self.add_fault(
            Fault(endpoint, status=403, body=wire.spotify_error(403, "Forbidden"), times=times)
        )

    def rate_limit(self, endpoint: str, *, retry_after: int, times: int | None = 1) -> Fault:
        body = wire.spotify_error(429, "API rate limit exceeded")
        return self.add_fault(
            Fault(
                endpoint,
                status=429,
                headers={"Retry-After": str(retry_after)},
                body=body,
                times=times,
            )
        )

    def server_error(self, endpoint: str, *, times: int | None = 1, status: int = 500) -> Fault:
        body = wire.spotify_error(status, "Server error")
        return self.add_fault(Fault(endpoint, status=status, body=body, times=times))

    def slow(self, endpoint: str, *, seconds: float, times: int | None = 1) -> Fault:
        return self.add_fault(Fault(endpoint, delay=seconds, times=times))

    def malformed(
        self,
        endpoint: str,
        *,
        times: int | None = 1,
        match: Callable[[RecordedRequest], bool] | None = None,
    ) -> Fault:
        return self.add_fault(Fault(endpoint, malformed=True, times=times, match=match))

    def clear_faults(self) -> None:
        with self._lock:
            self.faults = []

    # --- recorded requests -----------------------------------------------------------

    def requests_to(
        self, endpoint: str | None = None, *, service: str | None = None
    ) -> list[RecordedRequest]:
        with self._lock:
            return [
                request
                for request in self.requests
                if (endpoint is None or request.endpoint == endpoint)
                and (service is None or request.service == service)
            ]

    def count(self, endpoint: str | None = None, *, service: str | None = None) -> int:
        return len(self.requests_to(endpoint, service=service))

    def counts(self) -> dict[str, int]:
        totals: dict[str, int] = {}
        for request in self.requests_to():
            totals[request.endpoint] = totals.get(request.endpoint, 0) + 1
        return totals

    def clear_requests(self) -> None:
        with self._lock:
            self.requests = []

    def expire_tokens(self) -> None:
        with self._lock:
            for token in self._tokens.values():
                token.expires_at = 0.0

    # --- request handling (called from the server threads) ---------------------------

    def handle(
        self, service: str, method: str, raw_path: str, headers: Any, body: bytes
    ) -> Response:
        parts = urlsplit(raw_path)
        query = {
            key: values[0] for key, values in parse_qs(parts.query, keep_blank_values=True).items()
        }
        if method == "POST" and body:
            form = {
                key: values[0]
                for key, values in parse_qs(body.decode(), keep_blank_values=True).items()
            }
        else:
            form = {}
        endpoint, handler = self._route(service, method, parts.path)
        request = RecordedRequest(service, endpoint, method, parts.path, query)
        with self._lock:
            self.requests.append(request)
            fault = self._take_fault(request)
        response = self._apply(fault, lambda: handler(request, headers, form))
        request.status = response.status
        return response

    def _take_fault(self, request: RecordedRequest) -> Fault | None:
        for fault in self.faults:
            if fault.applies_to(request):
                if fault.times is not None:
                    fault.times -= 1
                return fault
        return None

    def _apply(self, fault: Fault | None, respond: Callable[[], Response]) -> Response:
        if fault is None:
            return respond()
        if fault.delay:
            self._stopping.wait(fault.delay)
        if fault.malformed:
            return Response(200, MALFORMED_BODY, {"Content-Type": "application/json"})
        if fault.status is None:
            return respond()
        return Response.json(fault.status, fault.body or {}, fault.headers)

    def _route(self, service: str, method: str, path: str) -> tuple[str, Callable[..., Response]]:
        routes: dict[tuple[str, str, str], tuple[str, Callable[..., Response]]] = {
            ("accounts", "POST", "/api/token"): ("accounts.token", self._token),
            ("accounts", "GET", "/authorize"): ("accounts.authorize", self._authorize),
            ("spotify", "GET", "/v1/tracks"): ("spotify.tracks", self._tracks),
            ("spotify", "GET", "/v1/audio-features"): (
                "spotify.audio_features",
                self._audio_features,
            ),
            ("spotify", "GET", "/v1/search"): ("spotify.search", self._search),
            ("spotify", "GET", "/v1/me"): ("spotify.me", self._me),
            ("reccobeats", "GET", "/v1/audio-features"): (
                "reccobeats.audio_features",
                self._reccobeats,
            ),
        }
        normalised = path.rstrip("/") or "/"
        if (service, method, normalised) in routes:
            return routes[(service, method, normalised)]
        if service == "spotify" and method == "GET" and normalised.startswith("/v1/tracks/"):
            return "spotify.track", self._track
        return f"{service}.unknown", self._not_found

    # --- accounts --------------------------------------------------------------------

    def _client_from(self, headers: Any, form: dict[str, str]) -> tuple[str, str]:
        authorization = headers.get("Authorization", "")
        if authorization.startswith("Basic "):
            decoded = base64.b64decode(authorization[6:]).decode()
            client_id, _, secret = decoded.partition(":")
            return client_id, secret
        return form.get("client_id", ""), form.get("client_secret", "")

    def _issue(self, kind: str, scope: str = "") -> dict[str, Any]:
        access = secrets.token_urlsafe(24)
        with self._lock:
            self._tokens[access] = _Token(kind, time.time() + self.token_lifetime, scope)
        body: dict[str, Any] = {
            "access_token": access,
            "token_type": "Bearer",
            "expires_in": self.token_lifetime,
        }
        if kind == "user":
            body["scope"] = scope
        return body

    def _token(self, request: RecordedRequest, headers: Any, form: dict[str, str]) -> Response:
        if self._client_from(headers, form) != (self.client_id, self.client_secret):
            return Response.json(
                400, {"error": "invalid_client", "error_description": "Invalid client"}
            )
        grant = form.get("grant_type")
        if grant == "client_credentials":
            return Response.json(200, self._issue("client"))
        if grant == "authorization_code":
            return self._exchange_code(form)
        if grant == "refresh_token":
            with self._lock:
                scope = self._refresh_tokens.get(form.get("refresh_token", ""))
            if scope is None:
                return Response.json(
                    400, {"error": "invalid_grant", "error_description": "Invalid refresh token"}
                )
            return Response.json(200, self._issue("user", scope))
        return Response.json(
            400, {"error": "unsupported_grant_type", "error_description": f"grant_type: {grant}"}
        )

    def _exchange_code(self, form: dict[str, str]) -> Response:
        with self._lock:
            issued = self._codes.pop(form.get("code", ""), None)
        if issued is None:
            return Response.json(
                400, {"error": "invalid_grant", "error_description": "Invalid authorization code"}
            )
        redirect_uri, scope = issued
        if form.get("redirect_uri") != redirect_uri:
            return Response.json(
                400, {"error": "invalid_grant", "error_description": "Invalid redirect URI"}
            )
        token = self._issue("user", scope)
        refresh = secrets.token_urlsafe(24)
        with self._lock:
            self._refresh_tokens[refresh] = scope
        return Response.json(200, {**token, "refresh_token": refresh})

    def _authorize(self, request: RecordedRequest, headers: Any, form: dict[str, str]) -> Response:
        query = request.query
        redirect_uri = query.get("redirect_uri", "")
        if query.get("client_id") != self.client_id:
            return Response(400, b"INVALID_CLIENT: Invalid client", {"Content-Type": "text/plain"})
        if not redirect_uri or urlsplit(redirect_uri).hostname == "localhost":
            return Response(
                400, b"INVALID_CLIENT: Insecure redirect URI", {"Content-Type": "text/plain"}
            )
        if query.get("response_type") != "code":
            return Response(400, b"unsupported_response_type", {"Content-Type": "text/plain"})
        if self.deny_authorization:
            params = {"error": "access_denied"}
        else:
            code = secrets.token_urlsafe(16)
            with self._lock:
                self._codes[code] = (redirect_uri, query.get("scope", ""))
            params = {"code": code}
        if "state" in query:
            params["state"] = query["state"]
        separator = "&" if "?" in redirect_uri else "?"
        return Response(302, b"", {"Location": f"{redirect_uri}{separator}{urlencode(params)}"})

    # --- Spotify Web API -------------------------------------------------------------

    def _authorised(self, headers: Any, *, user: bool = False) -> Response | None:
        """None when the bearer token is valid (a user token when ``user``), else the 401."""
        authorization = headers.get("Authorization", "")
        with self._lock:
            token = self._tokens.get(authorization.removeprefix("Bearer "))
        if not authorization.startswith("Bearer ") or token is None:
            return Response.json(401, wire.spotify_error(401, "Invalid access token"))
        if token.expires_at < time.time():
            return Response.json(401, wire.spotify_error(401, "The access token expired"))
        if user and token.kind != "user":
            return Response.json(401, wire.spotify_error(401, "Unauthorized."))
        return None

    def _track_json(self, track: FakeTrack) -> dict[str, Any]:
        return wire.spotify_track(track, self.spotify_api_url, extended=self.extended_fields)

    def _track(self, request: RecordedRequest, headers: Any, form: dict[str, str]) -> Response:
        denied = self._authorised(headers)
        if denied:
            return denied
        track_id = request.path.rstrip("/").rsplit("/", 1)[-1]
        if not SPOTIFY_ID.match(track_id):
            return Response.json(400, wire.spotify_error(400, "Invalid base62 id"))
        track = self.tracks.get(track_id)
        if track is None:
            return Response.json(404, wire.spotify_error(404, "Resource not found"))
        return Response.json(200, self._track_json(track))

    def _ids(self, request: RecordedRequest, maximum: int) -> list[str] | Response:
        ids = request.ids
        if not ids:
            return Response.json(400, wire.spotify_error(400, "invalid request: missing ids"))
        if len(ids) > maximum:
            return Response.json(400, wire.spotify_error(400, "Too many ids requested"))
        return ids

    def _tracks(self, request: RecordedRequest, headers: Any, form: dict[str, str]) -> Response:
        denied = self._authorised(headers)
        if denied:
            return denied
        if not self.batch_tracks_allowed:
            return Response.json(403, wire.spotify_error(403, "Forbidden"))
        ids = self._ids(request, BATCH_TRACKS_MAX)
        if isinstance(ids, Response):
            return ids
        tracks = [self.tracks.get(track_id) for track_id in ids]
        return Response.json(200, {"tracks": [self._track_json(t) if t else None for t in tracks]})

    def _audio_features(
        self, request: RecordedRequest, headers: Any, form: dict[str, str]
    ) -> Response:
        denied = self._authorised(headers)
        if denied:
            return denied
        if not self.audio_features_allowed:
            return Response.json(403, wire.spotify_error(403, "Forbidden"))
        ids = self._ids(request, AUDIO_FEATURES_MAX)
        if isinstance(ids, Response):
            return ids
        features = [
            wire.spotify_audio_features(self.tracks[i], self.spotify_api_url)
            if i in self.tracks
            else None
            for i in ids
        ]
        return Response.json(200, {"audio_features": features})

    def _search(self, request: RecordedRequest, headers: Any, form: dict[str, str]) -> Response:
        denied = self._authorised(headers)
        if denied:
            return denied
        query = request.query
        try:
            limit = int(query.get("limit", "20"))
            offset = int(query.get("offset", "0"))
        except ValueError:
            return Response.json(400, wire.spotify_error(400, "Invalid limit"))
        if not 0 < limit <= SEARCH_LIMIT_MAX:
            return Response.json(400, wire.spotify_error(400, "Invalid limit"))
        if "track" not in query.get("type", "").split(","):
            return Response.json(400, wire.spotify_error(400, "Bad search type field"))
        if not query.get("q"):
            return Response.json(400, wire.spotify_error(400, "No search query"))
        matches = sorted(self._search_matches(query["q"]), key=lambda track: -track.popularity)
        items = [self._track_json(track) for track in matches[offset : offset + limit]]
        page = wire.spotify_search_page(
            items,
            api_url=self.spotify_api_url,
            query=query["q"],
            limit=limit,
            offset=offset,
            total=len(matches),
        )
        return Response.json(200, page)

    def _search_matches(self, q: str) -> list[FakeTrack]:
        """Word containment, like a strict search engine: every query word must appear
        in the track name (``track:`` filter), an artist name (``artist:``) or either."""
        filters = {"track": [], "artist": [], "any": []}
        for name, quoted, bare in re.findall(
            r'(?:(track|artist|album|year):)?(?:"([^"]*)"|(\S+))', q
        ):
            filters.get(name or "any", filters["any"]).extend(_words(quoted or bare))

        def matches(track: FakeTrack) -> bool:
            name_words = set(_words(track.name))
            artist_words = {word for artist in track.artists for word in _words(artist.name)}
            return (
                set(filters["track"]) <= name_words
                and set(filters["artist"]) <= artist_words
                and set(filters["any"]) <= name_words | artist_words
            )

        return [track for track in self.tracks.values() if matches(track)]

    def _me(self, request: RecordedRequest, headers: Any, form: dict[str, str]) -> Response:
        denied = self._authorised(headers, user=True)
        if denied:
            return denied
        user = self.user
        profile: dict[str, Any] = {
            "id": user.id,
            "display_name": user.display_name,
            "country": user.country,
            "product": user.product,
            "type": "user",
            "uri": f"spotify:user:{user.id}",
            "href": f"{self.spotify_api_url}users/{user.id}",
            "external_urls": {"spotify": f"{wire.OPEN_SPOTIFY}/user/{user.id}"},
            "followers": {"href": None, "total": 0},
            "images": [],
        }
        if self.extended_fields:
            profile["email"] = user.email
        return Response.json(200, profile)

    # --- ReccoBeats ------------------------------------------------------------------

    def _reccobeats(
        self, request: RecordedRequest, headers: Any, form: dict[str, str]
    ) -> Response:
        ids = request.ids
        if not ids or len(ids) > RECCOBEATS_BATCH_MAX:
            message = f"ids must hold between 1 and {RECCOBEATS_BATCH_MAX} values"
            return Response.json(400, {"status": 400, "error": "Bad Request", "message": message})
        content = [wire.reccobeats_features(self.tracks[i]) for i in ids if i in self.tracks]
        return Response.json(200, {"content": [item for item in content if item is not None]})

    def _not_found(self, request: RecordedRequest, headers: Any, form: dict[str, str]) -> Response:
        return Response.json(404, wire.spotify_error(404, "Service not found"))


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False
    services: FakeMusicServices
    service: str

    def handle_error(self, request: Any, client_address: Any) -> None:
        # A client that timed out closes the socket while a slow answer is pending;
        # that is expected here and not worth a traceback.
        pass


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    # Headers and body leave in one segment: unbuffered writes plus Nagle's algorithm
    # and delayed ACKs would add ~40 ms to every answer.
    disable_nagle_algorithm = True
    wbufsize = 1 << 16
    server: _Server

    def _serve(self, method: str) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        response = self.server.services.handle(
            self.server.service, method, self.path, self.headers, body
        )
        self.send_response(response.status)
        for name, value in response.headers.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(response.body)))
        self.end_headers()
        self.wfile.write(response.body)

    def do_GET(self) -> None:
        self._serve("GET")

    def do_POST(self) -> None:
        self._serve("POST")

    def log_message(self, format: str, *args: Any) -> None:
        pass
