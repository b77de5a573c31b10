"""Issue 7's security rules, checked against a real gunicorn running the production
settings (and the test database): hosts from DJANGO_ALLOWED_HOSTS only, HTTPS redirect,
HSTS and the other security headers, secure session and CSRF cookies, CSRF enforced,
and uploads over the limit refused from their declared size before the body is read.

(`check --deploy` is in test_deploy_checks.py; encrypted Spotify tokens in
website/tests/test_token_crypto.py and test_auth_spotify.py; sha256-checked artifacts in
predictor/tests/test_ml_artifact.py; account deletion and export in
website/tests/test_views_account.py.)
"""

from __future__ import annotations

import http.client
import secrets
import socket
from base64 import urlsafe_b64encode
from collections.abc import Iterator
from dataclasses import dataclass
from http.cookies import SimpleCookie
from urllib.parse import urlencode

import pytest

from musicflow_site.api.services import api_token_get_or_create
from streams.models import HistoryImport
from tests_support.processes import ProcessSet, free_port, http_wait_ready

pytestmark = [pytest.mark.slow]

SITE = "musicflow.example.org"
HTTPS = {"X-Forwarded-Proto": "https", "Host": SITE}
PASSWORD = "a-long-enough-password-1"
UPLOAD_LIMIT = 1_000_000
OVERSIZED = 10 * 1024**3  # declared, never sent


@dataclass
class Site:
    port: int
    processes: ProcessSet

    def request(
        self,
        method: str,
        path: str,
        *,
        headers: dict[str, str],
        body: bytes | None = None,
    ) -> http.client.HTTPResponse:
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=10)
        connection.request(method, path, body=body, headers=headers)
        response = connection.getresponse()
        response.read()
        connection.close()
        return response


@pytest.fixture
def production_site(live_stack) -> Iterator[Site]:
    port = free_port()
    live_stack.gunicorn(
        bind=f"127.0.0.1:{port}",
        workers=1,
        DJANGO_SETTINGS_MODULE="musicflow_site.settings.production",
        DJANGO_SECRET_KEY=secrets.token_urlsafe(50),
        DJANGO_ALLOWED_HOSTS=SITE,
        MUSICFLOW_TOKEN_ENCRYPTION_KEY=urlsafe_b64encode(secrets.token_bytes(32)).decode(),
        MUSICFLOW_UPLOAD_MAX_BYTES=str(UPLOAD_LIMIT),
    )
    http_wait_ready(
        host="127.0.0.1", port=port, path="/health", timeout=60, processes=live_stack.processes
    )
    yield Site(port=port, processes=live_stack.processes)


def _cookies(response: http.client.HTTPResponse) -> SimpleCookie:
    jar: SimpleCookie = SimpleCookie()
    for header in response.headers.get_all("Set-Cookie") or []:
        jar.load(header)
    return jar


def _login_form(username: str, csrf: str | None) -> bytes:
    fields = {"username": username, "password": PASSWORD}
    if csrf:
        fields["csrfmiddlewaretoken"] = csrf
    return urlencode(fields).encode()


def test_production_serves_only_its_hosts_over_https_with_hsts(production_site):
    unknown_host = production_site.request("GET", "/health", headers={"Host": "127.0.0.1"})
    assert unknown_host.status == 400

    plain_http = production_site.request("GET", "/health", headers={"Host": SITE})
    assert plain_http.status == 301
    assert plain_http.headers["Location"] == f"https://{SITE}/health"

    secure = production_site.request("GET", "/health", headers=HTTPS)
    assert secure.status in (200, 503)  # 503: no model in this database, still served
    assert secure.headers["Strict-Transport-Security"] == (
        "max-age=31536000; includeSubDomains; preload"
    )
    assert secure.headers["X-Content-Type-Options"] == "nosniff"
    assert secure.headers["X-Frame-Options"] == "DENY"
    assert secure.headers["Referrer-Policy"] == "same-origin"


def test_production_cookies_are_secure_and_csrf_is_enforced(
    production_site, django_user_model, settings
):
    # Production hashes with Django's defaults; the test settings' fast hasher is not one.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.PBKDF2PasswordHasher"]
    django_user_model.objects.create_user(username="carol", password=PASSWORD)
    form = {**HTTPS, "Content-Type": "application/x-www-form-urlencoded"}

    forged = production_site.request(
        "POST", "/accounts/login/", headers=form, body=_login_form("carol", None)
    )
    assert forged.status == 403
    assert "sessionid" not in _cookies(forged)

    token = secrets.token_hex(16)  # an unmasked 32-character CSRF secret
    logged_in = production_site.request(
        "POST",
        "/accounts/login/",
        headers={
            **form,
            "Cookie": f"csrftoken={token}",
            "Origin": f"https://{SITE}",
            "Referer": f"https://{SITE}/accounts/login/",
        },
        body=_login_form("carol", token),
    )
    assert logged_in.status == 302, production_site.processes.logs()
    cookies = _cookies(logged_in)
    assert cookies["sessionid"]["secure"] and cookies["sessionid"]["httponly"]
    assert cookies["csrftoken"]["secure"]


def _declare_and_wait(port: int, path: str, headers: dict[str, str]) -> tuple[int, bytes]:
    """Send only the headers of a huge upload; the answer must come without the body."""
    lines = [f"POST {path} HTTP/1.1", f"Content-Length: {OVERSIZED}"]
    lines += [f"{name}: {value}" for name, value in headers.items()]
    answer = b""
    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        sock.sendall(("\r\n".join(lines) + "\r\n\r\n").encode())
        try:
            while chunk := sock.recv(65536):  # the server closes after its answer
                answer += chunk
        except TimeoutError:
            if not answer:
                pytest.fail(f"{path}: no answer in 10 s; the server is waiting for the body")
    status_line = answer.split(b"\r\n", 1)[0]
    return int(status_line.split()[1]), answer


def test_an_oversized_upload_is_refused_before_its_body_is_read(production_site, user):
    token = api_token_get_or_create(user=user).key
    multipart = {**HTTPS, "Content-Type": "multipart/form-data; boundary=x"}

    status, answer = _declare_and_wait(
        production_site.port, "/api/imports/", {**multipart, "Authorization": f"Token {token}"}
    )
    assert status == 413, answer
    assert b"upload_too_large" in answer

    # A browser's upload carries a session and a CSRF token in the body: CSRF checking
    # would read the body first, so the size must be refused before that.
    status, answer = _declare_and_wait(
        production_site.port,
        "/dashboard/imports/",
        {
            **multipart,
            "Cookie": f"sessionid=whatever; csrftoken={secrets.token_hex(16)}",
            "Origin": f"https://{SITE}",
            "Referer": f"https://{SITE}/dashboard/",
        },
    )
    assert status == 413, answer
    assert not HistoryImport.objects.exists()
