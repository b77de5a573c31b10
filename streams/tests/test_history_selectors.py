"""Access-checked reads: another user's import or plays are never visible."""

from __future__ import annotations

import pytest
from django.http import Http404

from streams.errors import HistoryImportNotFound, NotFound
from streams.selectors import (
    history_import_get_for_user,
    history_import_report,
    imports_for_user,
    plays_for_user,
)
from streams.services.history_import import history_import_from_paths
from streams.tests.history_samples import distinct_extended_rows, write_json

pytestmark = pytest.mark.django_db


@pytest.fixture
def alice_import(user, tmp_path):
    path = write_json(tmp_path / "a.json", distinct_extended_rows(3))
    return history_import_from_paths(owner=user, paths=[path])


def test_the_owner_gets_their_import(user, alice_import):
    assert history_import_get_for_user(user=user, import_id=alice_import.pk) == alice_import


def test_another_users_import_looks_missing(other_user, alice_import):
    with pytest.raises(HistoryImportNotFound) as caught:
        history_import_get_for_user(user=other_user, import_id=alice_import.pk)
    assert isinstance(caught.value, NotFound)
    assert isinstance(caught.value, Http404)  # a plain view answers 404 without mapping


def test_a_missing_import_is_the_same_error(user):
    with pytest.raises(HistoryImportNotFound):
        history_import_get_for_user(user=user, import_id=123_456)


def test_lists_hold_only_the_users_own_rows(user, other_user, alice_import, tmp_path):
    bob_import = history_import_from_paths(
        owner=other_user, paths=[write_json(tmp_path / "b.json", distinct_extended_rows(2))]
    )
    assert list(imports_for_user(user=user)) == [alice_import]
    assert list(imports_for_user(user=other_user)) == [bob_import]
    assert plays_for_user(user=user).count() == 3
    assert {p.user_id for p in plays_for_user(user=other_user)} == {other_user.pk}


def test_plays_come_newest_first_with_their_track_in_one_query(
    user, alice_import, django_assert_num_queries
):
    with django_assert_num_queries(1):
        plays = list(plays_for_user(user=user))
        names = [p.track.name for p in plays]
    assert [p.played_at for p in plays] == sorted((p.played_at for p in plays), reverse=True)
    assert len(names) == 3


def test_the_report_has_the_command_shape(alice_import):
    report = history_import_report(history_import=alice_import).as_dict()
    assert report["import_id"] == alice_import.pk
    assert (report["status"], report["plays_created"], report["skipped"]) == ("done", 3, {})
    assert report["files"] == [{"name": "a.json", "format": "extended", "rows": 3}]
