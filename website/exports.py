"""A user's plays as CSV or JSON, streamed row by row (histories reach 100k+ plays)."""

from __future__ import annotations

import csv
import json
from collections.abc import Iterable, Iterator
from datetime import datetime
from typing import Any

from django.contrib.auth.base_user import AbstractBaseUser

from streams.selectors import plays_for_user

EXPORT_FIELDS: tuple[str, ...] = (
    "played_at",
    "ms_played",
    "track_name",
    "artist_name",
    "album_name",
    "spotify_track_uri",
    "platform",
    "reason_start",
    "reason_end",
    "shuffle",
    "skipped",
    "offline",
    "incognito_mode",
    "source_format",
    "resolution_status",
    "track__spotify_id",
)
CHUNK = 2000


def _clean(row: dict[str, Any]) -> dict[str, Any]:
    out = {("track_spotify_id" if k == "track__spotify_id" else k): v for k, v in row.items()}
    played_at = out["played_at"]
    out["played_at"] = played_at.isoformat() if isinstance(played_at, datetime) else played_at
    return out


def plays_export_rows(*, user: AbstractBaseUser) -> Iterator[dict[str, Any]]:
    rows = plays_for_user(user=user).values(*EXPORT_FIELDS).iterator(chunk_size=CHUNK)
    return (_clean(row) for row in rows)


class _Line:
    """csv.writer target that hands back each line instead of buffering it."""

    def write(self, value: str) -> str:
        return value


def csv_lines(rows: Iterable[dict[str, Any]]) -> Iterator[str]:
    header = [("track_spotify_id" if f == "track__spotify_id" else f) for f in EXPORT_FIELDS]
    writer = csv.DictWriter(_Line(), fieldnames=header)
    yield writer.writeheader()
    for row in rows:
        yield writer.writerow(row)


def json_chunks(rows: Iterable[dict[str, Any]]) -> Iterator[str]:
    yield "["
    for index, row in enumerate(rows):
        yield ("," if index else "") + "\n" + json.dumps(row, ensure_ascii=False)
    yield "\n]\n"
