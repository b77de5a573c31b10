"""Sources -> read documents: JSON decoded, kind detected, rows parsed.

Everything here is CPU work with no database, so the import service runs it in a
background thread (`prefetch.prefetched`) while the main thread writes the previous
file's plays; SQLite releases the GIL while it inserts.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

from streams.errors import ImportRejected

from .formats import file_format_detect
from .parsing import RowOutcome, library_tracks_parse, rows_parse
from .records import (
    PLAY_FORMATS,
    FileFormat,
    JsonSource,
    LibraryTrack,
    PlayRecord,
    SkippedSource,
    SkipReason,
)


@dataclass(frozen=True, slots=True)
class ReadDocument:
    """One export file, read: its kind, how many rows it had, and what they became.

    Every row is either one of `plays` (in file order) or counted in `skipped`.
    """

    name: str
    file_format: FileFormat
    rows: int
    plays: list[PlayRecord] = field(default_factory=list)
    skipped: Counter[SkipReason] = field(default_factory=Counter)
    library: list[LibraryTrack] = field(default_factory=list)


def documents_read(
    *, sources: Iterable[JsonSource | SkippedSource]
) -> Iterator[ReadDocument | SkippedSource]:
    """Each source read in order; ImportRejected at the first bad file or row."""
    for source in sources:
        if isinstance(source, SkippedSource):
            yield source
        else:
            yield _document_read(source)


def _document_read(source: JsonSource) -> ReadDocument:
    document = json_load(source)
    file_format = file_format_detect(document)
    if file_format in PLAY_FORMATS:
        plays, skipped = _plays_and_skips(
            rows_parse(source_name=source.name, file_format=file_format, rows=document)
        )
        return ReadDocument(source.name, file_format, len(document), plays=plays, skipped=skipped)
    if file_format is FileFormat.LIBRARY:
        library = library_tracks_parse(source_name=source.name, document=document)
        return ReadDocument(source.name, file_format, len(document["tracks"]), library=library)
    rows = len(document) if isinstance(document, list) else 0
    return ReadDocument(source.name, file_format, rows)


def _plays_and_skips(outcomes: list[RowOutcome]) -> tuple[list[PlayRecord], Counter[SkipReason]]:
    plays = [outcome for outcome in outcomes if type(outcome) is PlayRecord]
    skipped: Counter[SkipReason] = Counter()
    if len(plays) < len(outcomes):
        skipped.update(outcome for outcome in outcomes if type(outcome) is not PlayRecord)
    return plays, skipped


def json_load(source: JsonSource) -> Any:
    if not source.data.strip():
        raise ImportRejected(f"{source.name}: the file is empty")
    try:
        return json.loads(source.data)
    except json.JSONDecodeError as exc:
        raise ImportRejected(
            f"{source.name}: not valid JSON (truncated or corrupt?): {exc.msg} "
            f"at line {exc.lineno}, column {exc.colno}"
        ) from None
    except (UnicodeDecodeError, RecursionError):
        raise ImportRejected(f"{source.name}: not a JSON text file") from None
