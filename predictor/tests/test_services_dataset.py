"""The training dataset built from a user's plays and the catalog."""

from __future__ import annotations

from datetime import timedelta

import numpy as np
import pytest

from predictor.services import dataset_build_for_user
from predictor.tests.factories import SKIP_MS, STREAM_MS, _play
from streams.models import Play, ResolutionStatus, SavedTrack, Track


def test_target_counts_only_resolved_plays_of_at_least_thirty_seconds(listener, library, settings):
    dataset = dataset_build_for_user(user=listener)
    by_id = dict(zip(dataset.track_ids, dataset.target, strict=True))
    expected = dict(zip((t.pk for t in library.tracks), library.data.target, strict=True))
    for track_id, streams in by_id.items():
        assert streams == expected[track_id]
    assert dataset.report.positives == int((library.data.target > 0).sum())
    settings.MUSICFLOW_STREAM_MIN_MS = SKIP_MS
    looser = dataset_build_for_user(user=listener)
    # With a 5 s threshold the one short play of each streamed track counts as well.
    assert looser.target.sum() == dataset.target.sum() + dataset.report.positives
    assert STREAM_MS >= settings.MUSICFLOW_STREAM_MIN_MS


def test_played_but_never_streamed_tracks_are_zero_rows_not_dropped(listener, library):
    silent = next(t for t, s in zip(library.tracks, library.data.target, strict=True) if s == 0)
    Play.objects.bulk_create([_play(listener, silent, 5000, SKIP_MS)])
    dataset = dataset_build_for_user(user=listener)
    row = dataset.track_ids.index(silent.pk)
    assert dataset.target[row] == 0
    assert dataset.report.played == dataset.report.positives + 1


def test_negatives_follow_the_ratio_and_were_never_played_even_by_name(
    listener, library, settings
):
    settings.MUSICFLOW_NEGATIVE_RATIO = 1.0
    played_ids = set(Play.objects.filter(user=listener).values_list("track_id", flat=True))
    # Another release of a played song (same title and artist, different id).
    played = Track.objects.get(pk=min(played_ids))
    twin = Track.objects.create(
        spotify_id="twinrelease00000000000",
        name=played.name,
        primary_artist=played.primary_artist,
        artists=played.artists,
        danceability=0.5,
        energy=0.5,
        features_source="catalog",
    )
    dataset = dataset_build_for_user(user=listener)
    negatives = [i for i in dataset.track_ids if i not in played_ids]
    assert len(negatives) == dataset.report.negatives == dataset.report.played
    assert twin.pk not in negatives
    assert dataset.report.rows == dataset.report.played + dataset.report.negatives


def _catalog_track(spotify_id: str, name: str, artist: str, released: str) -> Track:
    return Track.objects.create(
        spotify_id=spotify_id,
        name=name,
        primary_artist=artist,
        artists=[artist],
        release_date=released,
        danceability=0.5,
        energy=0.5,
        features_source="catalog",
    )


def test_negatives_exist_before_the_last_play_and_each_song_is_drawn_once(
    listener, library, settings
):
    # A ratio larger than the pool: every eligible catalog track is drawn.
    settings.MUSICFLOW_NEGATIVE_RATIO = 100.0
    last = Play.objects.filter(user=listener).latest("played_at").played_at.date()
    later = _catalog_track("releasedlater000000000", "Later", "Newcomer", f"{last.year + 1}")
    next_day = (last + timedelta(days=1)).isoformat()
    dated_later = _catalog_track("releasedday0000000000x", "Day", "Newcomer", next_day)
    same_year = _catalog_track("releasedsameyear00000x", "Same", "Oldtimer", str(last.year))
    that_day = _catalog_track("releasedthatday000000x", "That", "Oldtimer", last.isoformat())
    first = _catalog_track("samesongsingle0000000x", "One Song", "Twice", "2001")
    again = _catalog_track("samesongalbum00000000x", "One Song", "Twice", "2002-03-04")
    negatives = set(dataset_build_for_user(user=listener).track_ids) - {
        t.pk for t in library.tracks
    }
    assert later.pk not in negatives
    assert dated_later.pk not in negatives
    # A year-only date may be any day of that year: it is kept.
    assert {same_year.pk, that_day.pk} <= negatives
    assert len({first.pk, again.pk} & negatives) == 1


def test_played_tracks_without_features_are_left_out_and_counted(listener, library):
    bare = Track.objects.create(
        spotify_id="bare000000000000000000", name="No features", primary_artist="X"
    )
    Play.objects.bulk_create([_play(listener, bare, 1, STREAM_MS)])
    dataset = dataset_build_for_user(user=listener)
    assert bare.pk not in dataset.track_ids
    assert dataset.report.played_without_features == 1


def test_the_same_history_gives_the_same_dataset_and_digest(listener, library):
    first = dataset_build_for_user(user=listener)
    second = dataset_build_for_user(user=listener)
    assert first.track_ids == second.track_ids
    assert first.report.digest == second.report.digest
    assert len(first.report.digest) == 64
    Play.objects.filter(user=listener).first().delete()
    assert dataset_build_for_user(user=listener).report.digest != first.report.digest


def test_two_users_with_the_same_history_get_the_same_negatives(
    listener, library, django_user_model
):
    from predictor.tests.factories import history_create

    twin = django_user_model.objects.create_user(username="twin", password="x")
    history_create(user=twin, library=library)
    assert twin.pk != listener.pk
    # The draw depends on the history and the catalog, not on a database-assigned key.
    mine, theirs = dataset_build_for_user(user=listener), dataset_build_for_user(user=twin)
    assert mine.report.negatives > 0
    assert mine.track_ids == theirs.track_ids
    assert mine.report.digest == theirs.report.digest


def test_the_model_package_names_the_same_audio_features_as_the_track_table():
    from predictor.ml.records import AUDIO_INPUTS
    from streams.models import AUDIO_FEATURE_FIELDS

    assert AUDIO_INPUTS == AUDIO_FEATURE_FIELDS


def test_context_never_counts_a_tracks_own_streams(listener, library):
    dataset = dataset_build_for_user(user=listener)
    frame = dataset.frame
    target = dataset.target
    artist = frame["artists"].map(lambda a: a[0])
    streams_by_artist = {}
    for name, streams in zip(artist, target, strict=True):
        streams_by_artist[name] = streams_by_artist.get(name, 0) + streams
    # Sample rows by a single artist: the feature is the artist's total minus the track.
    solo = frame["artists"].map(len) == 1
    for i in np.flatnonzero(solo.to_numpy())[:50]:
        expected = streams_by_artist[artist.iloc[i]] - target[i]
        assert frame["artist_streams_other"].iloc[i] == pytest.approx(expected)


def test_unresolved_plays_count_for_context_but_not_for_the_target(listener, library):
    before = dataset_build_for_user(user=listener)
    track = Track.objects.get(pk=before.track_ids[0])
    extra = _play(listener, track, 9000, STREAM_MS)
    extra.track = None
    extra.resolution_status = ResolutionStatus.UNRESOLVED
    extra.track_name = "A song the catalog does not know"
    Play.objects.bulk_create([extra])
    after = dataset_build_for_user(user=listener)
    np.testing.assert_array_equal(before.target, after.target)
    row = after.track_ids.index(track.pk)
    assert (
        after.frame["artist_streams_other"].iloc[row]
        == before.frame["artist_streams_other"].iloc[row] + 1
    )


def _save(user, *tracks: Track) -> None:
    SavedTrack.objects.bulk_create(SavedTrack(user=user, track=t) for t in tracks)


def test_a_history_without_a_library_leaves_is_saved_missing(listener, library):
    dataset = dataset_build_for_user(user=listener)
    assert dataset.frame["is_saved"].isna().all()
    assert dataset.frame["artist_saved_tracks_other"].isna().all()


def test_saved_tracks_sit_on_both_sides_and_never_change_which_rows_are_drawn(listener, library):
    """Negatives are drawn from the catalog whatever the library says, so a saved song
    the user never played is a zero-stream row like any other, and `is_saved` cannot
    mean "this row is a positive" by construction."""
    before = dataset_build_for_user(user=listener)
    streamed = Track.objects.get(pk=before.track_ids[int(np.argmax(before.target))])
    played_ids = set(Play.objects.filter(user=listener).values_list("track_id", flat=True))
    never_played = Track.objects.get(pk=next(i for i in before.track_ids if i not in played_ids))
    _save(listener, streamed, never_played)

    after = dataset_build_for_user(user=listener)

    assert after.track_ids == before.track_ids
    np.testing.assert_array_equal(after.target, before.target)
    saved_rows = {i for i, s in zip(after.track_ids, after.frame["is_saved"], strict=True) if s}
    assert saved_rows == {streamed.pk, never_played.pk}
    by_id = dict(zip(after.track_ids, after.target, strict=True))
    assert by_id[streamed.pk] > 0
    assert by_id[never_played.pk] == 0
    assert after.report.digest != before.report.digest
