"""track_lookup: a song asked for by name, answered from the name index when known."""

from __future__ import annotations

import pytest

from streams.models import Track
from streams.resolution.index import name_index_add
from streams.services.track_lookup import track_lookup_known

pytestmark = pytest.mark.django_db


def _known(name: str, artist: str) -> Track:
    track = Track.objects.create(
        name=name, primary_artist=artist, artists=[{"name": artist, "id": None}]
    )
    name_index_add(tracks=[track])
    return track


def test_a_song_asked_for_finds_the_recording_with_its_exact_spelling() -> None:
    # The solo track is indexed first, so it owns the shared normalised key.
    solo = _known("Calm Down", "Rema")
    remix = _known("Calm Down (with Selena Gomez)", "Rema")

    asked = {
        song: track_lookup_known(song=song, artist="Rema")
        for song in ("Calm Down (with Selena Gomez)", "calm down (With Selena Gomez)", "Calm Down")
    }

    assert {song: match.track.pk for song, match in asked.items() if match} == {
        "Calm Down (with Selena Gomez)": remix.pk,
        "calm down (With Selena Gomez)": remix.pk,
        "Calm Down": solo.pk,
    }
    assert {match.matched_by for match in asked.values() if match} == {"name_index"}


def test_a_spelling_only_the_normalised_key_knows_still_finds_the_track() -> None:
    solo = _known("Calm Down", "Rema")

    match = track_lookup_known(song="Calm Down - 2023 Remaster", artist="Rema")

    assert match is not None
    assert (match.track.pk, match.matched_by) == (solo.pk, "name_index")
