"""Parsing and range-checking single catalog cells.

Every parser returns `BLANK` for an empty cell and raises `InvalidValue` for a cell
that has a value the database would refuse (its CHECK constraints) or that makes no
sense; the reader turns that into a null and a count, never a crash.
"""

from __future__ import annotations

import ast
import math
import re
from datetime import date
from typing import Final

from streams.models import ReleaseDatePrecision


class InvalidValue(ValueError):
    """A cell's value is out of range or unparseable."""


class _Blank:
    def __repr__(self) -> str:
        return "BLANK"


BLANK: Final = _Blank()

_SPOTIFY_ID = re.compile(
    r"(?:spotify:track:|open\.spotify\.com/track/|/v1/tracks/)?([0-9A-Za-z]{22})"
)
_ISRC = re.compile(r"^[A-Z]{2}[A-Z0-9]{3}\d{7}$")
_YEAR = re.compile(r"^(\d{4})(?:\.0)?$")
_YEAR_MONTH = re.compile(r"^(\d{4})-(\d{1,2})$")
_ISO_DAY = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})(?:[T ].*)?$")
_US_DAY = re.compile(r"^(\d{1,2})/(\d{1,2})/(\d{2}|\d{4})$")
_TRUE = frozenset({"true", "1", "yes", "t", "y"})
_FALSE = frozenset({"false", "0", "no", "f", "n"})
_FIRST_YEAR = 1000


def is_blank(cell: str | None) -> bool:
    return cell is None or not cell.strip() or cell.strip().lower() in {"nan", "null", "none"}


def parse_float(cell: str | None, *, low: float | None = None, high: float | None = None):
    if is_blank(cell):
        return BLANK
    try:
        value = float(cell.strip())
    except ValueError as exc:
        raise InvalidValue(cell) from exc
    if not math.isfinite(value):
        raise InvalidValue(cell)
    if (low is not None and value < low) or (high is not None and value > high):
        raise InvalidValue(cell)
    return value


def parse_int(cell: str | None, *, low: int, high: int):
    value = parse_float(cell, low=low, high=high)
    if value is BLANK:
        return BLANK
    if not float(value).is_integer():
        raise InvalidValue(cell)
    return int(value)


def parse_bool(cell: str | None):
    if is_blank(cell):
        return BLANK
    text = cell.strip().lower()
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    raise InvalidValue(cell)


def parse_spotify_id(cell: str | None):
    if is_blank(cell):
        return BLANK
    match = _SPOTIFY_ID.search(cell.strip())
    if not match:
        raise InvalidValue(cell)
    return match.group(1)


def parse_isrc(cell: str | None):
    if is_blank(cell):
        return BLANK
    text = cell.strip().upper().replace("-", "")
    if not _ISRC.match(text):
        raise InvalidValue(cell)
    return text


def _checked_date(year: int, month: int = 1, day: int = 1, *, today: date) -> date:
    try:
        value = date(year, month, day)
    except ValueError as exc:
        raise InvalidValue(f"{year}-{month}-{day}") from exc
    if value.year < _FIRST_YEAR or value.year > today.year + 1:
        raise InvalidValue(value.isoformat())
    return value


def _expand_two_digit_year(year: int, *, today: date) -> int:
    # Spreadsheet dates like "8/16/24": the latest year not after next year.
    pivot = (today.year + 1) % 100
    return 2000 + year if year <= pivot else 1900 + year


def parse_release_date(cell: str | None, *, today: date) -> tuple[str, str] | _Blank:
    """("2019", year) / ("2019-05", month) / ("2019-05-17", day), from several spellings.

    Accepts ISO dates (with or without a time), year-month, a bare year, and US
    spreadsheet dates M/D/YY or M/D/YYYY (high_popularity_spotify_data.csv).
    """
    if is_blank(cell):
        return BLANK
    text = cell.strip()
    if match := _YEAR.match(text):
        year = _checked_date(int(match.group(1)), today=today).year
        return f"{year:04d}", ReleaseDatePrecision.YEAR
    if match := _YEAR_MONTH.match(text):
        value = _checked_date(int(match.group(1)), int(match.group(2)), today=today)
        return value.strftime("%Y-%m"), ReleaseDatePrecision.MONTH
    if match := _ISO_DAY.match(text):
        year, month, day = (int(g) for g in match.groups())
        return _checked_date(year, month, day, today=today).isoformat(), ReleaseDatePrecision.DAY
    if match := _US_DAY.match(text):
        month, day, year = (int(g) for g in match.groups())
        if len(match.group(3)) == 2:
            year = _expand_two_digit_year(year, today=today)
        return _checked_date(year, month, day, today=today).isoformat(), ReleaseDatePrecision.DAY
    raise InvalidValue(cell)


def parse_name_list(cell: str | None) -> list[str]:
    """A list cell: "['A', 'B']" (Python literal), "A;B", or "A, B"."""
    if is_blank(cell):
        return []
    text = cell.strip()
    if text.startswith("[") and text.endswith("]"):
        try:
            parsed = ast.literal_eval(text)
        except (ValueError, SyntaxError):
            parsed = None
        if isinstance(parsed, list | tuple) and all(isinstance(x, str) for x in parsed):
            return [x.strip() for x in parsed if x.strip()]
        text = text[1:-1]
    separator = ";" if ";" in text else ","
    return [part.strip().strip("'\"") for part in text.split(separator) if part.strip()]
