"""Candidate context signals (genre, release era): leave-one-track-out, never the target."""

from __future__ import annotations

import math

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from predictor.ml.candidates import CANDIDATE_SIGNALS, candidate_signals_add
from predictor.ml.context import played_without_tracks
from predictor.ml.records import (
    ArtistGenres,
    PlayedName,
    TrackSample,
    genres_frame,
    played_frame,
    samples_frame,
)


def _genres() -> pd.DataFrame:
    return genres_frame(
        rows=[
            ArtistGenres("Artist A", ("pop", "dance pop"), tracks=2),
            ArtistGenres("Artist B", ("pop",), tracks=1),
            ArtistGenres("Artist C", ("metal",), tracks=1),
        ]
    )


def _rows() -> list[PlayedName]:
    return [
        PlayedName("A1", "Artist A", plays=4, streams=4, release_date="2010"),
        PlayedName("B1", "Artist B", plays=2, streams=2, release_date="2014-03-01"),
        # Unresolved (no release date), by a catalog artist: its genres still count.
        PlayedName("C1 live", "Artist C", plays=3, streams=3),
        PlayedName("Z1", "Nobody Known", plays=1, streams=1, release_date="2030"),
    ]


def _played(*extra: PlayedName) -> pd.DataFrame:
    return played_frame(rows=[*_rows(), *extra])


def _signals(*samples: TrackSample, played: pd.DataFrame | None = None) -> pd.DataFrame:
    return candidate_signals_add(
        samples=samples_frame(samples=samples),
        played=_played() if played is None else played,
        genres=_genres(),
    )


def test_genre_familiarity_is_the_share_of_streams_by_artists_sharing_a_genre():
    rows = _signals(
        TrackSample(name="New", artists=("Artist B",), release_date="2000"),
        TrackSample(name="New", artists=("Artist C",), release_date="2000"),
        TrackSample(name="A1", artists=("Artist A",), release_date="2010"),  # streamed
        TrackSample(name="New", artists=("Stranger",), release_date="2000"),
    )
    # 10 streams in all. B shares "pop" with A: 4 + 2. A1's own 4 are left out.
    assert rows["genre_streams_other"].tolist()[:3] == [0.6, 0.3, 0.2]
    assert math.isnan(rows["genre_streams_other"].iloc[3])  # no known genre
    # Catalog share of tracks sharing a genre: B and A1 -> A, B (3 of 4); C -> 1 of 4.
    assert rows["genre_lift_other"].tolist()[:3] == pytest.approx([0.8, 1.2, 0.2 / 0.75])


def test_era_familiarity_counts_streams_released_within_two_years_but_never_its_own():
    rows = _signals(
        TrackSample(name="Old", artists=("Stranger",), release_date="2012"),
        TrackSample(name="A1", artists=("Artist A",), release_date="2010-06-01"),
        TrackSample(name="Far", artists=("Stranger",), release_date="1990"),
        TrackSample(name="Undated", artists=("Stranger",)),
    )
    # 2012 +- 2 holds A1 (2010) and B1 (2014); A1 is alone in its own window.
    assert rows["era_streams_other"].tolist()[:3] == [0.6, 0.0, 0.0]
    assert math.isnan(rows["era_streams_other"].iloc[3])


def test_an_unknown_genre_table_leaves_the_genre_signals_missing_and_no_plays_give_zeros():
    frame = samples_frame(
        samples=[TrackSample(name="X", artists=("Artist A",), release_date="2010")]
    )
    before = frame.copy(deep=True)
    unknown = candidate_signals_add(samples=frame, played=_played(), genres=None)
    assert math.isnan(unknown["genre_streams_other"].iloc[0])
    assert math.isnan(unknown["genre_lift_other"].iloc[0])
    assert unknown["era_streams_other"].iloc[0] == 0.4  # A1 (2010), the era still counts
    nothing = candidate_signals_add(samples=frame, played=played_frame(rows=[]), genres=_genres())
    assert nothing["genre_streams_other"].iloc[0] == 0.0
    assert nothing["era_streams_other"].iloc[0] == 0.0
    pd.testing.assert_frame_equal(frame, before)  # a copy; the input is untouched


@settings(max_examples=30, deadline=None)
@given(own_streams=st.integers(0, 400), own_skips=st.integers(0, 20))
def test_changing_a_tracks_own_streams_never_changes_its_candidates(own_streams, own_skips):
    """The streams counted for a track never include its own. (Each value is a share
    of all the user's streams: one denominator for every track of the user, so it is
    compared here times that total.)"""
    sample = TrackSample(name="Mine", artists=("Artist A",), release_date="2011")
    mine = PlayedName(
        "Mine", "Artist A", plays=own_streams + own_skips, streams=own_streams, release_date="2011"
    )
    with_own, without = _played(mine), _played()
    names = list(CANDIDATE_SIGNALS)
    counted = _signals(sample, played=with_own)[names].iloc[0] * with_own["streams"].sum()
    alone = _signals(sample, played=without)[names].iloc[0] * without["streams"].sum()
    for name in CANDIDATE_SIGNALS:
        assert counted[name] == pytest.approx(alone[name]), name


@settings(max_examples=30, deadline=None)
@given(own_streams=st.integers(1, 400))
def test_a_streamed_track_gets_the_candidates_of_an_unplayed_one_with_the_same_history(
    own_streams,
):
    """A streamed pop track of 2015 and an unplayed rock track of 1990, whose genres
    and eras the user streamed alike otherwise, get identical values whatever the
    first one's own streams: any difference would tell the model which was streamed."""
    genres = genres_frame(
        rows=[
            ArtistGenres("Artist A", ("pop",), tracks=1),
            ArtistGenres("Artist A2", ("pop",), tracks=1),
            ArtistGenres("Artist B", ("rock",), tracks=1),
            ArtistGenres("Artist B2", ("rock",), tracks=1),
        ]
    )
    played = played_frame(
        rows=[
            PlayedName(
                "Mine", "Artist A", plays=own_streams, streams=own_streams, release_date="2015"
            ),
            PlayedName("Pop", "Artist A2", plays=5, streams=5, release_date="2016"),
            PlayedName("Rock", "Artist B2", plays=5, streams=5, release_date="1991"),
        ]
    )
    rows = candidate_signals_add(
        samples=samples_frame(
            samples=[
                TrackSample(name="Mine", artists=("Artist A",), release_date="2015"),
                TrackSample(name="Fresh", artists=("Artist B",), release_date="1990"),
            ]
        ),
        played=played,
        genres=genres,
    )
    for name in CANDIDATE_SIGNALS:
        assert rows[name].iloc[0] == rows[name].iloc[1], name


def test_played_without_tracks_drops_only_the_given_tracks_own_plays():
    played = _played(PlayedName("Exported", "Artist A", plays=1, streams=1, resolved_name="B1"))
    kept = played_without_tracks(
        played=played,
        samples=samples_frame(samples=[TrackSample(name="A1 (feat. X)", artists=("artist a",))]),
    )
    assert kept["track_name"].tolist() == ["B1", "C1 live", "Z1", "Exported"]
    # Resolved under another spelling: the resolved name decides.
    also = played_without_tracks(
        played=played,
        samples=samples_frame(samples=[TrackSample(name="B1", artists=("Artist A",))]),
    )
    assert "Exported" not in also["track_name"].tolist()
    assert "B1" in also["track_name"].tolist()  # B1 by Artist B is another artist's song
