from __future__ import annotations

import json
from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from streams.models import EnrichmentJob, EnrichmentStatus, HistoryImport, Play
from streams.services.history_import import history_import_run

pytestmark = pytest.mark.django_db


def _account_data(rows: int) -> SimpleUploadedFile:
    """A small account-data music file (the format has no URIs)."""
    body = [
        {
            "endTime": f"2024-01-{1 + i % 28:02d} 10:{i % 60:02d}",
            "artistName": f"Artist {i % 3}",
            "trackName": f"Song {i}",
            "msPlayed": 40_000 + i,
        }
        for i in range(rows)
    ]
    return SimpleUploadedFile(
        "StreamingHistory_music_0.json", json.dumps(body).encode(), "application/json"
    )


def _upload(client, *files):
    return client.post("/api/imports/", {"files": list(files)}, format="multipart")


def test_upload_answers_202_with_the_queued_import_and_queues_its_job(
    owner_client, user, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks() as callbacks:
        response = _upload(owner_client, _account_data(5))
    assert response.status_code == 202
    body = response.json()
    assert body["status"] == "queued"
    assert body["file_names"] == ["StreamingHistory_music_0.json"]
    assert response["Location"] == f"/api/imports/{body['id']}/"
    assert HistoryImport.objects.get(pk=body["id"]).owner == user
    assert len(callbacks) == 1  # the background import, queued once the upload commits


def test_the_import_reports_its_progress_when_the_job_has_run(owner_client, user):
    import_id = _upload(owner_client, _account_data(7), _account_data(7)).json()["id"]
    history_import_run(import_id=import_id)
    body = owner_client.get(f"/api/imports/{import_id}/").json()
    assert body["status"] == "done"
    assert body["rows_read"] == 14
    assert body["plays_created"] == 7
    assert body["duplicates"] == 7  # the same file twice adds nothing
    assert body["unresolved"] == 7
    assert body["finished_at"] is not None
    assert Play.objects.filter(user=user).count() == 7


def test_a_broken_file_fails_the_import_with_its_message(owner_client):
    broken = SimpleUploadedFile("StreamingHistory_music_0.json", b'[{"endTime": ', "text/plain")
    import_id = _upload(owner_client, broken).json()["id"]
    history_import_run(import_id=import_id)
    body = owner_client.get(f"/api/imports/{import_id}/").json()
    assert body["status"] == "failed"
    assert "StreamingHistory_music_0.json" in body["error"]
    assert body["plays_created"] == 0


def test_upload_without_files_is_400_naming_the_field(owner_client):
    response = owner_client.post("/api/imports/", {}, format="multipart")
    assert response.status_code == 400
    assert "files" in response.json()["fields"]
    assert not HistoryImport.objects.exists()


def test_upload_over_the_limit_is_413_and_stores_nothing(owner_client, settings):
    settings.MUSICFLOW_UPLOAD_MAX_BYTES = 1_000
    response = _upload(owner_client, _account_data(50))  # a few KB: the service refuses it
    assert response.status_code == 413
    assert response.json()["code"] == "upload_too_large"
    assert not HistoryImport.objects.exists()


def test_a_huge_declared_body_is_refused_before_it_is_read(owner_client, settings):
    settings.MUSICFLOW_UPLOAD_MAX_BYTES = 1_000
    big = SimpleUploadedFile("StreamingHistory_music_0.json", b"[" + b" " * 200_000 + b"]")
    response = _upload(owner_client, big)
    assert response.status_code == 413
    assert "200" in response.json()["detail"]  # the declared size is named
    assert not HistoryImport.objects.exists()


def test_imports_need_authentication(api_client):
    assert api_client.get("/api/imports/").status_code == 401
    assert _upload(api_client, _account_data(1)).status_code == 401
    assert not HistoryImport.objects.exists()


def test_list_shows_only_my_imports_newest_first(owner_client, other_client, user, other_user):
    mine = [HistoryImport.objects.create(owner=user, file_names=[f"{i}.json"]) for i in range(3)]
    HistoryImport.objects.create(owner=other_user, file_names=["bob.json"])
    body = owner_client.get("/api/imports/").json()
    assert body["count"] == 3
    assert [item["id"] for item in body["results"]] == [i.pk for i in reversed(mine)]
    assert other_client.get("/api/imports/").json()["count"] == 1


def test_the_detail_shows_the_background_enrichment(owner_client, user):
    history_import = HistoryImport.objects.create(owner=user, file_names=["a.json"])
    assert owner_client.get(f"/api/imports/{history_import.pk}/").json()["enrichment"] is None
    retry_at = timezone.now() + timedelta(minutes=5)
    EnrichmentJob.objects.create(
        user=user,
        status=EnrichmentStatus.WAITING,
        names_searched=3,
        names_remaining=7,
        tracks_done=10,
        next_retry_at=retry_at,
        notes=["Spotify search rate-limited"],
    )
    enrichment = owner_client.get(f"/api/imports/{history_import.pk}/").json()["enrichment"]
    assert enrichment["status"] == "waiting"
    assert (enrichment["done"], enrichment["remaining"]) == (13, 7)
    assert enrichment["next_retry_at"] is not None
    assert enrichment["notes"] == ["Spotify search rate-limited"]


def test_another_users_import_is_404(owner_client, other_client, user):
    history_import = HistoryImport.objects.create(owner=user, file_names=["a.json"])
    assert owner_client.get(f"/api/imports/{history_import.pk}/").status_code == 200
    response = other_client.get(f"/api/imports/{history_import.pk}/")
    assert response.status_code == 404
    assert response.json()["code"] == "not_found"
    assert other_client.get("/api/imports/999999/").status_code == 404


@pytest.mark.parametrize("imports", [1, 12])
def test_listing_imports_costs_the_same_queries_for_any_number(
    owner_client, user, imports, process_local_cache, django_assert_num_queries
):
    for i in range(imports):
        HistoryImport.objects.create(owner=user, file_names=[f"{i}.json"])
    # token lookup, count, page
    with django_assert_num_queries(3):
        assert owner_client.get("/api/imports/").status_code == 200


def test_the_real_account_data_export_imports_through_the_api(owner_client, shared_data, user):
    folder = shared_data / "history" / "account-data"
    files = [
        SimpleUploadedFile(path.name, path.read_bytes(), "application/json")
        for path in sorted(folder.glob("*.json"))
    ]
    import_id = _upload(owner_client, *files).json()["id"]
    history_import_run(import_id=import_id)
    body = owner_client.get(f"/api/imports/{import_id}/").json()
    assert body["status"] == "done", body["error"]
    assert body["plays_created"] == Play.objects.filter(user=user).count() > 10_000
    assert body["skipped"]["podcast"] == 597
    assert body["skipped"]["audiobook"] == 11
