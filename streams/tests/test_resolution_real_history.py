"""The real account-data export, imported after both catalogs, resolves offline.

The expected plays are computed here with plain Python over the JSON and the CSVs
(exact title and first-artist equality, no normalisation), independently of the
resolver: every one of them must resolve, to a track with that title.
"""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest

from streams.models import Play, ResolutionStatus
from streams.services.catalog_import import catalog_import
from streams.services.history_import import history_import_from_paths

pytestmark = pytest.mark.django_db

MUSIC_FILES = ("StreamingHistory_music_0.json", "StreamingHistory_music_1.json")


def _catalog_pairs(catalog_dir: Path) -> set[tuple[str, str]]:
    pairs: set[tuple[str, str]] = set()
    for name, artist_column in (
        ("playlist_2010to2022.csv", "artist_name"),
        ("high_popularity_spotify_data.csv", "track_artist"),
    ):
        text = (catalog_dir / name).read_text(encoding="utf-8")
        text = text.removeprefix("\u00ef\u00bb\u00bf")
        for row in csv.DictReader(io.StringIO(text)):
            artists = row[artist_column]
            pairs.add((row["track_name"], artists))
            pairs.add((row["track_name"], artists.split(", ")[0]))
    return pairs


def test_account_data_plays_found_in_the_catalogs_all_resolve(shared_data: Path, user) -> None:
    account = shared_data / "history" / "account-data"
    rows = [row for f in MUSIC_FILES for row in json.loads((account / f).read_text("utf-8"))]
    rows = [row for row in rows if row["msPlayed"] > 0]  # zero-length rows are not plays
    pairs = _catalog_pairs(shared_data / "catalog")
    expected = {
        (r["trackName"], r["artistName"])
        for r in rows
        if (r["trackName"], r["artistName"]) in pairs
    }
    expected_plays = sum(1 for r in rows if (r["trackName"], r["artistName"]) in expected)
    assert (len(expected), expected_plays) == (331, 755)

    catalog_import(paths=sorted((shared_data / "catalog").glob("*.csv")))
    history_import = history_import_from_paths(
        owner=user, paths=[account / f for f in MUSIC_FILES]
    )

    assert history_import.status == "done", history_import.error
    plays = Play.objects.filter(user=user).select_related("track")
    found = [p for p in plays if (p.track_name, p.artist_name) in expected]
    # The importer drops zero-length rows and duplicates, so compare the names.
    assert {(p.track_name, p.artist_name) for p in found} == expected
    assert expected_plays - 10 < len(found) <= expected_plays
    unresolved = [p for p in found if p.resolution_status != ResolutionStatus.RESOLVED]
    assert unresolved == []
    # The catalog holds these exact names, so each play finds a track of that name.
    assert [(p.track_name, p.track.name) for p in found if p.track.name != p.track_name] == []
    # Normalisation finds more than exact equality (accents repaired in the catalog,
    # "(feat. X)" and remaster suffixes), and never fewer.
    resolved = plays.filter(resolution_status=ResolutionStatus.RESOLVED).count()
    assert resolved > expected_plays
    assert history_import.resolved == resolved
