"""Catalog import: the two real datasets, and every kind of awkward CSV on its own."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from streams.errors import ImportRejected
from streams.models import Track, TrackNameKey
from streams.resolution.normalize import name_key
from streams.services.catalog_import import catalog_import

pytestmark = pytest.mark.django_db

PLAYLIST = "playlist_2010to2022.csv"
HIGH_POP = "high_popularity_spotify_data.csv"


def _plain_rows(path: Path) -> list[dict[str, str]]:
    """The file read naively (no mapping, no repair): an independent count."""
    return list(csv.DictReader(io.StringIO(path.read_text(encoding="utf-8"))))


@pytest.fixture
def catalog_dir(shared_data: Path) -> Path:
    return shared_data / "catalog"


# --- the real datasets ----------------------------------------------------------------


def test_playlist_dataset_imports_every_unique_track(catalog_dir: Path) -> None:
    rows = _plain_rows(catalog_dir / PLAYLIST)
    unique_ids = {r["track_id"] for r in rows}
    assert (len(rows), len(unique_ids)) == (2300, 2202)

    report = catalog_import(paths=[catalog_dir / PLAYLIST])

    f = report.files[0]
    assert (f.rows_read, f.tracks_created, f.duplicate_rows) == (2300, 2202, 98)
    assert (f.tracks_updated, f.skipped, f.invalid_values) == (0, {}, {})
    assert f.tracks_without_features == 1
    assert set(Track.objects.values_list("spotify_id", flat=True)) == unique_ids


def test_playlist_dataset_values_are_parsed(catalog_dir: Path) -> None:
    catalog_import(paths=[catalog_dir / PLAYLIST])

    yellow = Track.objects.get(spotify_id="3AJwUDP919kvQ9QcozQPxg")
    assert (yellow.name, yellow.primary_artist, yellow.album_name) == (
        "Yellow",
        "Coldplay",
        "Parachutes",
    )
    assert yellow.artists == [{"name": "Coldplay", "id": "4gzpq5DPGxSnKTe4SA8HAU"}]
    assert (yellow.release_date, yellow.release_date_precision) == ("2000", "year")
    assert (yellow.popularity, yellow.duration_ms, yellow.key, yellow.mode) == (91, 266773, 11, 1)
    assert (yellow.danceability, yellow.energy, yellow.loudness) == (0.429, 0.661, -7.227)
    assert (yellow.speechiness, yellow.acousticness, yellow.instrumentalness) == (
        0.0281,
        0.00239,
        0.000121,
    )
    assert (yellow.liveness, yellow.valence, yellow.tempo, yellow.time_signature) == (
        0.234,
        0.285,
        173.372,
        4,
    )
    assert yellow.genres == ["permanent wave", "pop"]
    assert (yellow.metadata_source, yellow.features_source) == ("catalog", "catalog")
    assert yellow.field_sources["danceability"] == "catalog"
    assert yellow.raw_sources["catalog"]["data"]["track_popularity"] == "91"
    assert yellow.raw_sources["catalog"]["file"] == PLAYLIST
    assert TrackNameKey.objects.get(key="yellow|coldplay").track_id == yellow.id


def test_the_blank_feature_row_is_a_track_without_features(catalog_dir: Path) -> None:
    catalog_import(paths=[catalog_dir / PLAYLIST])

    track = Track.objects.get(spotify_id="6MFQeWtk7kxWGydnJB2y36")
    assert (track.name, track.primary_artist, track.popularity) == (
        "These Words",
        "Natasha Bedingfield",
        68,
    )
    assert not track.has_features and track.tempo is None and track.duration_ms is None
    assert (track.metadata_source, track.features_source) == ("catalog", "")


def test_mis_encoded_names_are_repaired(catalog_dir: Path) -> None:
    catalog_import(paths=[catalog_dir / PLAYLIST, catalog_dir / HIGH_POP])

    assert Track.objects.filter(primary_artist="Beyoncé").exists()
    assert Track.objects.filter(primary_artist="Céline Dion").exists()
    assert Track.objects.filter(name="The Ketchup Song (Aserejé) - Spanglish Version").exists()
    assert Track.objects.filter(name="Gangnam Style (강남스타일)").exists()
    assert Track.objects.filter(primary_artist="ROSÉ").exists()
    assert Track.objects.filter(name="That’s So True").exists()  # noqa: RUF001
    assert not Track.objects.filter(primary_artist__contains="Ã©").exists()


def test_high_popularity_dataset_with_double_encoded_bom(catalog_dir: Path) -> None:
    raw = (catalog_dir / HIGH_POP).read_bytes()
    assert raw.startswith(b"\xc3\xaf\xc2\xbb\xc2\xbf")
    rows = _plain_rows(catalog_dir / HIGH_POP)
    assert "\u00ef\u00bb\u00bfenergy" in rows[0]  # what a naive reader sees
    unique_ids = {r["track_id"] for r in rows}
    assert (len(rows), len(unique_ids)) == (1686, 1437)

    report = catalog_import(paths=[catalog_dir / HIGH_POP])

    f = report.files[0]
    assert f.bom == "double-encoded utf-8"
    assert f.columns["energy"] == "energy"
    assert (f.rows_read, f.tracks_created, f.duplicate_rows, f.tracks_without_features) == (
        1686,
        1437,
        249,
        0,
    )
    smile = Track.objects.get(spotify_id="2plbrEY59IikOBgBGLjaoe")
    assert smile.artists == [{"name": "Lady Gaga", "id": None}, {"name": "Bruno Mars", "id": None}]
    assert (smile.release_date, smile.release_date_precision) == ("2024-08-16", "day")
    assert (smile.energy, smile.tempo, smile.time_signature, smile.key) == (0.592, 157.969, 3, 6)
    assert (smile.popularity, smile.album_name) == (100, "Die With A Smile")


def test_both_datasets_upsert_the_tracks_they_share(catalog_dir: Path) -> None:
    first = {r["track_id"] for r in _plain_rows(catalog_dir / PLAYLIST)}
    second = {r["track_id"] for r in _plain_rows(catalog_dir / HIGH_POP)}
    shared = first & second
    assert len(shared) == 283

    report = catalog_import(paths=[catalog_dir / PLAYLIST, catalog_dir / HIGH_POP])

    playlist, high_pop = report.files
    assert (playlist.tracks_created, playlist.tracks_updated) == (2202, 0)
    assert (high_pop.tracks_created, high_pop.tracks_updated) == (1437 - 283, 283)
    assert Track.objects.count() == len(first | second) == 3356
    # A year from the playlist file gives way to the day from the other file.
    yellow = Track.objects.get(spotify_id="3AJwUDP919kvQ9QcozQPxg")
    assert (yellow.release_date, yellow.release_date_precision) == ("2000-07-10", "day")
    # Artist ids from the first file are not replaced by a list without ids.
    assert yellow.artists == [{"name": "Coldplay", "id": "4gzpq5DPGxSnKTe4SA8HAU"}]
    # "Tyler, The Creator, GloRilla" splits around the name the first file spells whole.
    assert not Track.objects.filter(primary_artist="Tyler").exists()
    wusyaname = Track.objects.get(spotify_id="5B0kgjHULYJhAQkK5XsMoC")
    assert [a["name"] for a in wusyaname.artists] == [
        "Tyler, The Creator",
        "YoungBoy Never Broke Again",
        "Ty Dolla $ign",
    ]


def test_reimporting_a_dataset_changes_nothing(catalog_dir: Path) -> None:
    catalog_import(paths=[catalog_dir / PLAYLIST])
    before = dict(Track.objects.values_list("spotify_id", "updated_at"))

    again = catalog_import(paths=[catalog_dir / PLAYLIST]).files[0]

    assert (again.tracks_created, again.tracks_updated, again.tracks_unchanged) == (0, 0, 2202)
    assert dict(Track.objects.values_list("spotify_id", "updated_at")) == before


# --- small files for each awkward case ---------------------------------------------------

HEADER = (
    "id,name,artists,popularity,release_date,danceability,energy,key,mode,tempo,time_signature"
)


def write(tmp_path: Path, name: str, text: str, encoding: str = "utf-8", bom: bytes = b"") -> Path:
    path = tmp_path / name
    path.write_bytes(bom + text.encode(encoding))
    return path


def test_other_column_spellings_are_mapped(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "kaggle.csv",
        HEADER + "\n"
        "0000000000000000000001,Song One,\"['Artist A', 'Artist B']\",55,2019-05,0.5,0.6,-1,0,120.5,4\n",
    )

    report = catalog_import(paths=[path])

    assert report.files[0].columns["spotify_id"] == "id"
    track = Track.objects.get()
    assert [a["name"] for a in track.artists] == ["Artist A", "Artist B"]
    assert (track.primary_artist, track.popularity, track.key, track.mode) == (
        "Artist A",
        55,
        -1,
        0,
    )
    assert (track.release_date, track.release_date_precision) == ("2019-05", "month")


def test_year_column_gives_a_year_precision_date(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "y.csv",
        "track_id,track_name,artist_name,year\n0000000000000000000001,S,A,1999\n",
    )

    catalog_import(paths=[path])

    assert Track.objects.values_list("release_date", "release_date_precision").get() == (
        "1999",
        "year",
    )


@pytest.mark.parametrize(
    ("bom", "encoding"),
    [
        (b"", "utf-8"),
        (b"\xef\xbb\xbf", "utf-8"),
        (b"\xc3\xaf\xc2\xbb\xc2\xbf", "utf-8"),
        (b"", "latin-1"),
    ],
)
def test_boms_and_latin1_are_read(tmp_path: Path, bom: bytes, encoding: str) -> None:
    path = write(
        tmp_path,
        "enc.csv",
        "track_id,track_name,artist_name\n0000000000000000000001,Déjà Vu,Beyoncé\n",
        encoding=encoding,
        bom=bom,
    )

    report = catalog_import(paths=[path])

    assert report.files[0].encoding == encoding
    assert report.files[0].columns["spotify_id"] == "track_id"
    assert Track.objects.values_list("name", "primary_artist").get() == ("Déjà Vu", "Beyoncé")


def test_rows_without_a_name_are_skipped_and_counted(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "names.csv",
        "track_id,track_name,artist_name\n"
        "0000000000000000000001,,A\n"
        "0000000000000000000002,   ,A\n"
        "0000000000000000000003,Named,A\n",
    )

    report = catalog_import(paths=[path])

    assert report.files[0].skipped == {"no_name": 2}
    assert report.files[0].rows_read == 3
    assert list(Track.objects.values_list("name", flat=True)) == ["Named"]


def test_out_of_range_values_become_empty_and_are_counted(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "bad.csv",
        HEADER + "\n0000000000000000000001,Odd,A,101,2019-13-40,1.5,nan,12,2,-3,9\n",
    )

    report = catalog_import(paths=[path])

    assert report.files[0].invalid_values == {
        "popularity": 1,
        "release_date": 1,
        "danceability": 1,
        "key": 1,
        "mode": 1,
        "tempo": 1,
        "time_signature": 1,
    }
    track = Track.objects.get()
    assert (track.popularity, track.danceability, track.energy, track.key, track.mode) == (
        None,
        None,
        None,
        None,
        None,
    )
    assert (track.tempo, track.time_signature, track.release_date) == (None, None, "")


def test_duplicate_ids_in_a_file_merge_into_one_track(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "dups.csv",
        "track_id,track_name,artist_name,year,track_popularity\n"
        "0000000000000000000001,Song,A,2011,40\n"
        "0000000000000000000001,Song,A,2010,45\n",
    )

    report = catalog_import(paths=[path])

    assert (report.files[0].tracks_created, report.files[0].duplicate_rows) == (1, 1)
    track = Track.objects.get()
    assert (track.release_date, track.popularity) == ("2010", 45)


def test_a_file_without_a_name_column_is_rejected_and_nothing_is_stored(tmp_path: Path) -> None:
    good = write(
        tmp_path, "good.csv", "track_id,track_name,artist_name\n0000000000000000000001,S,A\n"
    )
    bad = write(tmp_path, "bad.csv", "foo,bar\n1,2\n")

    with pytest.raises(ImportRejected, match=r"bad\.csv: no track name column"):
        catalog_import(paths=[good, bad])

    assert not Track.objects.exists()


def test_network_sources_are_not_overwritten_but_history_stubs_are(tmp_path: Path) -> None:
    fresh = Track.objects.create(
        spotify_id="0000000000000000000001",
        name="From Spotify",
        popularity=77,
        metadata_source="spotify",
        field_sources={"name": "spotify", "popularity": "spotify"},
    )
    stub = Track.objects.create(
        spotify_id="0000000000000000000002",
        name="stub name",
        metadata_source="history",
        field_sources={"name": "history"},
    )
    path = write(
        tmp_path,
        "c.csv",
        "track_id,track_name,artist_name,track_popularity,energy\n"
        "0000000000000000000001,Catalog Name,A,10,0.5\n"
        "0000000000000000000002,Catalog Name 2,B,20,0.7\n",
    )

    report = catalog_import(paths=[path])

    assert report.files[0].tracks_updated == 2
    fresh.refresh_from_db()
    stub.refresh_from_db()
    assert (fresh.name, fresh.popularity, fresh.metadata_source) == ("From Spotify", 77, "spotify")
    assert (fresh.energy, fresh.features_source) == (0.5, "catalog")
    assert (stub.name, stub.popularity, stub.metadata_source) == ("Catalog Name 2", 20, "catalog")
    assert TrackNameKey.objects.filter(key=name_key("Catalog Name 2", "B"), track=stub).exists()


def test_rows_without_an_id_upsert_by_name(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "noid.csv",
        "name,artists,energy\nSong (feat. X),A,0.5\nSong,A,0.6\nOther,A,0.1\n",
    )

    report = catalog_import(paths=[path])

    assert (report.files[0].tracks_created, report.files[0].duplicate_rows) == (2, 1)
    song = Track.objects.get(name="Song")  # the later row of the same key wins
    assert (song.spotify_id, song.energy) == (None, 0.6)


# --- the command ------------------------------------------------------------------------


def test_command_prints_one_json_object(tmp_path: Path) -> None:
    path = write(
        tmp_path, "c.csv", "track_id,track_name,artist_name\n0000000000000000000001,S,A\n,,\n"
    )
    out = io.StringIO()

    call_command("import_catalog", "--json", str(path), stdout=out)

    summary = json.loads(out.getvalue())
    assert summary["rows_read"] == 1 and summary["tracks_created"] == 1
    assert summary["skipped"] == {} and summary["files"][0]["name"] == "c.csv"


def test_command_prints_readable_lines(tmp_path: Path) -> None:
    path = write(
        tmp_path, "c.csv", "track_id,track_name,artist_name\n0000000000000000000001,S,A\n"
    )
    out = io.StringIO()

    call_command("import_catalog", str(path), stdout=out)

    assert "tracks created: 1, updated: 0, unchanged: 0" in out.getvalue()


def test_command_fails_with_the_reason(tmp_path: Path) -> None:
    path = write(tmp_path, "c.csv", "a,b\n1,2\n")

    with pytest.raises(CommandError, match=r"c\.csv: no track name column"):
        call_command("import_catalog", str(path))
