"""Catalog import: tracks with audio features from Kaggle-style CSV datasets.

Rows are upserted by Spotify id (rows without one by their name key). Within one
file, later rows of the same id are merged into the first (counted as
`duplicate_rows`); across files and imports an existing track is updated (or
counted unchanged when the row changes nothing). The catalog only writes fields
that no network source (Spotify, ReccoBeats) has supplied, because those are fresher.
A release date keeps its most precise value; between two of the same precision the
earlier one (a song appears in "Top Hits of <year>" playlists after its release).
All files are parsed before anything is written, and written in one transaction.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from django.db import transaction
from django.utils import timezone

from streams.catalog.reading import CatalogFile, CatalogRecord, catalog_file_read
from streams.models import AUDIO_FEATURE_FIELDS, Track, TrackNameKey
from streams.resolution.index import name_index_add
from streams.resolution.lookups import chunked
from streams.resolution.normalize import name_key

CATALOG_SOURCE = "catalog"
# Sources whose values the catalog may replace: nothing, a stub built from a play,
# or an earlier catalog row.
_REPLACEABLE_SOURCES = frozenset({"", "history", "catalog"})
_PRECISION_RANK = {"": 0, "year": 1, "month": 2, "day": 3}
_METADATA_VALUE_FIELDS = (
    "album_name",
    "duration_ms",
    "explicit",
    "popularity",
    "isrc",
    "genres",
)
_WRITTEN_FIELDS = (
    "name",
    "artists",
    "primary_artist",
    "release_date",
    "release_date_precision",
    *_METADATA_VALUE_FIELDS,
    *AUDIO_FEATURE_FIELDS,
    "metadata_source",
    "metadata_fetched_at",
    "features_source",
    "features_fetched_at",
    "field_sources",
    "raw_sources",
)


@dataclass
class CatalogFileReport:
    name: str
    encoding: str
    bom: str
    columns: dict[str, str]
    rows_read: int = 0
    tracks_created: int = 0
    tracks_updated: int = 0
    tracks_unchanged: int = 0
    duplicate_rows: int = 0
    skipped: dict[str, int] = field(default_factory=dict)
    invalid_values: dict[str, int] = field(default_factory=dict)
    tracks_without_features: int = 0
    text_repaired: int = 0


@dataclass
class CatalogImportReport:
    files: list[CatalogFileReport] = field(default_factory=list)

    def total(self, name: str) -> int:
        return sum(getattr(f, name) for f in self.files)

    def summed(self, name: str) -> dict[str, int]:
        out: dict[str, int] = {}
        for report in self.files:
            for key, count in getattr(report, name).items():
                out[key] = out.get(key, 0) + count
        return dict(sorted(out.items()))

    def as_dict(self) -> dict[str, Any]:
        counts = (
            "rows_read",
            "tracks_created",
            "tracks_updated",
            "tracks_unchanged",
            "duplicate_rows",
            "tracks_without_features",
            "text_repaired",
        )
        return {
            **{name: self.total(name) for name in counts},
            "skipped": self.summed("skipped"),
            "invalid_values": self.summed("invalid_values"),
            "files": [asdict(f) for f in self.files],
        }


def catalog_import(*, paths: Sequence[Path | str]) -> CatalogImportReport:
    """Import catalog CSVs; raises ImportRejected (and writes nothing) if one is unusable."""
    parsed = [catalog_file_read(path=path) for path in paths]
    report = CatalogImportReport()
    with transaction.atomic():
        _rejoin_known_artists(parsed)
        for catalog_file in parsed:
            report.files.append(_import_file(catalog_file))
    return report


# --- artist lists -----------------------------------------------------------------


def _known_comma_artists(files: Sequence[CatalogFile]) -> set[str]:
    """Artist names that contain ", " ("Tyler, The Creator"), from one-artist columns."""
    known = {
        str(record.artists[0]["name"])
        for catalog_file in files
        if not catalog_file.artists_are_lists
        for record in catalog_file.records
        if record.artists and ", " in str(record.artists[0]["name"])
    }
    stored = Track.objects.filter(primary_artist__contains=", ").values_list(
        "primary_artist", flat=True
    )
    return known | set(stored)


def _rejoin_known_artists(files: Sequence[CatalogFile]) -> None:
    """Undo splitting "A, B" lists inside a known name: "Tyler", "The Creator" -> one."""
    known = _known_comma_artists(files)
    if not known:
        return
    for catalog_file in files:
        if catalog_file.artists_are_lists:
            for record in catalog_file.records:
                record.artists = _rejoined(record.artists, known)


def _rejoined(artists: list[dict[str, str | None]], known: set[str]) -> list:
    if len(artists) < 2 or any(a.get("id") for a in artists):
        return artists
    out: list[dict[str, str | None]] = []
    for artist in artists:
        if out and f"{out[-1]['name']}, {artist['name']}" in known:
            out[-1] = {"name": f"{out[-1]['name']}, {artist['name']}", "id": None}
        else:
            out.append(artist)
    return out


# --- one file -------------------------------------------------------------------


def _group_key(record: CatalogRecord) -> str:
    if record.spotify_id:
        return f"id:{record.spotify_id}"
    return f"name:{name_key(record.name, record.primary_artist)}"


def _existing_tracks(keys: Iterable[str]) -> dict[str, Track]:
    ids = [k[3:] for k in keys if k.startswith("id:")]
    names = [k[5:] for k in keys if k.startswith("name:")]
    found: dict[str, Track] = {}
    for chunk in chunked(ids):
        for track in Track.objects.filter(spotify_id__in=chunk):
            found[f"id:{track.spotify_id}"] = track
    by_key: dict[str, int] = {}
    for chunk in chunked(names):
        by_key.update(TrackNameKey.objects.filter(key__in=chunk).values_list("key", "track_id"))
    tracks = Track.objects.in_bulk(list(by_key.values()))
    found.update({f"name:{key}": tracks[tid] for key, tid in by_key.items() if tid in tracks})
    return found


def _import_file(catalog_file: CatalogFile) -> CatalogFileReport:
    report = CatalogFileReport(
        name=catalog_file.name,
        encoding=catalog_file.encoding,
        bom=catalog_file.bom,
        columns=catalog_file.columns,
        rows_read=catalog_file.rows_read,
        skipped=dict(catalog_file.skipped),
        invalid_values=dict(catalog_file.invalid_values),
        text_repaired=catalog_file.text_repaired,
    )
    groups: dict[str, list[CatalogRecord]] = {}
    for record in catalog_file.records:
        groups.setdefault(_group_key(record), []).append(record)
    existing = _existing_tracks(groups)
    now = timezone.now()
    created: list[Track] = []
    changed: list[Track] = []
    in_order: list[Track] = []
    for key, records in groups.items():
        report.duplicate_rows += len(records) - 1
        track = existing.get(key)
        is_new = track is None
        track = track or Track(spotify_id=records[0].spotify_id)
        before = None if is_new else _snapshot(track)
        for record in records:
            _apply(track, record, file_name=catalog_file.name)
        if is_new or _snapshot(track) != before:
            _stamp(track, now=now)
            (created if is_new else changed).append(track)
        else:
            report.tracks_unchanged += 1
        report.tracks_without_features += not track.has_features
        in_order.append(track)
    report.tracks_created = len(created)
    report.tracks_updated = len(changed)
    _write(created=created, changed=changed)
    name_index_add(tracks=in_order)
    return report


def _write(*, created: list[Track], changed: list[Track]) -> None:
    Track.objects.bulk_create(created, batch_size=500)
    if any(track.pk is None for track in created):  # pragma: no cover - old SQLite only
        raise RuntimeError("the database did not return ids for created tracks")
    Track.objects.bulk_update(changed, fields=[*_WRITTEN_FIELDS, "updated_at"], batch_size=500)


# --- merging one row into a track ---------------------------------------------------


def _snapshot(track: Track) -> tuple:
    raw = (track.raw_sources or {}).get(CATALOG_SOURCE, {})
    return (
        tuple(getattr(track, f) for f in _WRITTEN_FIELDS if f not in _STAMP_FIELDS),
        raw.get("data"),
    )


_STAMP_FIELDS = frozenset({"metadata_fetched_at", "features_fetched_at", "raw_sources"})


def _stamp(track: Track, *, now: datetime) -> None:
    track.updated_at = now
    if track.metadata_source == CATALOG_SOURCE:
        track.metadata_fetched_at = now
    if track.features_source == CATALOG_SOURCE:
        track.features_fetched_at = now
    raw = dict(track.raw_sources or {})
    if CATALOG_SOURCE in raw:
        raw[CATALOG_SOURCE] = {**raw[CATALOG_SOURCE], "fetched_at": now.isoformat()}
    track.raw_sources = raw


def _may_write(track: Track, field_name: str) -> bool:
    return (track.field_sources or {}).get(field_name, "") in _REPLACEABLE_SOURCES


def _set(track: Track, field_name: str, value: Any) -> bool:
    if value is None or value == "" or value == [] or not _may_write(track, field_name):
        return False
    setattr(track, field_name, value)
    track.field_sources = {**(track.field_sources or {}), field_name: CATALOG_SOURCE}
    return True


def _apply(track: Track, record: CatalogRecord, *, file_name: str) -> None:
    wrote_metadata = _set(track, "name", record.name)
    if _better_artists(track, record.artists) and _set(track, "artists", record.artists):
        track.primary_artist = record.primary_artist
        wrote_metadata = True
    wrote_metadata |= _apply_release(track, record)
    for name in _METADATA_VALUE_FIELDS:
        wrote_metadata |= _set(track, name, record.values.get(name))
    wrote_features = False
    for name in AUDIO_FEATURE_FIELDS:
        wrote_features |= _set(track, name, record.values.get(name))
    if wrote_metadata and track.metadata_source in _REPLACEABLE_SOURCES:
        track.metadata_source = CATALOG_SOURCE
    if wrote_features and track.features_source in _REPLACEABLE_SOURCES:
        track.features_source = CATALOG_SOURCE
    track.raw_sources = {
        **(track.raw_sources or {}),
        CATALOG_SOURCE: {"file": file_name, "line": record.line, "data": record.raw},
    }


def _better_artists(track: Track, artists: list[dict[str, str | None]]) -> bool:
    """A list with artist ids is never replaced by one without."""
    if not artists:
        return False

    def with_ids(items: list) -> int:
        return sum(1 for a in items if isinstance(a, dict) and a.get("id"))

    return with_ids(artists) >= with_ids(track.artists or [])


def _apply_release(track: Track, record: CatalogRecord) -> bool:
    value = record.values.get("release_date") or ""
    precision = record.values.get("release_date_precision") or ""
    if not value or not _may_write(track, "release_date"):
        return False
    current = (_PRECISION_RANK.get(track.release_date_precision, 0), track.release_date)
    if track.release_date and (
        _PRECISION_RANK[precision] < current[0]
        or (_PRECISION_RANK[precision] == current[0] and value >= track.release_date)
    ):
        return False
    _set(track, "release_date", value)
    track.release_date_precision = precision
    return True
