"""The history import service: exact counts, idempotent, atomic, safe, background-ready."""

from __future__ import annotations

import json
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile, UploadedFile
from django.utils import timezone
from django_q.models import Schedule

from streams.errors import ImportRejected, UploadTooLarge
from streams.models import (
    HistoryImport,
    ImportStatus,
    Play,
    PlayFormat,
    ResolutionStatus,
    Track,
    TrackNameKey,
)
from streams.services.history_import import (
    TASK_PATH,
    history_import_create,
    history_import_from_paths,
    history_import_run,
)
from streams.services.history_import_writer import PLAY_INSERT_COLUMNS
from streams.tasks import history_import_task
from streams.tests.history_samples import (
    account_row,
    all_null_row,
    audiobook_row,
    distinct_extended_rows,
    extended_row,
    legacy_row,
    podcast_row,
    write_json,
    zip_bytes,
)

pytestmark = pytest.mark.django_db

# Counts derived with jq straight from the files (see the README's import section), and
# re-derived below by `recount`, a few lines of plain json that share nothing with the
# importer. Every file in ../shared/data/history must be listed here.
REAL_FILES: dict[str, dict] = {
    "account-data/StreamingHistory_music_0.json": {
        "rows_read": 10_000,
        "plays_created": 9_940,
        "skipped": {"unknown_track": 41, "zero_ms": 19},
    },
    "account-data/StreamingHistory_music_1.json": {
        "rows_read": 5_850,
        "plays_created": 5_845,
        "skipped": {"unknown_track": 2, "zero_ms": 3},
    },
    "account-data/StreamingHistory_podcast_0.json": {
        "rows_read": 597,
        "plays_created": 0,
        "skipped": {"podcast": 597},
    },
    "account-data/StreamingHistory_audiobook_0.json": {
        "rows_read": 11,
        "plays_created": 0,
        "skipped": {"audiobook": 11},
    },
    "account-data/YourLibrary.json": {"rows_read": 0, "plays_created": 0, "skipped": {}},
    "extended/Streaming_History_Audio_2024-2025.json": {
        "rows_read": 1_538,
        "plays_created": 1_442,
        "skipped": {"zero_ms": 96},
    },
}
LIBRARY_TRACKS = 931
# Account-data plays whose exact (track, artist) is a saved track in YourLibrary.json.
PLAYS_OF_SAVED_TRACKS = 1_742


def recount(path: Path) -> dict:
    """Independent count of one export file: plain json and the documented rules."""
    document = json.loads(path.read_text(encoding="utf-8"))
    if isinstance(document, dict):
        return {"rows_read": 0, "plays_created": 0, "skipped": {}}
    skipped: Counter[str] = Counter()
    identities = set()
    for row in document:
        if "podcastName" in row or row.get("episode_name"):
            skipped["podcast"] += 1
            continue
        if "audiobookName" in row or row.get("audiobook_title"):
            skipped["audiobook"] += 1
            continue
        name = row.get("trackName", row.get("master_metadata_track_name"))
        artist = row.get("artistName", row.get("master_metadata_album_artist_name"))
        ms = row.get("msPlayed", row.get("ms_played"))
        minute = row.get("endTime", row.get("ts", ""))[:16].replace("T", " ")
        if (name, artist) == ("Unknown Track", "Unknown Artist"):
            skipped["unknown_track"] += 1
        elif ms == 0:
            skipped["zero_ms"] += 1
        else:
            identities.add((minute, name.casefold(), artist.casefold(), ms))
    return {"rows_read": len(document), "plays_created": len(identities), "skipped": dict(skipped)}


def snapshot() -> dict:
    """Everything an import may write, to compare before and after a rejected one."""
    play_fields = [f.attname for f in Play._meta.concrete_fields]
    return {
        "plays": list(Play.objects.order_by("pk").values_list(*play_fields)),
        "tracks": list(Track.objects.order_by("pk").values_list("pk", "spotify_id", "name")),
        "keys": list(TrackNameKey.objects.order_by("key").values_list("key", "track_id")),
    }


def imported(owner, *paths) -> HistoryImport:
    history_import = history_import_from_paths(owner=owner, paths=list(paths))
    assert history_import.status == ImportStatus.DONE, history_import.error
    return history_import


# --- real exports ------------------------------------------------------------------------


def test_every_real_history_file_is_covered(shared_data):
    on_disk = {
        p.relative_to(shared_data / "history").as_posix()
        for p in (shared_data / "history").rglob("*.json")
    }
    assert on_disk == set(REAL_FILES)


@pytest.mark.parametrize("relative", sorted(REAL_FILES))
def test_each_real_file_imports_with_exact_counts(shared_data, user, relative):
    path = shared_data / "history" / relative
    expected = REAL_FILES[relative]
    assert recount(path) == expected

    history_import = imported(user, path)

    got = {
        "rows_read": history_import.rows_read,
        "plays_created": history_import.plays_created,
        "skipped": history_import.skipped,
    }
    assert got == expected
    assert history_import.duplicates == 0
    assert Play.objects.filter(user=user).count() == expected["plays_created"]
    assert history_import.resolved + history_import.unresolved == expected["plays_created"]


def test_reimporting_the_same_files_adds_nothing(shared_data, user):
    folder = shared_data / "history" / "account-data"
    first = imported(user, folder)
    before = snapshot()

    second = imported(user, folder)

    assert first.plays_created == 15_785
    assert (second.plays_created, second.duplicates, second.rows_read) == (0, 15_785, 16_458)
    assert second.skipped == first.skipped
    assert snapshot() == before


def test_account_data_export_with_its_library_resolves_saved_tracks(shared_data, user):
    history_import = imported(user, shared_data / "history" / "account-data")

    library = [f for f in history_import.files if f["format"] == "library"]
    assert library == [
        {
            "name": "account-data/YourLibrary.json",
            "format": "library",
            "rows": LIBRARY_TRACKS,
            "tracks_created": LIBRARY_TRACKS,
            "saves_recorded": LIBRARY_TRACKS,
        }
    ]
    assert Track.objects.filter(metadata_source="library").count() == LIBRARY_TRACKS
    assert history_import.resolved >= PLAYS_OF_SAVED_TRACKS
    assert history_import.resolved + history_import.unresolved == history_import.plays_created
    saved = json.loads((shared_data / "history/account-data/YourLibrary.json").read_text())
    first = saved["tracks"][0]
    play = Play.objects.filter(
        user=user, track_name=first["track"], artist_name=first["artist"]
    ).first()
    if play is not None:  # the first saved track was played in this export
        assert play.track.spotify_id == first["uri"].rsplit(":", 1)[-1]


def test_extended_history_plays_resolve_by_uri(shared_data, user):
    history_import = imported(user, shared_data / "history" / "extended")
    assert history_import.resolved == 1_442
    assert not Play.objects.filter(user=user, track__isnull=True).exists()
    play = Play.objects.filter(user=user).order_by("played_at").first()
    assert play.played_at == datetime(2024, 7, 3, 14, 26, 57, tzinfo=UTC)
    assert play.ms_played == 8_191
    assert play.track.spotify_id == play.spotify_track_uri.rsplit(":", 1)[-1]
    assert play.source_format == PlayFormat.EXTENDED


def _account_data_rows_from_extended(path: Path) -> list[dict]:
    """What an account-data export says about the same plays: minute, names, ms."""
    rows = json.loads(path.read_text(encoding="utf-8"))
    return [
        account_row(
            end_time=row["ts"][:16].replace("T", " "),
            track=row["master_metadata_track_name"],
            artist=row["master_metadata_album_artist_name"],
            ms=row["ms_played"],
        )
        for row in rows
        if row["master_metadata_track_name"] and row["ms_played"] > 0
    ]


def test_account_data_after_an_overlapping_extended_export_adds_only_new_plays(
    shared_data, user, tmp_path
):
    extended = shared_data / "history" / "extended" / "Streaming_History_Audio_2024-2025.json"
    overlapping = _account_data_rows_from_extended(extended)
    new_rows = [account_row("2025-07-01 10:00"), account_row("2025-07-01 10:05", ms=1000)]
    derived = write_json(tmp_path / "StreamingHistory_music_0.json", overlapping + new_rows)
    imported(user, extended)

    account = imported(user, derived)

    assert len(overlapping) == 1_442
    assert (account.plays_created, account.duplicates) == (2, 1_442)
    assert Play.objects.filter(user=user).count() == 1_444


def test_an_extended_export_after_account_data_of_the_same_plays_adds_nothing(
    shared_data, user, tmp_path
):
    extended = shared_data / "history" / "extended" / "Streaming_History_Audio_2024-2025.json"
    derived = write_json(tmp_path / "x.json", _account_data_rows_from_extended(extended))
    imported(user, derived)

    later = imported(user, extended)

    assert (later.plays_created, later.duplicates) == (0, 1_442)


# --- counting ------------------------------------------------------------------------------


def test_rows_duplicated_inside_one_upload_are_counted_as_duplicates(user, tmp_path):
    rows = distinct_extended_rows(3)
    a = write_json(tmp_path / "a.json", rows)
    b = write_json(tmp_path / "b.json", [rows[1], rows[1], extended_row(ms_played=5)])

    history_import = imported(user, a, b)

    assert (history_import.rows_read, history_import.plays_created) == (6, 4)
    assert history_import.duplicates == 2


def test_every_row_is_a_play_a_duplicate_or_a_counted_skip(user, tmp_path):
    rows = [
        *distinct_extended_rows(4),
        podcast_row(),
        audiobook_row(),
        all_null_row(),
        extended_row(master_metadata_track_name=None),
        extended_row(ms_played=0),
    ]
    rows.append(dict(rows[0]))
    history_import = imported(user, write_json(tmp_path / "Streaming_History_Audio.json", rows))

    assert history_import.skipped == {
        "all_null": 1,
        "audiobook": 1,
        "no_track_name": 1,
        "podcast": 1,
        "zero_ms": 1,
    }
    assert (history_import.plays_created, history_import.duplicates) == (4, 1)
    assert history_import.rows_read == (
        history_import.plays_created
        + history_import.duplicates
        + sum(history_import.skipped.values())
    )


def test_files_are_recognised_by_keys_not_names(user, tmp_path):
    music_named_like_podcasts = write_json(
        tmp_path / "StreamingHistory_podcast_0.json", [account_row()]
    )
    extended_named_like_endsong = write_json(tmp_path / "endsong_0.json", [extended_row()])

    history_import = imported(user, music_named_like_podcasts, extended_named_like_endsong)

    assert history_import.plays_created == 2
    assert [f["format"] for f in history_import.files] == ["account_music", "extended"]
    assert set(Play.objects.values_list("source_format", flat=True)) == {
        PlayFormat.ACCOUNT_DATA,
        PlayFormat.EXTENDED,
    }


def test_video_other_empty_and_non_json_files_are_skipped_and_counted(user, tmp_path):
    folder = tmp_path / "Spotify Extended Streaming History"
    write_json(folder / "Streaming_History_Audio_2024.json", [extended_row()])
    write_json(
        folder / "Streaming_History_Video_2024.json",
        [{"ts": "2024-01-01T00:00:00Z", "ms_played": 5, "platform": "tv"}],
    )
    write_json(folder / "Userdata.json", {"username": "x", "country": "SE"})
    write_json(folder / "SearchQueries.json", [{"searchTime": "t", "searchQuery": "q"}])
    write_json(folder / "StreamingHistory_podcast_1.json", [])
    (folder / "ReadMeFirst_ExtendedStreamingHistory.pdf").write_bytes(b"%PDF-1.4")

    history_import = imported(user, folder)

    assert history_import.plays_created == 1
    assert history_import.rows_read == 1
    assert history_import.skipped == {
        "empty_file": 1,
        "non_json_file": 1,
        "other_file": 2,
        "video_file": 1,
    }
    assert len(history_import.files) == 6


def test_no_ip_address_user_agent_or_username_is_stored(user, tmp_path):
    rows = [legacy_row(), extended_row(ip_addr="203.0.113.9")]
    history_import = imported(user, write_json(tmp_path / "endsong_0.json", rows[:1]))
    imported(user, write_json(tmp_path / "b.json", rows[1:]))

    secrets = ["listener-secret-name", "198.51.100.77", "unknown-secret-agent", "203.0.113.9"]
    stored = json.dumps(
        [
            list(Play.objects.values_list()),
            list(HistoryImport.objects.values_list()),
            list(Track.objects.values_list()),
        ],
        default=str,
    )
    assert history_import.files[0]["format"] == "extended_legacy"
    assert Play.objects.count() == 2
    assert not [s for s in secrets if s in stored]


def test_played_at_is_stored_and_read_back_as_aware_utc(user, tmp_path):
    rows = [
        extended_row(ts="2024-07-03T16:26:57+02:00"),
        extended_row(ts="2024-07-04T10:00:00.250000Z", ms_played=1),
    ]
    imported(user, write_json(tmp_path / "a.json", rows))
    first, second = Play.objects.filter(user=user).order_by("played_at")
    assert first.played_at == datetime(2024, 7, 3, 14, 26, 57, tzinfo=UTC)
    assert second.played_at == datetime(2024, 7, 4, 10, 0, 0, 250_000, tzinfo=UTC)
    assert timezone.is_aware(first.played_at)
    # Stored in the form Django's own lookups compare against.
    assert Play.objects.get(played_at=datetime(2024, 7, 3, 14, 26, 57, tzinfo=UTC)) == first
    assert list(
        Play.objects.filter(played_at__gte=datetime(2024, 7, 4, 10, 0, 0, 250_000, tzinfo=UTC))
    ) == [second]


def test_the_writer_fills_every_play_column():
    columns = {f.column for f in Play._meta.concrete_fields if not f.primary_key}
    assert set(PLAY_INSERT_COLUMNS) == columns
    assert len(PLAY_INSERT_COLUMNS) == len(columns)


def test_batches_smaller_than_the_import_give_the_same_result(
    user, other_user, tmp_path, settings
):
    rows = distinct_extended_rows(23) + distinct_extended_rows(5)
    path = write_json(tmp_path / "a.json", rows)
    settings.MUSICFLOW_IMPORT_BATCH_SIZE = 4
    small = imported(user, path)
    settings.MUSICFLOW_IMPORT_BATCH_SIZE = 5000
    large = imported(other_user, path)
    assert (small.plays_created, small.duplicates) == (large.plays_created, large.duplicates)
    assert (small.plays_created, small.duplicates) == (23, 5)


def test_another_users_identical_plays_are_their_own(user, other_user, tmp_path):
    path = write_json(tmp_path / "a.json", distinct_extended_rows(3))
    imported(user, path)
    assert imported(other_user, path).plays_created == 3


# --- rejected imports leave the database exactly as it was --------------------------------

GOOD_ROWS = distinct_extended_rows(5, start_minute=100)


def _bad_folder(tmp_path: Path, bad_name: str, bad_content: bytes) -> Path:
    folder = tmp_path / "export"
    # Sorted reading order: good plays and saved tracks are written before the bad file.
    write_json(folder / "a_good.json", GOOD_ROWS)
    write_json(
        folder / "b_YourLibrary.json",
        {
            "tracks": [
                {
                    "artist": "Cults",
                    "album": "Cults",
                    "track": "Go Outside",
                    "uri": "spotify:track:0AAAAAAAAAAAAAAAAAAAAA",
                }
            ]
        },
    )
    (folder / bad_name).write_bytes(bad_content)
    return folder


_TRUNCATED = json.dumps(distinct_extended_rows(3)).encode()[:-40]
_WRONG_SHAPE = json.dumps(
    [
        account_row(),
        account_row("2023-10-02 23:44"),
        account_row("2023-10-02 23:45"),
        {**account_row(), "msPlayed": "123"},
    ]
).encode()


@pytest.mark.parametrize(
    ("bad_name", "content", "message"),
    [
        ("c_ReadMe.json", b"%PDF-1.4 binary stuff", "export/c_ReadMe.json: not valid JSON"),
        (
            "c_history.json",
            _TRUNCATED,
            "export/c_history.json: not valid JSON (truncated or corrupt?)",
        ),
        (
            "c_music.json",
            _WRONG_SHAPE,
            "export/c_music.json: row 3 (counting from 0) is not a valid account-data music "
            "history row: 'msPlayed' must be a whole number of milliseconds, got '123'",
        ),
        ("c_empty.json", b"", "export/c_empty.json: the file is empty"),
        ("c_blank.json", b"  \n", "export/c_blank.json: the file is empty"),
        ("c_latin1.json", '["caf\xe9"]'.encode("latin-1"), "export/c_latin1.json: not"),
    ],
)
def test_a_bad_file_rejects_the_import_and_changes_nothing(
    user, tmp_path, bad_name, content, message
):
    imported(user, write_json(tmp_path / "earlier.json", distinct_extended_rows(3)))
    earlier_import = HistoryImport.objects.values().get()
    before = snapshot()

    history_import = history_import_from_paths(
        owner=user, paths=[_bad_folder(tmp_path, bad_name, content)]
    )

    assert history_import.status == ImportStatus.FAILED
    assert history_import.error.startswith(message), history_import.error
    assert history_import.finished_at is not None
    assert (history_import.plays_created, history_import.rows_read) == (0, 0)
    assert snapshot() == before
    assert HistoryImport.objects.values().get(pk=earlier_import["id"]) == earlier_import


def test_a_zip_bomb_rejects_the_import_and_changes_nothing(user, tmp_path, settings):
    settings.MUSICFLOW_ZIP_MAX_UNCOMPRESSED_BYTES = 8 * 1024**2
    imported(user, write_json(tmp_path / "earlier.json", distinct_extended_rows(3)))
    before = snapshot()
    bomb = tmp_path / "my_spotify_data.zip"
    bomb.write_bytes(
        zip_bytes(
            {
                "Spotify Extended Streaming History/a.json": GOOD_ROWS,
                "Spotify Extended Streaming History/b.json": b"[" + b" " * (16 * 1024**2) + b"]",
            }
        )
    )

    history_import = history_import_from_paths(owner=user, paths=[bomb])

    assert history_import.status == ImportStatus.FAILED
    assert history_import.error.startswith("my_spotify_data.zip: the zip expands to")
    assert "zip bomb" in history_import.error
    assert snapshot() == before


def test_too_many_zip_members_rejects_the_import(user, tmp_path, settings):
    settings.MUSICFLOW_ZIP_MAX_MEMBERS = 3
    path = tmp_path / "export.zip"
    path.write_bytes(zip_bytes({f"f{i}.json": [] for i in range(4)}))
    history_import = history_import_from_paths(owner=user, paths=[path])
    assert history_import.status == ImportStatus.FAILED
    assert "MUSICFLOW_ZIP_MAX_MEMBERS" in history_import.error
    assert not Play.objects.exists()


def test_path_traversal_member_names_are_read_as_data_only(user, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "deep" / "er").mkdir(parents=True)
    monkeypatch.chdir(tmp_path / "deep" / "er")
    path = tmp_path / "export.zip"
    path.write_bytes(
        zip_bytes(
            {
                "../../etc/x.json": distinct_extended_rows(2),
                "../../../../../../tmp/evil.json": distinct_extended_rows(1, start_minute=9),
                "ReadMe.pdf": b"%PDF",
            }
        )
    )
    files_before = sorted(p for p in tmp_path.rglob("*"))

    history_import = imported(user, path)

    assert history_import.plays_created == 3
    assert [f["name"] for f in history_import.files] == [
        "export.zip:../../etc/x.json",
        "export.zip:../../../../../../tmp/evil.json",
        "export.zip:ReadMe.pdf",
    ]
    assert history_import.skipped == {"non_json_file": 1}
    assert sorted(p for p in tmp_path.rglob("*")) == files_before
    assert not (tmp_path / "etc").exists()


def test_the_real_account_data_export_imports_from_a_zip(shared_data, user, tmp_path):
    folder = shared_data / "history" / "account-data"
    members = {f"Spotify Account Data/{p.name}": p.read_bytes() for p in sorted(folder.iterdir())}
    members["Spotify Account Data/ReadMeFirst.pdf"] = b"%PDF-1.4"
    path = tmp_path / "my_spotify_data.zip"
    path.write_bytes(zip_bytes(members))

    history_import = imported(user, path)

    assert (history_import.rows_read, history_import.plays_created) == (16_458, 15_785)
    assert history_import.skipped == {
        "audiobook": 11,
        "non_json_file": 1,
        "podcast": 597,
        "unknown_track": 43,
        "zero_ms": 22,
    }


# --- uploads and the background job ------------------------------------------------------


class UnreadableUpload(UploadedFile):
    """An upload that fails the test if anything reads it."""

    def __init__(self, name: str, size: int) -> None:
        super().__init__(file=None, name=name, content_type="application/zip", size=size)

    def read(self, *args, **kwargs):
        raise AssertionError("the upload was read before its size was checked")

    def chunks(self, *args, **kwargs):
        raise AssertionError("the upload was read before its size was checked")

    def open(self, *args, **kwargs):
        raise AssertionError("the upload was opened before its size was checked")


def test_an_upload_over_the_size_limit_is_refused_before_reading(user, settings):
    settings.MUSICFLOW_UPLOAD_MAX_BYTES = 1000
    with pytest.raises(UploadTooLarge, match="MUSICFLOW_UPLOAD_MAX_BYTES"):
        history_import_create(owner=user, uploads=[UnreadableUpload("export.zip", 1001)])
    with pytest.raises(UploadTooLarge):
        history_import_create(
            owner=user,
            uploads=[UnreadableUpload("a.json", 600), UnreadableUpload("b.json", 600)],
        )
    assert not HistoryImport.objects.exists()


def test_an_empty_upload_list_is_refused(user):
    with pytest.raises(ImportRejected, match="no file uploaded"):
        history_import_create(owner=user, uploads=[])


def test_an_upload_is_stored_queued_and_imported_by_the_task(
    user, django_capture_on_commit_callbacks
):
    content = json.dumps(distinct_extended_rows(4)).encode()
    upload = SimpleUploadedFile("Streaming_History_Audio_2024.json", content)

    with django_capture_on_commit_callbacks() as callbacks:
        history_import = history_import_create(owner=user, uploads=[upload])

    assert history_import.status == ImportStatus.QUEUED
    assert len(callbacks) == 1  # the task is queued only once the upload is committed
    assert history_import.upload.name.startswith("imports/")
    with history_import.upload.open("rb") as stored:
        assert stored.read() == content
    assert not Play.objects.exists()

    assert history_import_task(history_import.pk) == ImportStatus.DONE
    history_import.refresh_from_db()
    assert (history_import.status, history_import.plays_created) == (ImportStatus.DONE, 4)
    assert history_import.files[0]["name"] == "Streaming_History_Audio_2024.json"


def test_several_json_uploads_are_stored_as_one_zip_and_named_by_their_own_names(
    user, django_capture_on_commit_callbacks
):
    uploads = [
        SimpleUploadedFile("StreamingHistory_music_0.json", json.dumps([account_row()]).encode()),
        SimpleUploadedFile(
            "StreamingHistory_music_1.json",
            json.dumps([account_row("2023-10-03 10:00"), {"bad": 1}]).encode(),
        ),
    ]
    with django_capture_on_commit_callbacks():
        history_import = history_import_create(owner=user, uploads=uploads)
    assert history_import.file_names == [
        "StreamingHistory_music_0.json",
        "StreamingHistory_music_1.json",
    ]
    assert history_import.upload.name.endswith(".zip")

    history_import = history_import_run(import_id=history_import.pk)

    assert history_import.status == ImportStatus.FAILED
    assert history_import.error.startswith(
        "StreamingHistory_music_1.json: row 1 (counting from 0)"
    )
    assert not Play.objects.exists()


def test_an_uploaded_zip_is_imported_with_member_names_under_the_zip(
    user, django_capture_on_commit_callbacks
):
    data = zip_bytes({"Spotify Extended Streaming History/a.json": distinct_extended_rows(2)})
    with django_capture_on_commit_callbacks():
        history_import = history_import_create(
            owner=user, uploads=[SimpleUploadedFile("my_spotify_data.zip", data)]
        )
    history_import = history_import_run(import_id=history_import.pk)
    assert history_import.plays_created == 2
    assert history_import.files[0]["name"] == (
        "my_spotify_data.zip:Spotify Extended Streaming History/a.json"
    )


def _queued_upload(owner, rows) -> HistoryImport:
    upload = SimpleUploadedFile("a.json", json.dumps(rows).encode())
    return history_import_create(owner=owner, uploads=[upload])


def test_a_done_or_failed_import_is_never_run_again(user, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks():
        history_import = _queued_upload(user, distinct_extended_rows(2))
    done = history_import_run(import_id=history_import.pk)
    finished_at = done.finished_at
    Play.objects.all().delete()

    again = history_import_run(import_id=history_import.pk)

    assert (again.status, again.plays_created, again.finished_at) == (
        ImportStatus.DONE,
        2,
        finished_at,
    )
    assert not Play.objects.exists()
    HistoryImport.objects.filter(pk=history_import.pk).update(status=ImportStatus.FAILED)
    assert history_import_run(import_id=history_import.pk).status == ImportStatus.FAILED
    assert not Play.objects.exists()


def test_a_missing_import_is_a_no_op():
    assert history_import_run(import_id=987_654) is None
    assert history_import_task(987_654) == "missing"


def test_an_import_waits_while_another_of_the_same_user_runs(
    user, other_user, django_capture_on_commit_callbacks
):
    running = HistoryImport.objects.create(
        owner=user, status=ImportStatus.RUNNING, started_at=timezone.now()
    )
    with django_capture_on_commit_callbacks():
        waiting = _queued_upload(user, distinct_extended_rows(2))
        someone_else = _queued_upload(other_user, distinct_extended_rows(2))

    assert history_import_run(import_id=waiting.pk).status == ImportStatus.QUEUED
    assert history_import_run(import_id=someone_else.pk).status == ImportStatus.DONE

    retry = Schedule.objects.get(func=TASK_PATH)
    assert retry.schedule_type == Schedule.ONCE
    assert retry.next_run > timezone.now()
    assert str(waiting.pk) in retry.args
    assert not Play.objects.filter(user=user).exists()

    HistoryImport.objects.filter(pk=running.pk).update(status=ImportStatus.DONE)
    assert history_import_run(import_id=waiting.pk).status == ImportStatus.DONE
    assert Play.objects.filter(user=user).count() == 2


def test_a_synchronous_import_is_refused_while_another_runs(user, tmp_path):
    HistoryImport.objects.create(
        owner=user, status=ImportStatus.RUNNING, started_at=timezone.now()
    )
    history_import = history_import_from_paths(
        owner=user, paths=[write_json(tmp_path / "a.json", distinct_extended_rows(1))]
    )
    assert history_import.status == ImportStatus.FAILED
    assert "another import of this user is running" in history_import.error
    assert not Play.objects.exists()


def test_an_import_left_running_by_a_dead_worker_is_taken_over(
    user, settings, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks():
        history_import = _queued_upload(user, distinct_extended_rows(3))
    long_ago = timezone.now() - timedelta(seconds=settings.Q_CLUSTER["timeout"] + 60)
    HistoryImport.objects.filter(pk=history_import.pk).update(
        status=ImportStatus.RUNNING, started_at=long_ago
    )

    assert history_import_run(import_id=history_import.pk).status == ImportStatus.DONE
    assert Play.objects.filter(user=user).count() == 3


def test_a_recently_started_import_is_not_taken_over(user, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks():
        history_import = _queued_upload(user, distinct_extended_rows(3))
    HistoryImport.objects.filter(pk=history_import.pk).update(
        status=ImportStatus.RUNNING, started_at=timezone.now()
    )
    assert history_import_run(import_id=history_import.pk).status == ImportStatus.RUNNING
    assert not Play.objects.exists()


def test_resolution_statuses_add_up(shared_data, user):
    history_import = imported(user, shared_data / "history" / "account-data")
    by_status = Counter(Play.objects.filter(user=user).values_list("resolution_status", flat=True))
    assert by_status[ResolutionStatus.RESOLVED] == history_import.resolved
    assert by_status[ResolutionStatus.UNRESOLVED] == history_import.unresolved
    assert by_status[ResolutionStatus.PENDING] == 0


def test_a_finished_import_asks_for_enrichment_once_committed(
    user, tmp_path, django_capture_on_commit_callbacks
):
    path = write_json(tmp_path / "a.json", distinct_extended_rows(2))
    with django_capture_on_commit_callbacks() as callbacks:
        imported(user, path)
    assert len(callbacks) == 1

    bad = tmp_path / "bad.json"
    bad.write_text("[", encoding="utf-8")
    with django_capture_on_commit_callbacks() as callbacks:
        history_import = history_import_from_paths(owner=user, paths=[bad])
    assert history_import.status == ImportStatus.FAILED
    assert callbacks == []
