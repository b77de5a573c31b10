"""Read one catalog CSV into records: decoding, column mapping, per-cell parsing.

Nothing here writes to the database; `streams.services.catalog_import` does.
"""

from __future__ import annotations

import csv
import io
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from django.utils import timezone

from streams.catalog.columns import ColumnMap, column_map_build
from streams.catalog.text import decode_csv_bytes, repair_mojibake
from streams.catalog.values import (
    BLANK,
    InvalidValue,
    is_blank,
    parse_bool,
    parse_float,
    parse_int,
    parse_isrc,
    parse_name_list,
    parse_release_date,
    parse_spotify_id,
)
from streams.errors import ImportRejected
from streams.models import AUDIO_FEATURE_FIELDS

MAX_TEXT = 512
# Larger than any real cell (artist genre lists are the longest), small enough that a
# file without line breaks cannot exhaust memory through one field.
_FIELD_SIZE_LIMIT = 1024 * 1024
SKIP_NO_NAME = "no_name"
SKIP_MALFORMED = "malformed_row"
SKIP_NO_ID_OR_ARTIST = "no_spotify_id_or_artist"

_UNIT = {"low": 0.0, "high": 1.0}
# Range checks mirror the database's CHECK constraints on Track.
_NUMERIC_PARSERS: dict[str, Callable[[str | None], Any]] = {
    "danceability": lambda c: parse_float(c, **_UNIT),
    "energy": lambda c: parse_float(c, **_UNIT),
    "speechiness": lambda c: parse_float(c, **_UNIT),
    "acousticness": lambda c: parse_float(c, **_UNIT),
    "instrumentalness": lambda c: parse_float(c, **_UNIT),
    "liveness": lambda c: parse_float(c, **_UNIT),
    "valence": lambda c: parse_float(c, **_UNIT),
    "key": lambda c: parse_int(c, low=-1, high=11),
    "mode": lambda c: parse_int(c, low=0, high=1),
    "time_signature": lambda c: parse_int(c, low=0, high=7),
    "loudness": lambda c: parse_float(c, low=-100.0, high=20.0),
    "tempo": lambda c: parse_float(c, low=0.0, high=1000.0),
    "popularity": lambda c: parse_int(c, low=0, high=100),
    "duration_ms": lambda c: parse_int(c, low=1, high=2**31 - 1),
    "explicit": parse_bool,
    "isrc": parse_isrc,
}


@dataclass
class CatalogRecord:
    """One usable row: the track fields it gives, and the row as the file had it."""

    line: int
    spotify_id: str | None
    name: str
    artists: list[dict[str, str | None]]
    values: dict[str, Any]
    raw: dict[str, str]
    invalid: list[str] = field(default_factory=list)

    @property
    def primary_artist(self) -> str:
        return str(self.artists[0]["name"]) if self.artists else ""

    @property
    def has_features(self) -> bool:
        return any(self.values.get(f) is not None for f in AUDIO_FEATURE_FIELDS)


@dataclass
class CatalogFile:
    name: str
    encoding: str
    bom: str
    columns: dict[str, str]
    rows_read: int = 0
    records: list[CatalogRecord] = field(default_factory=list)
    skipped: Counter[str] = field(default_factory=Counter)
    invalid_values: Counter[str] = field(default_factory=Counter)
    text_repaired: int = 0

    @property
    def artists_are_lists(self) -> bool:
        """True when the artist column lists several artists ("A, B")."""
        return "artists" in self.columns


class _RowReader:
    """Turns the cells of one row into a record, counting what it had to fix."""

    def __init__(self, *, columns: ColumnMap, header: Sequence[str], today: date) -> None:
        self.columns = columns
        self.header = list(header)
        self.today = today
        self.repaired = 0

    def cell(self, row: Sequence[str], field_name: str) -> str | None:
        index = self.columns.indexes.get(field_name)
        return row[index] if index is not None and index < len(row) else None

    def text(self, row: Sequence[str], field_name: str) -> str:
        cell = self.cell(row, field_name)
        if is_blank(cell):
            return ""
        fixed = repair_mojibake(cell.strip())
        self.repaired += fixed != cell.strip()
        return fixed

    def record(self, row: Sequence[str], *, line: int) -> CatalogRecord:
        invalid: list[str] = []
        spotify_id = self._parsed(row, "spotify_id", parse_spotify_id, invalid)
        values: dict[str, Any] = {
            name: self._parsed(row, name, parser, invalid)
            for name, parser in _NUMERIC_PARSERS.items()
        }
        values.update(self._release(row, invalid))
        values["album_name"] = self.text(row, "album_name")[:MAX_TEXT]
        values["genres"] = [repair_mojibake(g) for g in parse_name_list(self.cell(row, "genres"))]
        return CatalogRecord(
            line=line,
            spotify_id=spotify_id,
            name=self.text(row, "name")[:MAX_TEXT],
            artists=self._artists(row),
            values=values,
            raw=dict(zip(self.header, row, strict=False)),
            invalid=invalid,
        )

    def _parsed(self, row, field_name: str, parser, invalid: list[str]) -> Any:
        try:
            value = parser(self.cell(row, field_name))
        except InvalidValue:
            invalid.append(field_name)
            return None
        return None if value is BLANK else value

    def _release(self, row: Sequence[str], invalid: list[str]) -> dict[str, str]:
        column = "release_date" if self.columns.has("release_date") else "year"
        try:
            parsed = parse_release_date(self.cell(row, column), today=self.today)
        except InvalidValue:
            invalid.append(column)
            parsed = BLANK
        if parsed is BLANK:
            return {"release_date": "", "release_date_precision": ""}
        value, precision = parsed
        return {"release_date": value, "release_date_precision": str(precision)}

    def _artists(self, row: Sequence[str]) -> list[dict[str, str | None]]:
        if self.columns.has("artists"):
            names = parse_name_list(self.cell(row, "artists"))
        else:
            single = self.cell(row, "artist")
            names = [] if is_blank(single) else [single.strip()]
        fixed = [repair_mojibake(n)[:MAX_TEXT] for n in names]
        self.repaired += sum(a != b for a, b in zip(fixed, names, strict=True))
        ids = parse_name_list(self.cell(row, "artist_ids"))
        if len(ids) != len(fixed):
            ids = [None] * len(fixed)
        return [{"name": n, "id": i} for n, i in zip(fixed, ids, strict=True)]


def _delimiter(header_line: str) -> str:
    return max((",", ";", "\t"), key=header_line.count)


def _rows(text: str) -> tuple[list[str], csv.reader]:
    first_line = text.split("\n", 1)[0]
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=_delimiter(first_line))
    try:
        header = next(reader)
    except StopIteration:
        header = []
    return header, reader


def catalog_file_read(*, path: Path | str, display_name: str | None = None) -> CatalogFile:
    """Parse one CSV; raises ImportRejected (naming the file) if it cannot be a catalog."""
    path = Path(path)
    name = display_name or path.name
    try:
        decoded = decode_csv_bytes(path.read_bytes())
    except OSError as exc:
        raise ImportRejected(f"{name}: cannot read the file ({exc.strerror or exc})") from exc
    csv.field_size_limit(_FIELD_SIZE_LIMIT)
    header, reader = _rows(decoded.text)
    columns = column_map_build(header=header)
    if not columns.has("name"):
        raise ImportRejected(
            f"{name}: no track name column (expected one of track_name, name, track, song, title)"
        )
    result = CatalogFile(
        name=name,
        encoding=decoded.encoding,
        bom=decoded.bom,
        columns=columns.source_columns(header),
    )
    rows = _RowReader(columns=columns, header=header, today=timezone.now().date())
    try:
        for line, row in enumerate(reader, start=2):
            _read_row(result, rows, row, line=line, width=len(header))
    except csv.Error as exc:
        raise ImportRejected(
            f"{name}: not a readable CSV file near line {reader.line_num}: {exc}"
        ) from exc
    result.text_repaired = rows.repaired
    return result


def _read_row(
    result: CatalogFile, rows: _RowReader, row: list[str], *, line: int, width: int
) -> None:
    if not any(cell.strip() for cell in row):
        return  # blank lines are not rows
    result.rows_read += 1
    if len(row) > width:
        result.skipped[SKIP_MALFORMED] += 1
        return
    record = rows.record(row, line=line)
    if not record.name:
        result.skipped[SKIP_NO_NAME] += 1
        return
    if record.spotify_id is None and not record.artists:
        result.skipped[SKIP_NO_ID_OR_ARTIST] += 1
        return
    result.invalid_values.update(record.invalid)
    result.records.append(record)
