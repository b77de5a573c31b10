"""Reading files, folders and zips: only JSON is read, names are labels, sizes are capped."""

from __future__ import annotations

import io
import struct
from pathlib import Path

import pytest

from streams.errors import ImportRejected
from streams.history.readers import (
    ReadLimitExceeded,
    ReadLimits,
    read_bounded,
    sources_from_file,
    sources_from_paths,
)
from streams.history.records import JsonSource, SkippedSource, SkipReason
from streams.tests.history_samples import extended_row, write_json, zip_bytes

LIMITS = ReadLimits(
    max_members=50, max_uncompressed_bytes=10 * 1024**2, max_file_bytes=5 * 1024**2
)


def read_zip(data: bytes, limits: ReadLimits = LIMITS, name: str = "export.zip"):
    return list(sources_from_file(fileobj=io.BytesIO(data), name=name, limits=limits))


def test_zip_members_are_read_in_order_and_non_json_members_are_only_counted():
    data = zip_bytes(
        {
            "Spotify Extended Streaming History/Streaming_History_Audio_2024.json": [
                extended_row()
            ],
            "Spotify Extended Streaming History/ReadMeFirst.pdf": b"%PDF-1.4",
            "notes.txt": "hello",
        }
    )
    sources = read_zip(data)
    assert [type(s) for s in sources] == [JsonSource, SkippedSource, SkippedSource]
    assert (
        sources[0].name
        == "export.zip:Spotify Extended Streaming History/Streaming_History_Audio_2024.json"
    )
    assert sources[0].data.startswith(b"[{")
    assert {s.reason for s in sources[1:]} == {SkipReason.NON_JSON_FILE}


def test_member_names_are_labels_never_paths(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    before = sorted(p.as_posix() for p in tmp_path.parent.rglob("*") if "x.json" in p.name)
    data = zip_bytes({"../../etc/x.json": [extended_row()], "/abs/x.json": [extended_row()]})
    sources = read_zip(data)
    assert [s.name for s in sources] == ["export.zip:../../etc/x.json", "export.zip:/abs/x.json"]
    assert all(isinstance(s, JsonSource) for s in sources)
    after = sorted(p.as_posix() for p in tmp_path.parent.rglob("*") if "x.json" in p.name)
    assert after == before  # nothing was written anywhere
    assert not Path("/abs/x.json").exists()


def test_macos_resource_forks_are_not_read_as_json():
    data = zip_bytes(
        {"__MACOSX/._a.json": b"\x00\x05\x16\x07", "d/._b.json": b"\x00\x05", "d/a.json": []}
    )
    sources = read_zip(data)
    assert [type(s) for s in sources] == [SkippedSource, SkippedSource, JsonSource]


def test_too_many_members_is_refused_before_reading():
    data = zip_bytes({f"f{i}.json": [] for i in range(51)})
    with pytest.raises(ImportRejected) as caught:
        read_zip(data)
    assert "51 files" in str(caught.value)
    assert "MUSICFLOW_ZIP_MAX_MEMBERS" in str(caught.value)
    assert "zip bomb" in str(caught.value)


def test_a_zip_bomb_is_refused_from_its_declared_size():
    # 64 MB of zeros deflates to ~64 KB.
    data = zip_bytes({"bomb.json": b"[" + b" " * (64 * 1024**2) + b"]"})
    assert len(data) < 200_000
    with pytest.raises(ImportRejected) as caught:
        read_zip(data)
    message = str(caught.value)
    assert message.startswith("export.zip: the zip expands to 67108866 bytes")
    assert "MUSICFLOW_ZIP_MAX_UNCOMPRESSED_BYTES" in message
    assert "zip bomb" in message


def test_the_total_is_capped_across_members():
    one = b"[" + b" " * (4 * 1024**2) + b"]"
    data = zip_bytes({"a.json": one, "b.json": one, "c.json": one})
    with pytest.raises(ImportRejected, match="zip bomb"):
        read_zip(data)


def _understate_sizes(data: bytes, declared: int) -> bytes:
    """Rewrite the uncompressed size in every header to `declared` (a lying zip)."""
    patched = bytearray(data)
    for signature, offset in ((b"PK\x03\x04", 22), (b"PK\x01\x02", 24)):
        start = 0
        while (start := patched.find(signature, start)) != -1:
            struct.pack_into("<I", patched, start + offset, declared)
            start += 4
    return bytes(patched)


def test_a_zip_that_understates_its_size_never_yields_more_than_it_declared():
    honest = zip_bytes({"liar.json": b"[" + b" " * (8 * 1024**2) + b"]"})
    liar = _understate_sizes(honest, declared=100)
    with pytest.raises(ImportRejected) as caught:
        read_zip(liar)
    assert caught.value.args[0].startswith("export.zip:liar.json: cannot be read from the zip")


def test_reading_stops_as_soon_as_the_inflated_bytes_pass_the_cap():
    class Endless(io.RawIOBase):
        produced = 0

        def readable(self) -> bool:
            return True

        def read(self, size: int = -1) -> bytes:
            self.produced += size
            return b"x" * size

    stream = Endless()
    with pytest.raises(ReadLimitExceeded):
        read_bounded(stream, 3 * 1024**2)
    assert stream.produced <= 3 * 1024**2 + 1
    assert read_bounded(io.BytesIO(b"12345"), 5) == b"12345"
    with pytest.raises(ReadLimitExceeded):
        read_bounded(io.BytesIO(b"123456"), 5)


def test_a_member_over_the_per_file_cap_is_refused():
    limits = ReadLimits(max_members=5, max_uncompressed_bytes=10**9, max_file_bytes=1000)
    data = zip_bytes({"big.json": b"[" + b" " * 2000 + b"]"})
    with pytest.raises(ImportRejected, match="MUSICFLOW_IMPORT_MAX_FILE_BYTES"):
        read_zip(data, limits)


def test_a_corrupt_zip_is_refused_with_its_name():
    data = zip_bytes({"a.json": [extended_row()]})
    with pytest.raises(ImportRejected, match=r"^export.zip: not a valid zip file"):
        read_zip(data[: len(data) // 2])


def test_a_folder_is_read_recursively_and_labels_files_by_relative_name(tmp_path):
    root = tmp_path / "my_spotify_data"
    write_json(root / "Spotify Account Data" / "StreamingHistory_music_0.json", [])
    write_json(root / "b.json", [])
    (root / "ReadMe.pdf").write_bytes(b"%PDF")
    sources = list(sources_from_paths(paths=[root], limits=LIMITS))
    assert [(type(s).__name__, s.name) for s in sources] == [
        ("SkippedSource", "my_spotify_data/ReadMe.pdf"),
        ("JsonSource", "my_spotify_data/Spotify Account Data/StreamingHistory_music_0.json"),
        ("JsonSource", "my_spotify_data/b.json"),
    ]


def test_a_file_path_is_read_as_json_or_zip_from_its_bytes_not_its_name(tmp_path):
    disguised = tmp_path / "export.json"
    disguised.write_bytes(zip_bytes({"inner.json": []}))
    (source,) = sources_from_paths(paths=[disguised], limits=LIMITS)
    assert source.name == "export.json:inner.json"


def test_a_missing_path_is_refused(tmp_path):
    with pytest.raises(ImportRejected, match="no such file or folder"):
        list(sources_from_paths(paths=[tmp_path / "nope.zip"], limits=LIMITS))


def test_a_plain_file_over_the_per_file_cap_is_refused(tmp_path):
    path = tmp_path / "big.json"
    path.write_bytes(b"[" + b" " * 5000 + b"]")
    limits = ReadLimits(max_members=5, max_uncompressed_bytes=10**9, max_file_bytes=1000)
    with pytest.raises(ImportRejected, match=r"^big.json: larger than the 1000 bytes"):
        list(sources_from_paths(paths=[path], limits=limits))


def test_bundled_uploads_name_members_by_themselves():
    data = zip_bytes({"StreamingHistory_music_0.json": []})
    (source,) = sources_from_file(
        fileobj=io.BytesIO(data), name="ignored.zip", limits=LIMITS, label_members=False
    )
    assert source.name == "StreamingHistory_music_0.json"
