"""Offline play resolution: by URI, by the name index, and the bookkeeping around it."""

from __future__ import annotations

import itertools
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime, timedelta

import pytest

from streams.models import (
    HistoryImport,
    Play,
    PlayFormat,
    ResolutionStatus,
    Track,
    TrackNameKey,
)
from streams.resolution.normalize import name_key
from streams.resolution.service import (
    PendingPlay,
    ResolutionStep,
    name_index_add,
    offline_steps,
    plays_resolve,
)

pytestmark = pytest.mark.django_db

_counter = itertools.count()
_START = datetime(2024, 1, 1, tzinfo=UTC)


def make_play(user, *, track: str, artist: str, uri: str = "", album: str = "", **extra) -> Play:
    n = next(_counter)
    return Play.objects.create(
        user=user,
        played_at=_START + timedelta(minutes=n),
        ms_played=200_000,
        track_name=track,
        artist_name=artist,
        album_name=album,
        spotify_track_uri=uri,
        source_format=PlayFormat.EXTENDED if uri else PlayFormat.ACCOUNT_DATA,
        dedupe_key=f"k{n}",
        **extra,
    )


def make_track(name: str, artist: str, spotify_id: str | None = None, **extra) -> Track:
    track = Track.objects.create(
        name=name,
        primary_artist=artist,
        artists=[{"name": artist, "id": None}],
        spotify_id=spotify_id,
        **extra,
    )
    name_index_add(tracks=[track])
    return track


def test_a_play_with_a_known_uri_resolves_to_that_track(user) -> None:
    track = make_track("Yellow", "Coldplay", "3AJwUDP919kvQ9QcozQPxg")
    play = make_play(
        user, track="Yellow", artist="Coldplay", uri="spotify:track:3AJwUDP919kvQ9QcozQPxg"
    )

    report = plays_resolve(user_id=user.id)

    play.refresh_from_db()
    assert (play.track_id, play.resolution_status) == (track.id, ResolutionStatus.RESOLVED)
    assert play.resolve_attempts == 1 and play.last_resolve_at is not None
    assert report.resolved == 1 and report.by_step == {"uri": 1, "name_index": 0}


def test_an_unknown_uri_creates_a_history_stub_for_enrichment(user) -> None:
    uri = "spotify:track:0000000000000000000001"
    first = make_play(user, track="New Song (feat. B)", artist="Artist A", uri=uri, album="LP")
    second = make_play(user, track="New Song (feat. B)", artist="Artist A", uri=uri, album="LP")

    report = plays_resolve(user_id=user.id)

    stub = Track.objects.get(spotify_id="0000000000000000000001")
    assert (stub.name, stub.primary_artist, stub.album_name) == (
        "New Song (feat. B)",
        "Artist A",
        "LP",
    )
    assert stub.metadata_source == "history" and stub.features_source == ""
    assert stub.field_sources == {"name": "history", "artists": "history", "album_name": "history"}
    assert stub.raw_sources["history"]["data"]["spotify_track_uri"] == uri
    assert set(
        Play.objects.filter(id__in=[first.id, second.id]).values_list("track_id", flat=True)
    ) == {stub.id}
    assert report.resolved == 2
    # The stub is in the name index, so a URI-less play of the same song finds it.
    assert TrackNameKey.objects.get(key=name_key("New Song", "Artist A")).track_id == stub.id


def test_a_play_without_uri_resolves_through_the_name_index(user) -> None:
    track = make_track("Here Comes The Sun", "The Beatles", "6dGnYIeXmHdcikdzNNDMm2")
    play = make_play(user, track="Here Comes The Sun - Remastered 2009", artist="The Beatles")

    report = plays_resolve(user_id=user.id)

    play.refresh_from_db()
    assert play.track_id == track.id
    assert report.by_step == {"uri": 0, "name_index": 1}


def test_an_unmatched_play_is_marked_unresolved_and_retried_later(user) -> None:
    play = make_play(user, track="Nobody Knows This", artist="Nobody")

    first = plays_resolve(user_id=user.id)
    play.refresh_from_db()
    assert (play.resolution_status, play.unresolved_reason, play.resolve_attempts) == (
        ResolutionStatus.UNRESOLVED,
        "no_offline_match",
        1,
    )
    assert first.unresolved == 1 and first.unresolved_by_reason == {"no_offline_match": 1}

    track = make_track("Nobody Knows This", "Nobody")
    second = plays_resolve(user_id=user.id)
    play.refresh_from_db()
    assert (play.track_id, play.resolution_status, play.unresolved_reason) == (
        track.id,
        ResolutionStatus.RESOLVED,
        "",
    )
    assert play.resolve_attempts == 2 and second.resolved == 1


def test_resolved_plays_are_left_alone(user) -> None:
    make_track("Yellow", "Coldplay")
    make_play(user, track="Yellow", artist="Coldplay")
    plays_resolve(user_id=user.id)

    again = plays_resolve(user_id=user.id)

    assert (again.resolved, again.unresolved) == (0, 0)
    assert Play.objects.get().resolve_attempts == 1


def test_only_the_given_users_and_imports_plays_are_touched(user, other_user) -> None:
    make_track("Yellow", "Coldplay")
    mine_old = make_play(user, track="Yellow", artist="Coldplay")
    batch = HistoryImport.objects.create(owner=user)
    mine_new = make_play(user, track="Yellow", artist="Coldplay", history_import=batch)
    theirs = make_play(other_user, track="Yellow", artist="Coldplay")

    report = plays_resolve(user_id=user.id, history_import_id=batch.id)

    statuses = dict(Play.objects.values_list("id", "resolution_status"))
    assert statuses[mine_new.id] == ResolutionStatus.RESOLVED
    assert statuses[mine_old.id] == statuses[theirs.id] == ResolutionStatus.PENDING
    assert report.resolved == 1


def test_name_index_keeps_the_first_track_stored(user) -> None:
    first = make_track("Heroes", "David Bowie", "000000000000000000000a")
    second = Track.objects.create(name="Heroes - 2017 Remaster", primary_artist="David Bowie")

    added = name_index_add(tracks=[second, first])

    assert added == 1  # only the remaster's exact-spelling key is new
    keys = dict(TrackNameKey.objects.values_list("key", "track_id"))
    assert keys == {
        "=heroes|david bowie": first.id,
        "heroes|david bowie": first.id,
        "=heroes 2017 remaster|david bowie": second.id,
    }


def test_a_play_prefers_the_track_with_its_exact_spelling(user) -> None:
    remix = make_track("Calm Down (with Selena Gomez)", "Rema")
    solo = make_track("Calm Down", "Rema")
    plays = {
        "solo": make_play(user, track="Calm Down", artist="Rema"),
        "remix": make_play(user, track="Calm Down (with Selena Gomez)", artist="Rema"),
        "remaster": make_play(user, track="Calm Down - 2023 Remaster", artist="Rema"),
    }

    plays_resolve(user_id=user.id)

    tracks = {k: Play.objects.get(id=p.id).track_id for k, p in plays.items()}
    assert tracks == {"solo": solo.id, "remix": remix.id, "remaster": remix.id}


def test_name_index_uses_the_first_listed_artist_when_no_primary_is_stored() -> None:
    track = Track.objects.create(
        name="Die With A Smile", artists=[{"name": "Lady Gaga"}, {"name": "Bruno Mars"}]
    )

    assert name_index_add(tracks=[track]) == 2

    assert set(TrackNameKey.objects.values_list("key", flat=True)) == {
        "die with a smile|lady gaga",
        "=die with a smile|lady gaga",
    }


class _AlwaysTrack:
    """A stand-in network step: a real implementation of the step protocol."""

    name = "always"
    needs_network = True

    def __init__(self, track_id: int) -> None:
        self.track_id = track_id
        self.seen: list[int] = []

    def __call__(self, *, plays: Sequence[PendingPlay]) -> Mapping[int, int]:
        self.seen = [p.id for p in plays]
        return {p.id: self.track_id for p in plays} | {10**9: self.track_id}


def test_extra_steps_only_see_what_earlier_steps_left(user) -> None:
    known = make_track("Yellow", "Coldplay")
    fallback = Track.objects.create(name="Fallback")
    resolved_offline = make_play(user, track="Yellow", artist="Coldplay")
    left_over = make_play(user, track="Unknown", artist="Someone")
    step = _AlwaysTrack(fallback.id)
    assert isinstance(step, ResolutionStep)

    report = plays_resolve(user_id=user.id, steps=[*offline_steps(), step])

    assert step.seen == [left_over.id]
    assert report.by_step == {"uri": 0, "name_index": 1, "always": 1}
    tracks = dict(Play.objects.values_list("id", "track_id"))
    assert tracks == {resolved_offline.id: known.id, left_over.id: fallback.id}


def test_unmatched_plays_after_a_network_step_get_the_general_reason(user) -> None:
    make_play(user, track="Unknown", artist="Someone")

    class Nothing:
        name = "nothing"
        needs_network = True

        def __call__(self, *, plays: Sequence[PendingPlay]) -> Mapping[int, int]:
            return {}

    report = plays_resolve(user_id=user.id, steps=[*offline_steps(), Nothing()])

    assert report.unresolved_by_reason == {"no_match": 1}
