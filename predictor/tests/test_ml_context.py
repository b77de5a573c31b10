"""User-context features: leave-one-track-out familiarity that cannot leak the target."""

from __future__ import annotations

import math

import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from predictor.ml.context import (
    CONTEXT_FEATURES,
    CONTEXT_SIGNALS,
    LIBRARY_SIGNALS,
    context_add,
    context_index_build,
    name_key,
)
from predictor.ml.records import (
    PlayedName,
    SavedName,
    TrackSample,
    played_frame,
    samples_frame,
    saved_frame,
)


def _played() -> pd.DataFrame:
    return played_frame(
        rows=[
            PlayedName("Song One", "Artist A", "Album X", plays=6, streams=5),
            PlayedName("Song Two", "Artist A", "Album X", plays=4, streams=3),
            PlayedName("Song Three", "Artist A", "Album Y", plays=2, streams=0),
            PlayedName("Other", "Artist B", "Album Z", plays=10, streams=10),
        ]
    )


def _saved() -> pd.DataFrame:
    # One saved track of each artist the histories below play, alike for both.
    return saved_frame(
        rows=[SavedName("Other A", ("Artist A",)), SavedName("Other B", ("Artist B",))]
    )


def _context(
    *samples: TrackSample,
    played: pd.DataFrame | None = None,
    saved: pd.DataFrame | None = None,
) -> pd.DataFrame:
    frame = samples_frame(samples=samples)
    return context_add(
        samples=frame,
        played=_played() if played is None else played,
        saved=_saved() if saved is None else saved,
    )


def test_a_tracks_own_streams_never_count_towards_its_artist_familiarity():
    rows = _context(
        TrackSample(name="Song One", artists=("Artist A",), album="Album X"),
        TrackSample(name="Never Played", artists=("Artist A",), album="Album X"),
        TrackSample(name="Unknown", artists=("Nobody",)),
    )
    assert rows["artist_streams_other"].tolist() == [3.0, 8.0, 0.0]
    assert rows["artist_tracks_other"].tolist() == [1.0, 2.0, 0.0]
    assert rows["album_streams_other"].tolist() == [3.0, 8.0, 0.0]


def test_skip_rate_counts_the_other_plays_under_the_stream_threshold():
    rows = _context(
        TrackSample(name="Song One", artists=("Artist A",)),
        TrackSample(name="Unknown", artists=("Nobody",)),
    )
    # Other plays of Artist A: 4 + 2 = 6, of which 3 were streams.
    assert rows["artist_skip_rate_other"].tolist()[0] == 0.5
    assert math.isnan(rows["artist_skip_rate_other"].tolist()[1])


def test_names_match_across_case_accents_featuring_and_remaster_suffixes():
    assert name_key("Song One (feat. Someone)") == name_key("song one")
    assert name_key("Song One - 2011 Remaster") == name_key("SONG ONE")
    assert name_key("Beyoncé") == name_key("beyonce")
    assert name_key("Tera Fitoor") != name_key("Tera")
    assert name_key(None) == ""
    rows = _context(TrackSample(name="SONG ONE - Remastered 2009", artists=("ártist a",)))
    assert rows["artist_streams_other"].tolist() == [3.0]


def test_plays_resolved_to_the_track_are_its_own_even_under_another_name():
    played = played_frame(
        rows=[
            PlayedName(
                "Exported Title", "Artist A", plays=4, streams=4, resolved_name="Catalog Title"
            ),
            PlayedName("Another", "Artist A", plays=1, streams=1),
        ]
    )
    rows = _context(
        TrackSample(name="Catalog Title", artists=("Artist A",)),
        played=played,
    )
    assert rows["artist_streams_other"].tolist() == [1.0]


def test_all_credited_artists_count_and_a_user_with_no_plays_gets_zeros():
    rows = _context(TrackSample(name="Duet", artists=("Artist A", "Artist B")))
    assert rows["artist_streams_other"].tolist() == [18.0]
    empty = _context(TrackSample(name="Duet", artists=("Artist A",)), played=played_frame(rows=[]))
    assert empty["artist_streams_other"].tolist() == [0.0]
    assert math.isnan(empty["artist_skip_rate_other"].tolist()[0])


def test_context_add_returns_a_copy_and_keeps_the_input_untouched():
    frame = samples_frame(samples=[TrackSample(name="Song One", artists=("Artist A",))])
    before = frame.copy(deep=True)
    out = context_add(samples=frame, played=_played())
    pd.testing.assert_frame_equal(frame, before)
    assert set(CONTEXT_SIGNALS) <= set(out.columns)
    assert set(CONTEXT_FEATURES) <= set(CONTEXT_SIGNALS)


@settings(max_examples=40, deadline=None)
@given(own_streams=st.integers(0, 500), own_extra_plays=st.integers(0, 50))
def test_changing_a_tracks_own_streams_never_changes_its_context(own_streams, own_extra_plays):
    base = [
        PlayedName("Other", "Artist A", "Album X", plays=7, streams=5),
        PlayedName("Third", "Artist A", "Album X", plays=1, streams=0),
    ]
    own = PlayedName(
        "Mine", "Artist A", "Album X", plays=own_streams + own_extra_plays, streams=own_streams
    )
    sample = TrackSample(name="Mine", artists=("Artist A",), album="Album X")
    with_own = _context(sample, played=played_frame(rows=[*base, own]))
    without = _context(sample, played=played_frame(rows=base))
    for name in CONTEXT_SIGNALS:
        assert with_own[name].tolist() == without[name].tolist()


@settings(max_examples=25, deadline=None)
@given(own_streams=st.integers(1, 400))
def test_a_streamed_track_gets_the_context_of_an_unplayed_one_with_the_same_history(own_streams):
    """In one history, a streamed track of artist A and an unplayed track of artist B,
    whose other tracks were played alike, get identical context: any difference (say a
    share whose denominator leaves the track's own streams out) tells the model which
    one was streamed."""
    table = played_frame(
        rows=[
            PlayedName("Mine", "Artist A", "Album X", plays=own_streams, streams=own_streams),
            PlayedName("Other A", "Artist A", "Album X", plays=9, streams=4),
            PlayedName("Other B", "Artist B", "Album Y", plays=9, streams=4),
        ]
    )
    rows = _context(
        TrackSample(name="Mine", artists=("Artist A",), album="Album X"),
        TrackSample(name="Fresh", artists=("Artist B",), album="Album Y"),
        played=table,
    )
    for name in CONTEXT_SIGNALS:
        assert rows[name].iloc[0] == rows[name].iloc[1], name


# --- the saved library ---


def _library() -> pd.DataFrame:
    return saved_frame(
        rows=[
            SavedName("Song One (feat. Someone)", ("Artist A",)),
            SavedName("Duet", ("Artist B", "Artist C")),
            SavedName("Never Played", ("Artist A",)),
            SavedName("Elsewhere", ("Artist D",)),
        ]
    )


def test_is_saved_matches_the_song_by_name_and_any_credited_artist():
    rows = _context(
        TrackSample(name="song one - 2011 remaster", artists=("Artist A",)),  # streamed
        TrackSample(name="Never Played", artists=("Artist A",)),  # saved, no plays
        TrackSample(name="Duet", artists=("Artist C",)),
        TrackSample(name="Song Two", artists=("Artist A",)),  # streamed, not saved
        TrackSample(name="Song One", artists=("Someone Else",)),  # another artist's song
        saved=_library(),
    )
    assert rows["is_saved"].tolist() == [1.0, 1.0, 1.0, 0.0, 0.0]


def test_saved_tracks_of_the_artists_leave_the_track_itself_out():
    rows = _context(
        TrackSample(name="Song One", artists=("Artist A",)),
        TrackSample(name="Song Two", artists=("Artist A",)),
        TrackSample(name="New", artists=("Artist A", "Artist B")),
        TrackSample(name="New", artists=("Nobody",)),
        saved=_library(),
    )
    # Artist A saved "Song One" and "Never Played"; B one (the duet).
    assert rows["artist_saved_tracks_other"].tolist() == [1.0, 2.0, 3.0, 0.0]


def test_an_unknown_library_leaves_its_signals_missing_and_an_empty_one_gives_zeros():
    sample = TrackSample(name="Song One", artists=("Artist A",))
    frame = samples_frame(samples=[sample])
    unknown = context_add(samples=frame, played=_played())
    empty = context_add(samples=frame, played=_played(), saved=saved_frame(rows=[]))
    no_plays = context_add(samples=frame, played=played_frame(rows=[]), saved=_library())
    for name in LIBRARY_SIGNALS:
        assert math.isnan(unknown[name].iloc[0])
        assert empty[name].iloc[0] == 0.0
    assert no_plays["is_saved"].iloc[0] == 1.0  # the library counts without any plays
    assert unknown["artist_streams_other"].iloc[0] == empty["artist_streams_other"].iloc[0]


def test_a_prebuilt_index_gives_the_same_library_signals():
    frame = samples_frame(samples=[TrackSample(name="Duet", artists=("Artist B",))])
    index = context_index_build(played=_played(), saved=_library())
    built = context_add(samples=frame, index=index)
    direct = context_add(samples=frame, played=_played(), saved=_library())
    pd.testing.assert_frame_equal(built, direct)
    assert built["is_saved"].iloc[0] == 1.0


@settings(max_examples=25, deadline=None)
@given(own_streams=st.integers(0, 300), saved=st.booleans())
def test_library_signals_never_look_at_plays(own_streams, saved):
    """A saved song gets is_saved = 1 whether it was streamed 0 or 300 times: the
    library is its own input, not a function of the target."""
    library = saved_frame(rows=[SavedName("Mine", ("Artist A",))] if saved else [])
    played = played_frame(
        rows=[PlayedName("Mine", "Artist A", plays=own_streams, streams=own_streams)]
    )
    rows = _context(TrackSample(name="Mine", artists=("Artist A",)), played=played, saved=library)
    assert rows["is_saved"].tolist() == [float(saved)]
    assert rows["artist_saved_tracks_other"].tolist() == [0.0]
