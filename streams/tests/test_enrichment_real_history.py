"""The real account-data export against the two real catalogs, offline (no Spotify).

Which plays "the catalogs contain" is worked out here independently of the resolver:
a play whose exact title and artist (case-folded, the catalog's mis-encoded text
repaired) appear in a catalog CSV. Every one of them must be resolved, and every
count the import and the enrichment report must equal what the database holds.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command

from streams.models import HistoryImport, Play, ResolutionStatus

pytestmark = pytest.mark.django_db


def _repaired(text: str) -> str:
    """UTF-8 that was decoded as cp1252 / Latin-1, decoded back ("BeyoncÃ©" -> "Beyoncé")."""
    for encoding in ("cp1252", "latin-1"):
        try:
            return text.encode(encoding).decode("utf-8")
        except UnicodeError:
            continue
    return text


def _catalog_pairs(path: Path, title: str, artist: str) -> Iterator[tuple[str, str]]:
    text = path.read_bytes().decode("utf-8")
    for bom in ("\u00ef\u00bb\u00bf", "\ufeff"):
        text = text.removeprefix(bom)
    for row in csv.DictReader(io.StringIO(text)):
        if row[title].strip():
            first_artist = row[artist].split(",")[0]
            yield (_repaired(row[title]).casefold(), _repaired(first_artist).casefold())


def _json(command: str, *args: str) -> dict:
    out = StringIO()
    call_command(command, *args, "--json", stdout=out)
    return json.loads(out.getvalue())


def test_every_play_the_catalogs_contain_is_resolved_and_the_counts_are_exact(
    settings, shared_data, user
):
    settings.SPOTIFY_CLIENT_ID = ""
    settings.MUSICFLOW_FEATURE_SOURCES = ["catalog"]
    catalog = shared_data / "catalog"
    history = shared_data / "history" / "account-data"
    in_catalog = set(
        _catalog_pairs(catalog / "playlist_2010to2022.csv", "track_name", "artist_name")
    ) | set(
        _catalog_pairs(catalog / "high_popularity_spotify_data.csv", "track_name", "track_artist")
    )
    _json("import_catalog", *(str(p) for p in sorted(catalog.glob("*.csv"))))

    imported = _json("import_history", "--user", user.username, str(history))
    enriched = _json("enrich", "--user", user.username)

    plays = Play.objects.filter(user=user)
    resolved = plays.filter(resolution_status=ResolutionStatus.RESOLVED)
    unresolved = plays.filter(resolution_status=ResolutionStatus.UNRESOLVED)
    expected = [
        p.pk
        for p in plays.only("track_name", "artist_name")
        if (p.track_name.casefold(), p.artist_name.casefold()) in in_catalog
    ]
    assert len(expected) == 767, "independently counted: plays whose song is in a catalog"
    assert resolved.filter(pk__in=expected).count() == len(expected)
    assert imported["plays_created"] == plays.count() == 15_785
    assert imported["resolved"] + imported["unresolved"] == imported["plays_created"]
    assert (enriched["plays_resolved"], enriched["plays_unresolved"]) == (
        resolved.count(),
        unresolved.count(),
    )
    assert resolved.count() + unresolved.count() == plays.count()
    report = HistoryImport.objects.get(pk=imported["import_id"])
    assert (report.resolved, report.unresolved) == (resolved.count(), unresolved.count())
    assert set(unresolved.values_list("unresolved_reason", flat=True)) == {"no_offline_match"}
    assert any("Spotify search skipped" in note for note in enriched["notes"])
