"""Name normalisation: the key that lets a play without a URI find its track.

Both sides of a match go through the same functions (a play's exported names and a
track's stored names), so what matters is that the rules are deterministic and fold
only differences that never distinguish two recordings:

* case, accents and compatibility forms (NFKD, combining marks dropped, casefold,
  plus a few letters NFKD keeps whole: ø, ł, đ, æ, œ, dotless i, ...);
* punctuation and runs of whitespace ("AC/DC" == "ac dc"); apostrophes, straight or
  typographic, are dropped ("Don't" and "Dont" meet);
* featured artists in the title: "(feat. X)", "[ft. X]", "(featuring X)", "(with X)",
  "- feat. X" and a trailing "feat. X" — Spotify lists featured artists in the
  title on some releases and only in the artist list on others;
* remaster labels: a " - " suffix or a bracketed part made only of "remaster(ed)"
  and filler words ("2011 Remaster", "Remastered 2009", "2003 Digital Remaster",
  "Remastered Version", "40th Anniversary Remaster"). A remaster is the same
  recording, re-mastered.

Deliberately NOT folded, because they are different recordings or edits: "Live",
"Acoustic", "Remix"/"Mix", "Radio Edit", "Demo", "Instrumental", "Mono", "Version"
on its own, and any remaster label that also names one of those ("Live / Remastered"
stays distinct from the studio track).

Two keys per track go into the name index: this normalised one, and an "exact" one
whose title is only folded (case, accents, punctuation). A play looks up its exact
key first, so where the index holds both "Calm Down" and "Calm Down (with Selena
Gomez)" each play finds its own recording; the normalised key is the fallback.

Artists: only the primary (first) artist is kept. Lists are split on ", " and on
" feat. " / " ft. " / " featuring "; never on "&", " and ", " x " or "+", because
those are part of many single artist names (Simon & Garfunkel, Florence + The
Machine, Lil Nas X). A few names contain ", " themselves ("Tyler, The Creator"):
they key as their first part on both sides, which only collides if the same title
exists by an artist whose name is exactly that first part.
"""

from __future__ import annotations

import functools
import re
import unicodedata

KEY_SEPARATOR = "|"
# Marks the exact-spelling keys, so they never collide with the normalised ones.
EXACT_KEY_PREFIX = "="
# Longest part kept from each side; TrackNameKey.key holds both plus the separator.
_MAX_PART_LENGTH = 512
# Each pass only shortens the text; a handful always reaches the fixed point.
_MAX_PASSES = 8
# A history repeats the same artists and titles thousands of times.
_CACHE_SIZE = 65_536

# Letters that NFKD leaves as they are, mapped to what a reader would type instead.
_LETTER_FOLDS = str.maketrans(
    {
        "ø": "o",
        "Ø": "o",
        "ł": "l",
        "Ł": "l",
        "đ": "d",
        "Đ": "d",
        "ð": "d",
        "Ð": "d",
        "þ": "th",
        "Þ": "th",
        "æ": "ae",
        "Æ": "ae",
        "œ": "oe",
        "Œ": "oe",
        "\u0131": "i",  # dotless i
        "ß": "ss",
        "ẞ": "ss",
        "ħ": "h",
        "Ħ": "h",
        "ŧ": "t",
        "Ŧ": "t",
    }
)

_NON_WORD = re.compile(r"[\W_]+")
# Apostrophes join a word ("Don't" == "Dont"); other punctuation separates words.
_APOSTROPHES = re.compile("['\u2018\u2019\u02bc\u0060\u00b4]")

# Bracketed, the dot is optional; unbracketed it is required, so that a word like
# "feat" in a folded title (where dots are gone) is never mistaken for a credit.
_FEATURE_WORDS = r"(?:feat\.?|ft\.?|featuring)"
_DOTTED_FEATURE_WORDS = r"(?:feat\.|ft\.|featuring)"
# "(feat. X)", "[with X]", "(featuring X & Y)": the whole bracketed part goes.
_BRACKETED_FEATURE = re.compile(
    rf"[\(\[\{{]\s*(?:{_FEATURE_WORDS}|with)\s[^\)\]\}}]*[\)\]\}}]?", re.IGNORECASE
)
# "Song - feat. X", "Song feat. X", "Song ft X": from the word to the end.
_TRAILING_FEATURE = re.compile(rf"(?:\s+-\s*|\s+){_DOTTED_FEATURE_WORDS}\s+\S.*$", re.IGNORECASE)
_BRACKETED_PART = re.compile(r"[\(\[\{]([^\)\]\}]*)[\)\]\}]")
# Hyphen, en dash or em dash between spaces.
_DASH_SUFFIX = re.compile(r"\s+[-\u2013\u2014]\s+(?P<suffix>[^-\u2013\u2014]+)$")

_REMASTER_WORD = re.compile(r"^remaster(?:ed|s)?$")
# Words that may accompany "remaster" in a label without making it another recording.
_REMASTER_FILLER = frozenset(
    {"digital", "digitally", "version", "edition", "anniversary", "the", "remastering", "hd"}
)
_YEAR_OR_ORDINAL = re.compile(r"^(?:\d{2,4}|\d+(?:st|nd|rd|th))$")

_ARTIST_SPLIT = re.compile(rf",\s+|\s+{_DOTTED_FEATURE_WORDS}\s+", re.IGNORECASE)


def _strip_marks(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text.translate(_LETTER_FOLDS))
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def fold_text(text: str) -> str:
    """Case-, accent- and punctuation-insensitive form of any text.

    Returns lower-case word characters separated by single spaces. A text with no
    word characters at all (an artist called "!!!") keeps its symbols, case-folded,
    so it still has a key of its own.
    """
    # Non-ASCII is folded twice: casefolding can make new decomposable letters.
    folded = text.lower() if text.isascii() else _strip_marks(_strip_marks(text).casefold())
    words = _NON_WORD.sub(" ", _APOSTROPHES.sub("", folded)).split()
    if words:
        return " ".join(words)
    return " ".join(folded.split())


def _is_remaster_label(label: str) -> bool:
    words = fold_text(label).split()
    if not any(_REMASTER_WORD.match(w) for w in words):
        return False
    return all(
        _REMASTER_WORD.match(w) or w in _REMASTER_FILLER or _YEAR_OR_ORDINAL.match(w)
        for w in words
    )


def _drop_remaster_parts(title: str) -> str:
    title = _BRACKETED_PART.sub(
        lambda m: " " if _is_remaster_label(m.group(1)) else m.group(0), title
    )
    match = _DASH_SUFFIX.search(title)
    if match and _is_remaster_label(match.group("suffix")):
        title = title[: match.start()]
    return title


def _drop_trailing_remaster_words(folded: str) -> str:
    """Folded text has lost its dashes and brackets: drop a trailing remaster label."""
    words = folded.split()
    if not any(_REMASTER_WORD.match(w) for w in words):
        return folded
    # The earliest start gives the longest label ("... 2011 remaster" drops both words);
    # the first word always stays, so a title is never reduced to nothing.
    for start in range(1, len(words)):
        if _is_remaster_label(" ".join(words[start:])):
            return " ".join(words[:start])
    return folded


def _title_pass(title: str) -> str:
    stripped = _BRACKETED_FEATURE.sub(" ", title)
    stripped = _TRAILING_FEATURE.sub("", stripped)
    stripped = _drop_remaster_parts(stripped)
    folded = _drop_trailing_remaster_words(fold_text(stripped))
    # Never reduce a title to nothing: "(Feat. Nobody)" alone stays as written.
    return folded or fold_text(title)


@functools.lru_cache(maxsize=_CACHE_SIZE)
def normalize_title(title: str) -> str:
    """The comparable form of a track title (see the module notes for the rules)."""
    current = title[: _MAX_PART_LENGTH * 2]
    for _ in range(_MAX_PASSES):
        following = _title_pass(current)
        if following == current:
            break
        current = following
    return current[:_MAX_PART_LENGTH]


def primary_artist(artists: str) -> str:
    """The first artist of an artist list as exported ("A, B", "A feat. B")."""
    first = _ARTIST_SPLIT.split(artists.strip(), maxsplit=1)[0]
    return first.strip() or artists.strip()


@functools.lru_cache(maxsize=_CACHE_SIZE)
def normalize_artist(artist: str) -> str:
    """The comparable form of the primary artist of `artist`."""
    current = artist[: _MAX_PART_LENGTH * 2]
    for _ in range(_MAX_PASSES):
        following = fold_text(primary_artist(current))
        if following == current:
            break
        current = following
    return current[:_MAX_PART_LENGTH]


def name_key(title: str, artist: str) -> str:
    """The name-index key of a track: normalised title and primary artist."""
    return f"{normalize_title(title)}{KEY_SEPARATOR}{normalize_artist(artist)}"


def exact_name_key(title: str, artist: str) -> str:
    """The stricter key: the title only case-, accent- and punctuation-folded.

    Looked up before `name_key`, so a play of "Calm Down (with Selena Gomez)" finds
    that recording when the index has it, and the solo "Calm Down" only otherwise.
    """
    title_part = fold_text(title[: _MAX_PART_LENGTH * 2])[:_MAX_PART_LENGTH]
    return f"{EXACT_KEY_PREFIX}{title_part}{KEY_SEPARATOR}{normalize_artist(artist)}"
