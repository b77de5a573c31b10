"""Bytes to text for catalog CSVs: byte-order marks, encodings, and mojibake repair.

Real datasets arrive mangled. Both files in ../shared/data/catalog are valid UTF-8,
but their text was decoded with the wrong code page once or twice before being saved
again: "BeyoncÃ©" (UTF-8 read as Windows-1252), "ROS√â" for "ROSÉ" (read as Mac Roman,
then that read as Latin-1 once more), and the byte-order mark itself double-encoded as
C3 AF C2 BB C2 BF. A name left like that never matches the same name in a Spotify
export, so each cell is repaired by undoing those layers while the result stays strict
UTF-8.
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass

_BOMS: tuple[bytes, ...] = (
    b"\xc3\xaf\xc2\xbb\xc2\xbf",  # a UTF-8 BOM decoded as Latin-1 and encoded again
    b"\xef\xbb\xbf",
)
# What a BOM looks like once text has been decoded (properly, or as Latin-1).
_TEXT_BOMS: tuple[str, ...] = ("\ufeff", "\u00ef\u00bb\u00bf")
_MAX_REPAIR_LAYERS = 3


@dataclass(frozen=True)
class DecodedText:
    text: str
    encoding: str
    bom: str


def _build_sloppy_cp1252() -> dict[int, int]:
    """Windows-1252 as web browsers apply it: bytes it leaves undefined pass through."""
    table: dict[int, int] = {}
    for byte in range(256):
        table[byte] = byte  # Latin-1 and C1 controls
        with contextlib.suppress(UnicodeDecodeError):  # five bytes cp1252 leaves undefined
            table[ord(bytes([byte]).decode("cp1252"))] = byte
    return table


_SLOPPY_CP1252 = _build_sloppy_cp1252()


def decode_csv_bytes(data: bytes) -> DecodedText:
    """Strip a byte-order mark (plain or double-encoded), then UTF-8, else Latin-1."""
    bom = ""
    for mark in _BOMS:
        if data.startswith(mark):
            bom = "double-encoded utf-8" if len(mark) == 6 else "utf-8"
            data = data[len(mark) :]
            break
    try:
        text, encoding = data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        # Latin-1 maps every byte, so this never fails; Windows-1252 exports read
        # almost identically and the cell repair below fixes the rest.
        text, encoding = data.decode("latin-1"), "latin-1"
    for mark in _TEXT_BOMS:
        if text.startswith(mark):
            bom = bom or ("utf-8" if mark == "\ufeff" else "double-encoded utf-8")
            text = text[len(mark) :]
    return DecodedText(text=text, encoding=encoding, bom=bom)


def _encode_sloppy_cp1252(text: str) -> bytes | None:
    try:
        return bytes(_SLOPPY_CP1252[ord(ch)] for ch in text)
    except KeyError:
        return None


def _encode_mac_roman(text: str) -> bytes | None:
    try:
        return text.encode("mac_roman")
    except UnicodeEncodeError:
        return None


def _undo_layer(text: str) -> str | None:
    """One wrong decode undone, if the text really is UTF-8 read as a code page."""
    for encode in (_encode_sloppy_cp1252, _encode_mac_roman):
        raw = encode(text)
        if raw is None:
            continue
        try:
            repaired = raw.decode("utf-8")
        except UnicodeDecodeError:
            continue
        # Mojibake is always longer than its source; equal length means plain text.
        if len(repaired) < len(text):
            return repaired
    return None


def repair_mojibake(text: str) -> str:
    """`text` with up to three layers of "UTF-8 read as Windows-1252/Mac Roman" undone.

    Text that is already right is returned unchanged: a real accented name
    ("Beyoncé", "Sigur Rós") does not re-encode to valid UTF-8 under either code page.
    """
    if text.isascii():
        return text
    current = text
    for _ in range(_MAX_REPAIR_LAYERS):
        repaired = _undo_layer(current)
        if repaired is None:
            break
        current = repaired
    return current
