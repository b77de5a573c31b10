"""The account page: API token, export of one's plays, deleting the account and its data."""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, datetime

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.test import Client
from django.urls import reverse
from rest_framework.authtoken.models import Token

from streams.models import HistoryImport, Play, PlayFormat, SavedTrack, Track

pytestmark = pytest.mark.django_db


def _plays(user, count, artist="Abba"):
    Play.objects.bulk_create(
        Play(
            user=user,
            played_at=datetime(2024, 1, 1, 12, i, tzinfo=UTC),
            ms_played=200_000 + i,
            track_name=f"Song {i}",
            artist_name=artist,
            source_format=PlayFormat.EXTENDED,
            dedupe_key=f"{user.pk}-{i}",
        )
        for i in range(count)
    )


def _content(response) -> str:
    return b"".join(response.streaming_content).decode()


def test_the_page_shows_the_users_api_token_and_it_works(client, user):
    client.force_login(user)

    page = client.get(reverse("website:account"))

    key = Token.objects.get(user=user).key
    assert key.encode() in page.content
    program = Client()
    assert program.get("/api/stats/").status_code == 401
    assert program.get("/api/stats/", HTTP_AUTHORIZATION=f"Token {key}").status_code == 200


def test_replacing_the_token_revokes_the_old_one(client, user):
    client.force_login(user)
    client.get(reverse("website:account"))
    old = Token.objects.get(user=user).key

    response = client.post(reverse("website:api_token_reset"))

    assert response.status_code == 302
    new = Token.objects.get(user=user).key
    assert new != old
    client.logout()
    assert client.get("/api/stats/", HTTP_AUTHORIZATION=f"Token {old}").status_code == 401


def test_export_csv_has_a_header_and_every_own_play(client, user, other_user):
    _plays(user, 3)
    _plays(other_user, 2, artist="Bach")
    client.force_login(user)

    response = client.get(reverse("website:plays_export", args=["csv"]))

    assert response["Content-Type"].startswith("text/csv")
    assert "attachment;" in response["Content-Disposition"]
    rows = list(csv.DictReader(io.StringIO(_content(response))))
    assert len(rows) == 3
    assert {row["artist_name"] for row in rows} == {"Abba"}
    assert rows[0]["played_at"] == "2024-01-01T12:02:00+00:00"
    assert rows[0]["ms_played"] == "200002"


def test_export_json_is_valid_and_complete(client, user):
    _plays(user, 4)
    client.force_login(user)

    response = client.get(reverse("website:plays_export", args=["json"]))

    rows = json.loads(_content(response))
    assert [row["track_name"] for row in rows] == ["Song 3", "Song 2", "Song 1", "Song 0"]
    assert rows[0]["source_format"] == "extended"
    assert rows[0]["track_spotify_id"] is None


def test_export_of_an_unknown_format_is_a_404(client, user):
    client.force_login(user)

    assert client.get(reverse("website:plays_export", args=["xml"])).status_code == 404


def test_delete_needs_the_confirmation(client, user, django_user_model):
    client.force_login(user)

    response = client.post(reverse("website:account_delete"), {})

    assert response.status_code == 400
    assert b"Tick the box to confirm." in response.content
    assert django_user_model.objects.filter(pk=user.pk).exists()


def test_delete_removes_the_account_all_its_data_and_files(
    client, user, other_user, django_user_model, django_capture_on_commit_callbacks
):
    _plays(user, 5)
    _plays(other_user, 2)
    history_import = HistoryImport(owner=user, file_names=["x.json"])
    history_import.upload.save("x.json", ContentFile(b"[]"), save=True)
    saved = Track.objects.create(name="Saved", primary_artist="Abba")
    SavedTrack.objects.create(user=user, track=saved, history_import=history_import)
    SavedTrack.objects.create(user=other_user, track=saved)
    stored = history_import.upload.name
    client.force_login(user)
    client.get(reverse("website:account"))  # creates the API token

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("website:account_delete"), {"confirm": "on"})

    assert response.status_code == 302
    assert not django_user_model.objects.filter(pk=user.pk).exists()
    assert not Play.objects.filter(user_id=user.pk).exists()
    assert not HistoryImport.objects.filter(owner_id=user.pk).exists()
    assert not SavedTrack.objects.filter(user_id=user.pk).exists()
    assert SavedTrack.objects.filter(user=other_user).count() == 1
    assert Track.objects.filter(pk=saved.pk).exists()  # tracks are shared, not the user's
    assert not Token.objects.filter(user_id=user.pk).exists()
    assert not default_storage.exists(stored)
    assert Play.objects.filter(user=other_user).count() == 2
    assert "_auth_user_id" not in client.session


def test_delete_also_removes_the_users_model_artifacts_but_not_the_site_models(
    client, user, trained_versions, site_model, django_capture_on_commit_callbacks
):
    from predictor.models import ModelVersion, artifact_storage

    own = [v.artifact.name for v in trained_versions]
    client.force_login(user)

    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("website:account_delete"), {"confirm": "on"})

    assert not ModelVersion.objects.filter(owner_id=user.pk).exists()
    assert not any(artifact_storage().exists(name) for name in own)
    assert artifact_storage().exists(ModelVersion.objects.get(pk=site_model.pk).artifact.name)
