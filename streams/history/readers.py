"""Paths, folders, zips and stored uploads -> the JSON documents to import.

Safety rules (see the README's import section):

* only `.json` members of a zip are read; every other member is counted, not opened;
* a member's name is a label for messages and nothing else: nothing is ever extracted
  or written, so "../../etc/x.json" is just an odd name;
* the member count and the total uncompressed size are capped twice: from the sizes
  the zip declares, before reading anything, and from the bytes actually inflated,
  because a hostile zip can declare sizes it does not have;
* each JSON document is capped in size before it is parsed.
"""

from __future__ import annotations

import zipfile
import zlib
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from django.conf import settings

from streams.errors import ImportRejected

from .records import JsonSource, SkippedSource, SkipReason

Source = JsonSource | SkippedSource

_ZIP_MAGIC = (b"PK\x03\x04", b"PK\x05\x06")
_CHUNK = 1024 * 1024


@dataclass(frozen=True, slots=True)
class ReadLimits:
    max_members: int
    max_uncompressed_bytes: int
    max_file_bytes: int

    @classmethod
    def from_settings(cls) -> ReadLimits:
        return cls(
            max_members=settings.MUSICFLOW_ZIP_MAX_MEMBERS,
            max_uncompressed_bytes=settings.MUSICFLOW_ZIP_MAX_UNCOMPRESSED_BYTES,
            max_file_bytes=settings.MUSICFLOW_IMPORT_MAX_FILE_BYTES,
        )


class ReadLimitExceeded(Exception):
    pass


def sources_from_paths(*, paths: Sequence[Path], limits: ReadLimits) -> Iterator[Source]:
    """Each path is a JSON file, a folder (read recursively) or an export zip."""
    for path in paths:
        if path.is_dir():
            yield from _folder_sources(path, limits)
        elif path.is_file():
            with path.open("rb") as handle:
                yield from sources_from_file(fileobj=handle, name=path.name, limits=limits)
        else:
            raise ImportRejected(f"{path}: no such file or folder")


def sources_from_file(
    *, fileobj: BinaryIO, name: str, limits: ReadLimits, label_members: bool = True
) -> Iterator[Source]:
    """One file that is either a zip or a JSON document; what it is comes from its bytes.

    `label_members=False` names zip members by themselves, for the zip MusicFlow builds
    from several uploaded JSON files (the user never saw that zip).
    """
    head = fileobj.read(4)
    fileobj.seek(0)
    if head in _ZIP_MAGIC:
        yield from _zip_sources(fileobj, name if label_members else "", limits)
    else:
        yield JsonSource(name=name, data=_read_capped(fileobj, name, limits.max_file_bytes))


def _folder_sources(folder: Path, limits: ReadLimits) -> Iterator[Source]:
    for path in sorted(p for p in folder.rglob("*") if p.is_file()):
        name = f"{folder.name}/{path.relative_to(folder).as_posix()}"
        if _is_json_name(path.name):
            with path.open("rb") as handle:
                yield JsonSource(name=name, data=_read_capped(handle, name, limits.max_file_bytes))
        else:
            yield SkippedSource(name=name, reason=SkipReason.NON_JSON_FILE)


def _zip_sources(fileobj: BinaryIO, label: str, limits: ReadLimits) -> Iterator[Source]:
    shown = label or "the upload"
    try:
        archive = zipfile.ZipFile(fileobj)
    except (zipfile.BadZipFile, zlib.error, EOFError, ValueError) as exc:
        raise ImportRejected(
            f"{shown}: not a valid zip file (truncated or corrupt?): {exc}"
        ) from None
    with archive:
        members = [m for m in archive.infolist() if not m.is_dir()]
        _check_declared_sizes(members, shown, limits)
        budget = limits.max_uncompressed_bytes
        for member in members:
            name = f"{label}:{member.filename}" if label else member.filename
            if not _is_json_name(member.filename):
                yield SkippedSource(name=name, reason=SkipReason.NON_JSON_FILE)
                continue
            data = _read_member(
                archive, member, name, shown, min(budget, limits.max_file_bytes), limits
            )
            budget -= len(data)
            yield JsonSource(name=name, data=data)


def _check_declared_sizes(members: list[zipfile.ZipInfo], shown: str, limits: ReadLimits) -> None:
    if len(members) > limits.max_members:
        raise ImportRejected(
            f"{shown}: the zip holds {len(members)} files, more than the {limits.max_members} "
            "accepted (MUSICFLOW_ZIP_MAX_MEMBERS); refused as a possible zip bomb"
        )
    declared = sum(m.file_size for m in members)
    if declared > limits.max_uncompressed_bytes:
        raise ImportRejected(
            f"{shown}: the zip expands to {declared} bytes, more than the "
            f"{limits.max_uncompressed_bytes} accepted (MUSICFLOW_ZIP_MAX_UNCOMPRESSED_BYTES); "
            "refused as a possible zip bomb"
        )


def _read_member(
    archive: zipfile.ZipFile,
    member: zipfile.ZipInfo,
    name: str,
    shown: str,
    cap: int,
    limits: ReadLimits,
) -> bytes:
    if member.file_size > limits.max_file_bytes:
        raise ImportRejected(
            f"{name}: {member.file_size} bytes, more than the {limits.max_file_bytes} accepted "
            "for one file (MUSICFLOW_IMPORT_MAX_FILE_BYTES)"
        )
    try:
        with archive.open(member) as stream:
            return read_bounded(stream, cap)
    except ReadLimitExceeded:
        raise ImportRejected(
            f"{shown}: inflating {member.filename!r} went past the size limits "
            "(MUSICFLOW_ZIP_MAX_UNCOMPRESSED_BYTES / MUSICFLOW_IMPORT_MAX_FILE_BYTES); "
            "refused as a possible zip bomb"
        ) from None
    except (zipfile.BadZipFile, zlib.error, EOFError, RuntimeError, NotImplementedError) as exc:
        raise ImportRejected(f"{name}: cannot be read from the zip: {exc}") from None


def read_bounded(stream: BinaryIO, cap: int) -> bytes:
    """All of `stream`, or ReadLimitExceeded as soon as more than `cap` bytes came out of it.

    Counts the bytes actually produced, whatever the zip declared.
    """
    chunks: list[bytes] = []
    total = 0
    while chunk := stream.read(min(_CHUNK, cap - total + 1)):
        total += len(chunk)
        if total > cap:
            raise ReadLimitExceeded
        chunks.append(chunk)
    return b"".join(chunks)


def _read_capped(handle: BinaryIO, name: str, cap: int) -> bytes:
    try:
        return read_bounded(handle, cap)
    except ReadLimitExceeded:
        raise ImportRejected(
            f"{name}: larger than the {cap} bytes accepted for one file "
            "(MUSICFLOW_IMPORT_MAX_FILE_BYTES)"
        ) from None


def _is_json_name(name: str) -> bool:
    """A `.json` name, except macOS's resource-fork copies ("__MACOSX/", "._x.json")."""
    base = name.rsplit("/", 1)[-1]
    return (
        base.lower().endswith(".json")
        and not base.startswith("._")
        and not name.startswith("__MACOSX/")
    )
