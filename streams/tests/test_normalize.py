"""The name key: which spellings meet, and which recordings stay apart."""

from __future__ import annotations

import string

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from streams.resolution.normalize import (
    name_key,
    normalize_artist,
    normalize_title,
    primary_artist,
)

_FULLWIDTH = "".join(chr(ord(c) + 0xFEE0) for c in "Fullwidth")

SAME_TITLE = [
    ("Yellow", "yellow"),
    ("Beyoncé", "Beyonce"),
    ("DON'T STOP ME NOW", "Don't Stop Me Now"),
    ("Don\u2019t Stop Me Now", "Dont Stop Me Now"),
    ("Mr.  Brightside ", "mr brightside"),
    ("Señorita", "SENORITA"),
    (_FULLWIDTH, "fullwidth"),
    ("Smørrebrød Łódź", "smorrebrod lodz"),
    ("Straße", "STRASSE"),
    ("Sunflower (feat. Swae Lee)", "Sunflower"),
    ("Sunflower [ft. Swae Lee]", "Sunflower"),
    ("Sunflower (Featuring Swae Lee & Post Malone)", "Sunflower"),
    ("Dancing with a Stranger (with Normani)", "Dancing with a Stranger"),
    ("Sunflower - feat. Swae Lee", "Sunflower"),
    ("Sunflower feat. Swae Lee", "Sunflower"),
    ("Here Comes The Sun - Remastered 2009", "Here Comes The Sun"),
    ("Back In Black - 2003 Remaster", "Back In Black"),
    ("Heroes (2017 Remaster)", "Heroes"),
    ("Heroes [Remastered]", "Heroes"),
    ("Heroes - Remastered Version", "Heroes"),
    ("Heroes - 40th Anniversary Remastered Edition", "Heroes"),
    ("Heroes \u2013 2011 Digital Remaster", "Heroes"),
    ("Heroes (feat. X) - 2011 Remaster", "Heroes"),
    ("1999 - 2019 Remaster", "1999"),
]

DIFFERENT_TITLE = [
    ("Heroes - Live", "Heroes"),
    ("Heroes (Live)", "Heroes"),
    ("Heroes - Acoustic", "Heroes"),
    ("Heroes - Radio Edit", "Heroes"),
    ("Heroes - Remix", "Heroes"),
    ("Heroes - Demo", "Heroes"),
    ("Heroes - Live / Remastered 2011", "Heroes"),
    ("Heroes - Mono", "Heroes"),
    ("Defeat", "De"),
    ("Love Me Like You Do", "Love Me Like You"),
]


@pytest.mark.parametrize(("a", "b"), SAME_TITLE)
def test_spellings_of_one_recording_share_a_title(a: str, b: str) -> None:
    assert normalize_title(a) == normalize_title(b)


@pytest.mark.parametrize(("a", "b"), DIFFERENT_TITLE)
def test_different_recordings_keep_different_titles(a: str, b: str) -> None:
    assert normalize_title(a) != normalize_title(b)


def test_a_title_made_only_of_a_label_is_kept() -> None:
    assert normalize_title("(feat. Nobody)") == "feat nobody"
    assert normalize_title("Remastered") == "remastered"


def test_symbol_only_names_keep_their_symbols() -> None:
    assert name_key("!!!", "!!!") == "!!!|!!!"
    assert name_key("!!!", "!!!") != name_key("???", "!!!")


@pytest.mark.parametrize(
    ("artists", "primary"),
    [
        ("Lady Gaga, Bruno Mars", "Lady Gaga"),
        ("Post Malone feat. Swae Lee", "Post Malone"),
        ("Simon & Garfunkel", "Simon & Garfunkel"),
        ("Florence + The Machine", "Florence + The Machine"),
        ("Lil Nas X", "Lil Nas X"),
        ("Earth, Wind & Fire", "Earth"),
        ("Feat Band", "Feat Band"),
    ],
)
def test_primary_artist_is_the_first_listed(artists: str, primary: str) -> None:
    assert primary_artist(artists) == primary


def test_name_key_joins_title_and_primary_artist() -> None:
    assert name_key("Die With A Smile", "Lady Gaga, Bruno Mars") == "die with a smile|lady gaga"
    assert name_key("Die With A Smile", "LADY GAGA") == name_key("die with a smile", "Lady Gaga")
    assert name_key("Song", "Artist A") != name_key("Song", "Artist B")


# --- properties --------------------------------------------------------------

# Latin letters with and without accents, digits, punctuation and spaces: the
# alphabet of nearly every exported name, where case and accents must not matter.
_LATIN = st.characters(
    codec="utf-8",
    categories=("Lu", "Ll", "Nd", "Po", "Pd", "Ps", "Pe", "Zs"),
    max_codepoint=0x24F,
)
_NAMES = st.text(alphabet=_LATIN, max_size=60)
_ASCII_NAMES = st.text(alphabet=string.ascii_letters + string.digits + " -()[].,'&", max_size=60)
_COMBINING = st.sampled_from(["\u0301", "\u0300", "\u0308", "\u0302", "\u030a", "\u0327"])


@settings(max_examples=300)
@given(title=st.text(max_size=80), artist=st.text(max_size=80))
@example(title="Song (feat. X) - 2011 Remaster", artist="A, B")
@example(title="x/feat y", artist="a/ft. b")
def test_normalising_twice_changes_nothing(title: str, artist: str) -> None:
    assert normalize_title(normalize_title(title)) == normalize_title(title)
    assert normalize_artist(normalize_artist(artist)) == normalize_artist(artist)


@settings(max_examples=300)
@given(title=_NAMES, artist=_NAMES)
def test_case_does_not_matter(title: str, artist: str) -> None:
    key = name_key(title, artist)
    assert name_key(title.upper(), artist.upper()) == key
    assert name_key(title.lower(), artist.lower()) == key


@settings(max_examples=300)
@given(title=_ASCII_NAMES, artist=_ASCII_NAMES, marks=st.lists(_COMBINING, min_size=1, max_size=5))
def test_accents_do_not_matter(title: str, artist: str, marks: list[str]) -> None:
    def accented(text: str) -> str:
        letters = list(text)
        for i, mark in enumerate(marks):
            positions = [j for j, ch in enumerate(letters) if ch.isalpha()]
            if positions:
                letters[positions[i % len(positions)]] += mark
        return "".join(letters)

    assert name_key(accented(title), accented(artist)) == name_key(title, artist)


@given(title=st.text(max_size=80), artist=st.text(max_size=80))
def test_the_key_fits_the_index_column(title: str, artist: str) -> None:
    assert len(name_key(title * 20, artist * 20)) <= 1100
