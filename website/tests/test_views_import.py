"""The import page: upload, follow the progress, read the report; only ever one's own."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from streams.models import HistoryImport, Play
from streams.tasks import history_import_task

pytestmark = pytest.mark.django_db

# Counted independently of the importer (see streams' real-data tests): 10,000 + 5,850
# music rows, of which 22 have zero ms and 43 have no track name; the podcast and
# audiobook files are counted as skipped, not stored.
ACCOUNT_DATA_PLAYS = 15785


def _uploads(paths):
    return [SimpleUploadedFile(p.name, p.read_bytes(), "application/json") for p in paths]


def test_the_page_needs_a_login(client):
    response = client.get(reverse("website:dashboard"))

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


def test_an_empty_history_says_what_to_do(client, user):
    client.force_login(user)

    response = client.get(reverse("website:dashboard"))

    assert response.status_code == 200
    assert b"No imports yet" in response.content
    assert b'enctype="multipart/form-data"' in response.content


def test_uploading_the_real_export_imports_it_and_reports_the_counts(
    client, user, account_data, task_queue, django_capture_on_commit_callbacks
):
    client.force_login(user)

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("website:import_create"),
            {"files": _uploads(account_data)},
            HTTP_X_REQUESTED_WITH="fetch",
        )

    assert response.status_code == 202
    progress_url = response.json()["progress_url"]
    queued = client.get(progress_url).json()
    assert (queued["status"], queued["import_finished"]) == ("queued", False)

    with django_capture_on_commit_callbacks(execute=True):
        history_import_task(response.json()["import_id"])

    progress = client.get(progress_url).json()
    assert progress["status"] == "done"
    assert progress["import_finished"] is True
    # Resolution and enrichment were queued by the import, to run in the background.
    assert progress["enrichment"]["status"] == "queued"
    assert progress["finished"] is False
    assert f'data-testid="plays-created">{ACCOUNT_DATA_PLAYS}<' in progress["report_html"]
    assert Play.objects.filter(user=user).count() == ACCOUNT_DATA_PLAYS
    page = client.get(reverse("website:dashboard")).content.decode()
    assert f'data-testid="plays-created">{ACCOUNT_DATA_PLAYS}<' in page
    assert 'data-testid="skipped-podcast">597<' in page


def test_a_plain_form_post_redirects_back_to_the_report(
    client, user, account_data, task_queue, django_capture_on_commit_callbacks
):
    client.force_login(user)
    music = [p for p in account_data if p.name == "StreamingHistory_music_1.json"]

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("website:import_create"), {"files": _uploads(music)})

    assert response.status_code == 302
    assert response["Location"] == reverse("website:dashboard")
    history_import = HistoryImport.objects.get(owner=user)
    history_import_task(history_import.pk)
    history_import.refresh_from_db()
    assert history_import.status == "done"


def test_a_file_that_is_not_json_is_refused_with_its_name(
    client, user, task_queue, django_capture_on_commit_callbacks
):
    client.force_login(user)
    bad = SimpleUploadedFile("StreamingHistory_music_0.json", b"{not json", "application/json")

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("website:import_create"), {"files": [bad]}, HTTP_X_REQUESTED_WITH="fetch"
        )
    history_import_task(response.json()["import_id"])
    progress = client.get(response.json()["progress_url"]).json()

    assert progress["status"] == "failed"
    assert "StreamingHistory_music_0.json" in progress["report_html"]
    assert not Play.objects.exists()


def test_posting_without_a_file_explains_what_is_missing(client, user):
    client.force_login(user)

    response = client.post(reverse("website:import_create"), {}, HTTP_X_REQUESTED_WITH="fetch")

    assert response.status_code == 400
    assert "Choose your export" in response.json()["error"]


def test_another_users_import_progress_is_a_404(client, user, other_user):
    theirs = HistoryImport.objects.create(owner=other_user, file_names=["x.json"])
    client.force_login(user)

    response = client.get(reverse("website:import_progress", args=[theirs.pk]))

    assert response.status_code == 404


def test_progress_shows_enrichment_done_remaining_and_the_next_retry(client, user):
    from datetime import UTC, datetime

    from streams.models import EnrichmentJob

    history_import = HistoryImport.objects.create(
        owner=user, file_names=["x.json"], status="done", plays_created=10
    )
    EnrichmentJob.objects.create(
        user=user,
        status="waiting",
        names_searched=30,
        names_remaining=10,
        tracks_done=50,
        tracks_remaining=10,
        next_retry_at=datetime(2030, 1, 1, 12, 30, tzinfo=UTC),
        notes=["Spotify audio features answered 403; ReccoBeats used instead"],
    )
    client.force_login(user)

    progress = client.get(reverse("website:import_progress", args=[history_import.pk])).json()

    assert progress["finished"] is False
    assert progress["enrichment"] == {
        "status": "waiting",
        "status_label": "Waiting for a rate limit",
        "done": 80,
        "remaining": 20,
        "percent": 80,
        "next_retry_at": "2030-01-01T12:30:00+00:00",
    }
    assert "the next attempt is at 2030-01-01 12:30 UTC" in progress["report_html"]
    assert "ReccoBeats used instead" in progress["report_html"]
