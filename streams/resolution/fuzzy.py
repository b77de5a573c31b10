"""Fuzzy resolution against the local catalog (rapidfuzz), after the exact name index.

Both sides are normalised first (``normalize_title`` / ``normalize_artist``: case,
accents, punctuation, "feat." credits and remaster labels folded), so what is left
for fuzzy matching is spelling: a typo, a missing word-joining character, a
transliteration. A play matches a track when the rapidfuzz ``ratio`` of the normalised
artist AND of the normalised title are both at least MUSICFLOW_FUZZY_MATCH_THRESHOLD
(default 90), and the two titles carry the same numbers and version words and neither
is the other plus extra words.

Why 90: on the real account-data export against both catalogs, 85 already accepts
wrong songs ("Love in This Club, Pt. II" -> "Love in This Club", a "Radio Mix" for the
album cut). At 90 the only extra match was "MILLION DOLLAR BABY (VHS)" -> "MILLION
DOLLAR BABY", another version, which the extra-words rule now refuses. The guards keep
long titles, where one extra word barely moves the ratio, from matching another part
or edit ("... Pt. 2" vs "... Pt. 3", "... Live", "... (VHS)").
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from django.conf import settings
from rapidfuzz import fuzz, process

from streams.models import Track
from streams.resolution.normalize import normalize_artist, normalize_title
from streams.resolution.steps import PendingPlay

# Words that make a different recording or edit (see streams.resolution.normalize).
VERSION_WORDS = frozenset(
    {
        "live",
        "acoustic",
        "remix",
        "mix",
        "edit",
        "demo",
        "instrumental",
        "mono",
        "version",
        "unplugged",
        "karaoke",
        "sped",
        "slowed",
        "reprise",
        "interlude",
        "intro",
        "outro",
    }
)
_NUMBER = re.compile(r"^(?:\d+|i{1,3}|iv|v|vi{1,3}|ix|x)$")


def _marks(title: str) -> frozenset[str]:
    """The words of a title that two titles of the same recording must share."""
    return frozenset(w for w in title.split() if w in VERSION_WORDS or _NUMBER.match(w))


def titles_compatible(left: str, right: str) -> bool:
    """Could two normalised titles name the same recording, differing only in spelling?

    Not if their numbers or version words differ, nor if one is the other plus whole
    words ("million dollar baby vhs" is another version of "million dollar baby"):
    a misspelling changes a word, it does not add one.
    """
    left_words, right_words = set(left.split()), set(right.split())
    if left_words < right_words or right_words < left_words:
        return False
    return _marks(left) == _marks(right)


def _default_threshold() -> float:
    return float(settings.MUSICFLOW_FUZZY_MATCH_THRESHOLD)


@dataclass
class CatalogIndex:
    """Normalised artist -> [(normalised title, track id)] for every stored track."""

    titles: dict[str, list[tuple[str, int]]]

    @classmethod
    def load(cls) -> CatalogIndex:
        titles: dict[str, list[tuple[str, int]]] = defaultdict(list)
        rows = Track.objects.exclude(name="").exclude(primary_artist="").order_by("id")
        for track_id, name, artist in rows.values_list("id", "name", "primary_artist").iterator(
            chunk_size=5000
        ):
            titles[normalize_artist(artist)].append((normalize_title(name), track_id))
        return cls(titles=dict(titles))

    def best(self, *, title: str, artist: str, threshold: float) -> int | None:
        """The track whose artist and title both score >= threshold; None if none is or
        if two different titles tie for best (ambiguous)."""
        candidates: list[tuple[float, str, int]] = []
        for name, artist_score, _ in process.extract(
            artist, self.titles.keys(), scorer=fuzz.ratio, score_cutoff=threshold, limit=None
        ):
            for known_title, track_id in self.titles[name]:
                title_score = fuzz.ratio(title, known_title)
                if title_score >= threshold and titles_compatible(title, known_title):
                    candidates.append((title_score + artist_score, known_title, track_id))
        if not candidates:
            return None
        candidates.sort(key=lambda c: (-c[0], c[2]))
        top_score, top_title, top_id = candidates[0]
        rivals = {t for score, t, _ in candidates if score == top_score and t != top_title}
        return None if rivals else top_id


@dataclass
class FuzzyCatalogStep:
    """Resolution step: plays the exact name index missed, matched by spelling."""

    threshold: float = field(default_factory=_default_threshold)
    name: str = "fuzzy_catalog"
    needs_network: bool = False

    def __call__(self, *, plays: Sequence[PendingPlay]) -> Mapping[int, int]:
        groups: dict[tuple[str, str], list[int]] = defaultdict(list)
        for play in plays:
            title, artist = normalize_title(play.track_name), normalize_artist(play.artist_name)
            if title and artist:
                groups[(title, artist)].append(play.id)
        if not groups:
            return {}
        index = CatalogIndex.load()
        matches: dict[int, int] = {}
        for (title, artist), play_ids in groups.items():
            track_id = index.best(title=title, artist=artist, threshold=self.threshold)
            if track_id is not None:
                matches.update(dict.fromkeys(play_ids, track_id))
        return matches
