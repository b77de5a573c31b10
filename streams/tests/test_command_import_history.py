"""`manage.py import_history`: one JSON object with --json, lines without, non-zero on rejection."""

from __future__ import annotations

import json
from io import StringIO

import pytest
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command

from streams.models import HistoryImport, Play
from streams.tests.history_samples import distinct_extended_rows, podcast_row, write_json

pytestmark = pytest.mark.django_db

REPORT_KEYS = {
    "import_id",
    "status",
    "rows_read",
    "plays_created",
    "duplicates",
    "skipped",
    "resolved",
    "unresolved",
}


def run(*args: str) -> str:
    out = StringIO()
    call_command("import_history", *args, stdout=out)
    return out.getvalue()


def test_json_output_is_exactly_one_object_with_the_report(user, tmp_path):
    path = write_json(tmp_path / "a.json", [*distinct_extended_rows(3), podcast_row()])

    output = run("--user", "alice", "--json", str(path))

    report = json.loads(output)  # fails on anything but a single JSON document
    assert output.count("\n") <= 1
    assert report.keys() >= REPORT_KEYS
    history_import = HistoryImport.objects.get()
    assert report["import_id"] == history_import.pk
    assert (report["status"], report["rows_read"], report["plays_created"]) == ("done", 4, 3)
    assert (report["duplicates"], report["skipped"]) == (0, {"podcast": 1})
    assert (report["resolved"], report["unresolved"]) == (3, 0)


def test_the_real_account_data_export_reports_its_counts(shared_data, user):
    report = json.loads(
        run("--user", "alice", "--json", str(shared_data / "history" / "account-data"))
    )
    assert (report["rows_read"], report["plays_created"], report["duplicates"]) == (
        16_458,
        15_785,
        0,
    )
    assert report["skipped"] == {
        "audiobook": 11,
        "podcast": 597,
        "unknown_track": 43,
        "zero_ms": 22,
    }
    assert report["library_tracks"] == 931
    assert report["resolved"] + report["unresolved"] == 15_785


def test_readable_output_has_the_same_figures(user, tmp_path):
    path = write_json(tmp_path / "a.json", [*distinct_extended_rows(2), podcast_row()])
    lines = run("--user", "alice", str(path)).splitlines()
    assert lines[0].endswith(": done")
    assert "rows read: 3" in lines
    assert "plays created: 2" in lines
    assert "duplicates: 0" in lines
    assert "  podcast: 1" in lines
    assert "resolved: 2" in lines


def test_a_rejected_import_exits_non_zero_with_the_message(user, tmp_path):
    bad = tmp_path / "Streaming_History_Audio_2024.json"
    bad.write_text('[{"ts": "2024-07-03T14:26:57Z", "ms_pl', encoding="utf-8")
    out = StringIO()

    with pytest.raises(CommandError) as caught:
        call_command("import_history", "--user", "alice", "--json", str(bad), stdout=out)

    assert "Streaming_History_Audio_2024.json: not valid JSON" in str(caught.value)
    report = json.loads(out.getvalue())
    assert report["status"] == "failed"
    assert report["error"].startswith("Streaming_History_Audio_2024.json: not valid JSON")
    assert not Play.objects.exists()


def test_an_unknown_user_is_refused_unless_asked_to_create_it(db, tmp_path):
    path = write_json(tmp_path / "a.json", distinct_extended_rows(1))
    with pytest.raises(CommandError, match="--create-user"):
        run("--user", "carol", str(path))
    assert not get_user_model().objects.filter(username="carol").exists()

    report = json.loads(run("--user", "carol", "--create-user", "--json", str(path)))

    carol = get_user_model().objects.get(username="carol")
    assert not carol.has_usable_password()
    assert report["plays_created"] == 1
    assert Play.objects.get().user == carol


def test_several_paths_are_one_import(user, tmp_path):
    a = write_json(tmp_path / "a.json", distinct_extended_rows(2))
    b = write_json(tmp_path / "b.json", distinct_extended_rows(2, start_minute=50))
    report = json.loads(run("--user", "alice", "--json", str(a), str(b)))
    assert report["plays_created"] == 4
    assert HistoryImport.objects.get().file_names == ["a.json", "b.json"]
