"""The history import records which tracks the importing user saved (YourLibrary.json)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from streams.models import HistoryImport, ImportStatus, SavedTrack, Track
from streams.services.history_import import history_import_from_paths
from streams.tests.history_samples import distinct_extended_rows, write_json

pytestmark = pytest.mark.django_db


def _saved_ids_in_file(path: Path) -> set[str]:
    """The saved tracks' Spotify ids, read with plain json (nothing from the importer)."""
    document = json.loads(path.read_text(encoding="utf-8"))
    return {entry["uri"].removeprefix("spotify:track:") for entry in document["tracks"]}


def _imported(owner, *paths) -> HistoryImport:
    history_import = history_import_from_paths(owner=owner, paths=list(paths))
    assert history_import.status == ImportStatus.DONE, history_import.error
    return history_import


def _library_entry(history_import: HistoryImport) -> dict:
    (entry,) = [f for f in history_import.files if f["format"] == "library"]
    return entry


def _library(path: Path, uris: list[str]) -> Path:
    tracks = [
        {"artist": f"Artist {i}", "album": "Album", "track": f"Song {i}", "uri": uri}
        for i, uri in enumerate(uris)
    ]
    return write_json(path, {"tracks": tracks, "albums": [], "artists": []})


def test_the_real_library_records_every_saved_track_for_the_importing_user(
    shared_data, user, other_user
):
    library = shared_data / "history" / "account-data" / "YourLibrary.json"
    expected = _saved_ids_in_file(library)
    assert len(expected) == 931  # 931 entries, no URI repeated

    history_import = _imported(user, library)

    saved = SavedTrack.objects.filter(user=user)
    assert set(saved.values_list("track__spotify_id", flat=True)) == expected
    assert saved.count() == 931
    assert set(saved.values_list("history_import_id", flat=True)) == {history_import.pk}
    assert _library_entry(history_import)["saves_recorded"] == 931
    assert not SavedTrack.objects.filter(user=other_user).exists()


def test_importing_the_library_again_records_no_new_saves(shared_data, user):
    library = shared_data / "history" / "account-data" / "YourLibrary.json"
    first = _imported(user, library)

    again = _imported(user, library)

    assert _library_entry(again)["saves_recorded"] == 0
    assert SavedTrack.objects.filter(user=user).count() == 931
    # A save keeps the import that first recorded it.
    assert set(SavedTrack.objects.values_list("history_import_id", flat=True)) == {first.pk}


def test_another_user_with_the_same_library_gets_their_own_saves(user, other_user, tmp_path):
    uris = [f"spotify:track:{'a' * 21}{i}" for i in range(3)]
    _imported(user, _library(tmp_path / "mine.json", uris))

    theirs = _imported(other_user, _library(tmp_path / "theirs.json", uris[1:]))

    assert _library_entry(theirs) | {"name": ""} == {
        "name": "",
        "format": "library",
        "rows": 2,
        "tracks_created": 0,
        "saves_recorded": 2,
    }
    assert SavedTrack.objects.filter(user=user).count() == 3
    assert SavedTrack.objects.filter(user=other_user).count() == 2
    assert Track.objects.count() == 3


def test_a_library_with_new_saves_adds_only_those(user, tmp_path):
    uris = [f"spotify:track:{'b' * 21}{i}" for i in range(4)]
    _imported(user, _library(tmp_path / "old.json", uris[:2]))

    later = _imported(user, _library(tmp_path / "new.json", uris))

    assert _library_entry(later)["saves_recorded"] == 2
    assert SavedTrack.objects.filter(user=user).count() == 4


def test_a_rejected_import_records_no_saves(user, tmp_path):
    folder = tmp_path / "export"
    folder.mkdir()
    _library(folder / "YourLibrary.json", [f"spotify:track:{'c' * 21}1"])
    (folder / "z_truncated.json").write_text('[{"endTime": "2024-01-01 10:00"', encoding="utf-8")

    history_import = history_import_from_paths(owner=user, paths=[folder])

    assert history_import.status == ImportStatus.FAILED
    assert not SavedTrack.objects.exists()
    assert not Track.objects.exists()


def test_an_import_without_a_library_records_no_saves(user, tmp_path):
    _imported(user, write_json(tmp_path / "plays.json", distinct_extended_rows(3)))

    assert not SavedTrack.objects.exists()
