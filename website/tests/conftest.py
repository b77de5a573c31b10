"""Fixtures for the website's tests."""

from __future__ import annotations

import os
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit, urlunsplit

import pytest
import requests
from django.test import Client
from django.urls import reverse

from tests_support.fakes.server import FakeMusicServices


def spotify_authorize(*, client: Client) -> str:
    """Press "Log in with Spotify"; returns where MusicFlow sends the browser."""
    response = client.post(reverse("website:spotify_begin"))
    assert response.status_code == 302, response.content
    return response["Location"]


def spotify_consent(*, authorize_url: str) -> str:
    """What the user's browser does at Spotify: returns the callback URL Spotify redirects to."""
    response = requests.get(authorize_url, allow_redirects=False, timeout=5)
    assert response.status_code == 302, response.text
    return response.headers["Location"]


def with_query(url: str, **changes: str) -> str:
    parts = urlsplit(url)
    query = {key: values[0] for key, values in parse_qs(parts.query).items()}
    query.update(changes)
    return urlunsplit(parts._replace(query=urlencode(query)))


@pytest.fixture
def spotify_login(client: Client, fake_services: FakeMusicServices):
    """Log `client` in through the whole Spotify round trip; returns the user."""

    def login():
        callback = spotify_consent(authorize_url=spotify_authorize(client=client))
        response = client.get(callback)
        assert response.status_code == 302, response.content
        return response.wsgi_request.user

    return login


@pytest.fixture
def task_queue():
    """Background tasks stay queued; a test runs the ones it needs by calling the task
    function (the same code a cluster runs), and the rest is purged afterwards.

    A cluster process cannot see the test database, and running every task inline
    would drag the whole enrichment of a real export into one request.
    """
    from tests_support.queues import queued_tasks_purge

    yield
    queued_tasks_purge()


@pytest.fixture
def account_data(shared_data):
    """The real account-data export's JSON files."""
    return sorted((shared_data / "history" / "account-data").glob("*.json"))


@dataclass(frozen=True)
class FittedModel:
    """One small fitted pipeline as the registry stores it, shared by the whole session."""

    data: bytes
    sha256: str
    fields: dict[str, Any]


@pytest.fixture(scope="session")
def fitted_model() -> FittedModel:
    """Trained once (a few seconds), stored as many versions as tests need.

    Built without user context, like the site default model, so it serves anyone.
    """
    from predictor.ml.artifact import artifact_dump
    from predictor.ml.predict import prediction_percentiles
    from predictor.ml.synthetic import synthetic_dataset
    from predictor.ml.training import TrainingConfig, model_train

    data = synthetic_dataset(rows=300, seed=5)
    config = TrainingConfig(grid="quick", include_context=False, search_folds=2, eval_folds=2)
    result = model_train(frame=data.frame, target=data.target, config=config)
    summary = result.summary()
    artifact = artifact_dump(obj=result.pipeline)
    fields = {
        "estimator": result.estimator,
        "params": result.params,
        "metrics": summary["holdout"]["model"],
        "baselines": {k: v for k, v in summary["holdout"].items() if k != "model"},
        "judgeable": result.judgeable,
        "judgement": result.judgement[:255],
        "feature_names": result.feature_names,
        "include_context": False,
        "importances": result.importances,
        "holdout_points": [list(p) for p in result.holdout_points],
        "prediction_percentiles": prediction_percentiles(
            pipeline=result.pipeline, frame=data.frame
        ),
        "dataset_rows": result.rows,
        "dataset_positives": result.positives,
    }
    return FittedModel(data=artifact.data, sha256=artifact.sha256, fields=fields)


def model_version_store(*, fitted: FittedModel, owner: Any, version: int, active: bool) -> Any:
    """A ready registry row whose artifact is the fitted pipeline."""
    from django.core.files.base import ContentFile
    from django.utils import timezone

    from predictor.models import ModelVersion

    row = ModelVersion(
        owner=owner,
        version=version,
        status="ready",
        is_active=active,
        artifact_sha256=fitted.sha256,
        trained_at=timezone.now(),
        **fitted.fields,
    )
    row.artifact.save(f"{fitted.sha256[:16]}.joblib", ContentFile(fitted.data), save=False)
    row.save()
    return row


@pytest.fixture
def model_caches():
    """Per-process caches of pipelines, user context and served predictions start empty."""
    from musicflow_site.api.serving import prediction_memo_clear
    from predictor.services.prediction import context_cache_clear
    from predictor.services.registry import model_cache_clear

    def clear() -> None:
        model_cache_clear()
        context_cache_clear()
        prediction_memo_clear()

    clear()
    yield
    clear()


@pytest.fixture
def trained_versions(db, user, fitted_model, model_caches):
    """Two ready versions of `user`'s model: v1 inactive, v2 active."""
    return [
        model_version_store(fitted=fitted_model, owner=user, version=1, active=False),
        model_version_store(fitted=fitted_model, owner=user, version=2, active=True),
    ]


@pytest.fixture
def site_model(db, fitted_model, model_caches):
    """The site-wide default model, active."""
    return model_version_store(fitted=fitted_model, owner=None, version=1, active=True)


# --- browser tests ------------------------------------------------------------------------

# pytest-django's live server listens here; Spotify refuses "localhost" redirect URIs and
# the browser tests allow no host but 127.0.0.1.
os.environ.setdefault("DJANGO_LIVE_TEST_SERVER_ADDRESS", "127.0.0.1")

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
SCREENSHOTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "screenshots"
LOCAL_SCHEMES = ("data:", "blob:", "about:")


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args: dict[str, Any]) -> dict[str, Any]:
    """Debian's chromium, headless, with nothing that phones home."""
    if not Path(CHROMIUM).exists():
        if os.environ.get("CI", "").lower() in {"1", "true", "yes"}:
            pytest.fail(f"chromium is missing on CI (looked for {CHROMIUM})")
        pytest.skip("chromium is not installed (apt-get install chromium); browser tests skipped")
    return {
        **browser_type_launch_args,
        "executable_path": CHROMIUM,
        "args": ["--no-sandbox", "--disable-gpu", "--disable-background-networking"],
    }


@pytest.fixture(scope="session")
def _orm_beside_playwright():
    """Playwright's sync API keeps an event loop running in this thread for the whole
    session, and Django refuses ORM calls (the test body's, the test database flush)
    from a thread with a running loop. Nothing here is async, so the check is lifted
    while the browser runs; the live server has its own thread and is unaffected."""
    previous = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    yield
    if previous is None:
        os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
    else:
        os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = previous


@pytest.fixture
def browser_env(_orm_beside_playwright, task_queue, fake_services, fast_http):
    """What every browser test needs on the server side: background tasks are only
    queued (see task_queue) and every external service is the fake on 127.0.0.1."""
    return fake_services


@dataclass
class Browsing:
    """A page that may only talk to 127.0.0.1, and screenshots of it for the CI log."""

    page: Any
    base_url: str
    fake: FakeMusicServices
    name: str
    outside: list[str]
    shots: list[Path]

    def url(self, path: str) -> str:
        return self.base_url + path

    def shot(self, step: str, *, fits: bool = True) -> Path:
        """Save a full-page screenshot; our pages must also never scroll sideways."""
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        path = SCREENSHOTS / f"{self.name}-{step}.png"
        self.page.screenshot(path=str(path), full_page=True)
        self.shots.append(path)
        if fits:
            overflow = self.page.evaluate(
                "() => document.documentElement.scrollWidth - window.innerWidth"
            )
            assert overflow <= 0, f"{self.page.url} scrolls sideways by {overflow}px ({path.name})"
        return path


def _is_local(url: str) -> bool:
    return url.startswith(LOCAL_SCHEMES) or urlsplit(url).hostname == "127.0.0.1"


def _note_outside(url: str, outside: list[str]) -> None:
    if not _is_local(url) and url not in outside:
        outside.append(url)


def _guard(outside: list[str]):
    def route(route: Any) -> None:
        if _is_local(route.request.url):
            route.continue_()
        else:
            _note_outside(route.request.url, outside)
            route.abort()

    return route


@pytest.fixture
def browsing(request, page, live_server, browser_env) -> Browsing:
    """The page, guarded: any request to a host other than 127.0.0.1 is blocked and fails the test."""
    outside: list[str] = []
    # Routing blocks direct requests; redirect hops are not routed, so a listener sees those.
    page.context.route("**/*", _guard(outside))
    page.context.on("request", lambda r: _note_outside(r.url, outside))
    page.set_default_timeout(15_000)
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    session = Browsing(
        page=page,
        base_url=live_server.url,
        fake=browser_env,
        name=request.node.originalname,
        outside=outside,
        shots=[],
    )
    yield session
    assert outside == [], f"requests left 127.0.0.1: {outside}"
    assert errors == [], f"JavaScript errors: {errors}"
