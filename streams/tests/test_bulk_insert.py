"""Bulk INSERT ... ON CONFLICT DO NOTHING of raw rows (PostgreSQL: through a scratch table)."""

from __future__ import annotations

import gc

import pytest
from django.db import DatabaseError, connection, transaction
from django.utils import timezone

from streams.bulk_insert import rows_insert_ignoring_conflicts
from streams.models import Track, TrackNameKey
from streams.services.history_import_writer import bulk_write_tuning

pytestmark = pytest.mark.django_db


def key_rows(track: Track, keys: list[str]) -> list[tuple[str, int, object]]:
    created_at = connection.ops.adapt_datetimefield_value(timezone.now())
    return [(key, track.id, created_at) for key in keys]


def insert_keys(rows: list[tuple[str, int, object]]) -> int:
    return rows_insert_ignoring_conflicts(
        table=TrackNameKey._meta.db_table, columns=("key", "track_id", "created_at"), rows=rows
    )


@pytest.fixture
def track() -> Track:
    return Track.objects.create(name="Heroes", primary_artist="David Bowie")


@pytest.mark.parametrize("size", [3, 300])
def test_rows_already_stored_or_repeated_are_skipped_and_not_counted(track, size) -> None:
    TrackNameKey.objects.create(key="k-0", track=track)
    keys = [f"k-{i}" for i in range(size)]

    inserted = insert_keys(key_rows(track, [*keys, keys[-1]]))

    assert inserted == size - 1
    assert TrackNameKey.objects.count() == size
    assert insert_keys(key_rows(track, keys)) == 0


def test_a_failed_insert_leaves_nothing_behind_for_the_next_one(track) -> None:
    good = key_rows(track, [f"good-{i}" for i in range(100)])
    # A key longer than the column: PostgreSQL refuses it. SQLite has no length limit,
    # so a missing track (a NOT NULL column) stands in for a bad row there.
    bad = [*good[:50], ("x" * 2000, None, good[0][2])]

    with pytest.raises(DatabaseError), transaction.atomic():
        insert_keys(bad)

    assert not TrackNameKey.objects.exists()
    assert insert_keys(good[50:]) == 50
    assert set(TrackNameKey.objects.values_list("key", flat=True)) == {row[0] for row in good[50:]}


@pytest.mark.django_db(transaction=True)
def test_inserts_in_autocommit_mode_are_stored_and_leave_nothing_to_repeat() -> None:
    track = Track.objects.create(name="Low", primary_artist="David Bowie")
    assert not connection.in_atomic_block

    assert insert_keys(key_rows(track, [f"a-{i}" for i in range(200)])) == 200
    assert insert_keys(key_rows(track, [f"b-{i}" for i in range(100)])) == 100

    assert TrackNameKey.objects.filter(key__startswith="a-").count() == 200
    assert TrackNameKey.objects.count() == 300


def test_the_garbage_collector_is_paused_while_importing_and_resumed_after() -> None:
    assert gc.isenabled()
    with pytest.raises(RuntimeError), bulk_write_tuning():
        assert not gc.isenabled()
        raise RuntimeError("the import failed")
    assert gc.isenabled()


def test_a_collector_paused_by_someone_else_stays_paused() -> None:
    gc.disable()
    try:
        with bulk_write_tuning():
            pass
        assert not gc.isenabled()
    finally:
        gc.enable()
