"""In a real browser: upload the real export, watch it import, read the stats; phone width."""

from __future__ import annotations

import json
import zipfile
from collections import Counter

import pytest
from playwright.sync_api import expect

from streams.models import HistoryImport
from streams.tasks import history_import_task

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PHONE = {"width": 390, "height": 844}


@pytest.fixture
def logged_in(browsing, django_user_model):
    django_user_model.objects.create_user(username="listener", password="listener-pass-1")
    page = browsing.page
    page.goto(browsing.url("/accounts/login/"))
    page.get_by_label("Username", exact=True).fill("listener")
    page.get_by_label("Password", exact=True).fill("listener-pass-1")
    page.get_by_role("button", name="Log in", exact=True).click()
    page.wait_for_url(browsing.url("/dashboard/"))
    return browsing


@pytest.fixture
def export_zip(shared_data, tmp_path):
    """The real account-data export, zipped the way Spotify ships it."""
    source = shared_data / "history" / "account-data"
    path = tmp_path / "my_spotify_data.zip"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for file in sorted(source.glob("*.json")):
            archive.write(file, f"Spotify Account Data/{file.name}")
    return path


def _expected(shared_data) -> tuple[int, str, int]:
    """Plays and top artist counted straight from the JSON, not through the importer."""
    rows = []
    for file in sorted(
        (shared_data / "history" / "account-data").glob("StreamingHistory_music_*")
    ):
        rows += json.loads(file.read_text(encoding="utf-8"))
    music = [r for r in rows if r["msPlayed"] > 0 and r["trackName"] != "Unknown Track"]
    streams = Counter(r["artistName"] for r in music if r["msPlayed"] >= 30_000)
    (artist, count), *_ = streams.most_common(1)
    return len(music), artist, count


def test_upload_the_real_export_then_see_the_top_artist(logged_in, export_zip, shared_data):
    browsing, page = logged_in, logged_in.page
    plays, top_artist, top_streams = _expected(shared_data)
    assert page.get_by_test_id("empty-imports").is_visible()

    page.get_by_label("Spotify export (.zip or .json files)").set_input_files(export_zip)
    assert page.get_by_text("Selected: my_spotify_data.zip").is_visible()
    page.get_by_role("button", name="Upload and import").click()
    expect(page.locator("#upload-phase")).to_have_text("Upload complete · import queued")
    browsing.shot("import-queued")

    # The worker's turn: the same task function a django-q2 cluster runs.
    history_import_task(HistoryImport.objects.get().pk)
    expect(page.locator("#upload-phase")).to_contain_text("Import finished")
    browsing.shot("import-finished")

    assert page.get_by_test_id("import-status").text_content() == "done"
    assert page.get_by_test_id("plays-created").inner_text() == str(plays)
    assert page.get_by_test_id("duplicates").inner_text() == "0"
    assert page.get_by_test_id("skipped-podcast").inner_text() == "597"
    assert page.get_by_test_id("skipped-audiobook").inner_text() == "11"
    # Resolution and enrichment were queued by the import and are shown as such.
    assert page.get_by_test_id("enrichment-status").inner_text() == "Queued"

    page.get_by_role("navigation", name="Main").get_by_role("link", name="Stats").click()
    page.get_by_test_id("top-artist").wait_for()
    page.wait_for_function("() => document.querySelectorAll('canvas[data-chart]').length > 0")
    browsing.shot("stats")
    assert page.get_by_test_id("top-artist").inner_text() == top_artist
    row = page.get_by_test_id("top-artists").locator("tbody tr").first
    assert str(top_streams) in row.inner_text()


def test_an_upload_over_the_size_limit_shows_the_servers_reason(logged_in, settings, tmp_path):
    browsing, page = logged_in, logged_in.page
    settings.MUSICFLOW_UPLOAD_MAX_BYTES = 1000
    export = tmp_path / "StreamingHistory_music_0.json"
    export.write_bytes(b"[" + b" " * 100_000 + b"]")  # past the limit and the multipart margin

    page.get_by_label("Spotify export (.zip or .json files)").set_input_files(export)
    page.get_by_role("button", name="Upload and import").click()

    error = page.locator("#upload-error")
    expect(error).to_be_visible()
    expect(error).to_contain_text("more than the 1000 accepted")
    browsing.shot("upload-too-large")
    assert page.get_by_role("button", name="Upload and import").is_enabled()
    assert not HistoryImport.objects.exists()


def test_dropping_files_on_the_drop_zone_selects_them(logged_in):
    page = logged_in.page
    dropped = page.evaluate_handle(
        """() => {
            const data = new DataTransfer();
            data.items.add(new File(["[]"], "StreamingHistory_music_0.json", {type: "application/json"}));
            return data;
        }"""
    )

    page.dispatch_event("#dropzone", "drop", {"dataTransfer": dropped})

    assert page.get_by_text("Selected: StreamingHistory_music_0.json").is_visible()
    assert page.eval_on_selector("#id_files", "input => input.files.length") == 1


def test_pages_fit_a_phone_and_the_keyboard_reaches_the_content(logged_in):
    browsing, page = logged_in, logged_in.page
    page.set_viewport_size(PHONE)
    pages = (
        ("/", "home-phone"),
        ("/dashboard/", "import-phone"),
        ("/dashboard/stats/", "stats-phone"),
        ("/dashboard/models/", "models-phone"),
        ("/dashboard/account/", "account-phone"),
    )
    for path, step in pages:
        page.goto(browsing.url(path))
        browsing.shot(step)  # also fails if the page scrolls sideways

    page.goto(browsing.url("/"))
    page.keyboard.press("Tab")
    assert page.evaluate("() => document.activeElement.textContent") == "Skip to content"
    page.keyboard.press("Enter")
    page.keyboard.press("Tab")
    assert page.evaluate("() => document.activeElement.id") == "id_song"
