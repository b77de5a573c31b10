"""The fixture catalog the fake Spotify and ReccoBeats servers answer from.

Ids are generated deterministically so tests and benchmarks can refer to the same
tracks on every run without storing any real Spotify data.
"""

from __future__ import annotations

import random
import string
from dataclasses import dataclass, field

from predictor.ml.records import AUDIO_INPUTS

BASE62 = string.digits + string.ascii_letters

# The fake services answer with the same audio features Spotify's API names.
FEATURE_NAMES = AUDIO_INPUTS


@dataclass
class FakeArtist:
    id: str
    name: str


@dataclass
class FakeTrack:
    """One track as both fake services know it.

    ``features`` holds Spotify's audio features (None: Spotify has none for it).
    ``in_reccobeats`` says whether ReccoBeats knows the track; ReccoBeats serves the same
    values minus time_signature, with ``reccobeats_overrides`` applied on top.
    """

    id: str
    name: str
    artists: list[FakeArtist]
    album_name: str
    album_id: str
    release_date: str = "2020-01-01"
    release_date_precision: str = "day"
    duration_ms: int = 200_000
    explicit: bool = False
    popularity: int = 50
    available_markets: list[str] = field(default_factory=lambda: ["DE", "GB", "US"])
    isrc: str | None = None
    features: dict[str, float | int] | None = None
    in_reccobeats: bool = True
    reccobeats_overrides: dict[str, float | int] = field(default_factory=dict)
    reccobeats_uuid: str = ""

    @property
    def uri(self) -> str:
        return f"spotify:track:{self.id}"


def spotify_id(rng: random.Random) -> str:
    return "".join(rng.choice(BASE62) for _ in range(22))


def _features(rng: random.Random) -> dict[str, float | int]:
    return {
        "danceability": round(rng.random(), 3),
        "energy": round(rng.random(), 3),
        "key": rng.randrange(0, 12),
        "loudness": round(rng.uniform(-30.0, -2.0), 3),
        "mode": rng.randrange(0, 2),
        "speechiness": round(rng.uniform(0.02, 0.5), 4),
        "acousticness": round(rng.random(), 4),
        "instrumentalness": round(rng.random() ** 4, 5),
        "liveness": round(rng.uniform(0.03, 0.8), 4),
        "valence": round(rng.random(), 3),
        "tempo": round(rng.uniform(60.0, 190.0), 3),
        "time_signature": rng.choice((3, 4, 4, 4, 5)),
    }


def _uuid(rng: random.Random) -> str:
    hexdigits = "".join(rng.choice("0123456789abcdef") for _ in range(32))
    return (
        f"{hexdigits[:8]}-{hexdigits[8:12]}-{hexdigits[12:16]}-{hexdigits[16:20]}-{hexdigits[20:]}"
    )


def generate_catalog(
    *, count: int, seed: int = 1, reccobeats_share: float = 1.0
) -> list[FakeTrack]:
    """``count`` synthetic tracks with features; ``reccobeats_share`` of them known to ReccoBeats."""
    rng = random.Random(seed)
    tracks = []
    for index in range(count):
        artist = FakeArtist(id=spotify_id(rng), name=f"Fake Artist {index % 97}")
        tracks.append(
            FakeTrack(
                id=spotify_id(rng),
                name=f"Fake Song {index}",
                artists=[artist],
                album_name=f"Fake Album {index // 10}",
                album_id=spotify_id(rng),
                release_date=f"{2000 + index % 25}-{1 + index % 12:02d}-{1 + index % 28:02d}",
                duration_ms=rng.randrange(120_000, 360_000),
                explicit=rng.random() < 0.2,
                popularity=rng.randrange(0, 101),
                isrc=f"QZFAK{index:07d}",
                features=_features(rng),
                in_reccobeats=rng.random() < reccobeats_share,
                reccobeats_uuid=_uuid(rng),
            )
        )
    return tracks


def default_catalog() -> list[FakeTrack]:
    """A small hand-written catalog with the awkward cases resolution must handle."""
    rng = random.Random(20241127)
    rows = [
        (
            "Bohemian Rhapsody - Remastered 2011",
            ["Queen"],
            "A Night at the Opera",
            354_320,
            "1975-11-21",
        ),
        ("Blinding Lights", ["The Weeknd"], "After Hours", 200_040, "2020-03-20"),
        ("Señorita", ["Shawn Mendes", "Camila Cabello"], "Señorita", 190_800, "2019-06-21"),
        (
            "Bad Guy",
            ["Billie Eilish"],
            "WHEN WE ALL FALL ASLEEP, WHERE DO WE GO?",
            194_087,
            "2019-03-29",
        ),
        (
            "Dákiti",
            ["Bad Bunny", "Jhay Cortez"],
            "EL ÚLTIMO TOUR DEL MUNDO",
            205_090,
            "2020-11-27",
        ),
        ("Levitating (feat. DaBaby)", ["Dua Lipa", "DaBaby"], "Future Nostalgia", 203_064, "2020"),
        ("Heat Waves", ["Glass Animals"], "Dreamland", 238_805, "2020-08-06"),
        (
            "Clair de lune",
            ["Claude Debussy", "Fake Pianist"],
            "Suite bergamasque",
            300_000,
            "1905-01",
        ),
    ]
    tracks = []
    for index, (name, artists, album, duration, release) in enumerate(rows):
        precision = {4: "year", 7: "month"}.get(len(release), "day")
        tracks.append(
            FakeTrack(
                id=spotify_id(rng),
                name=name,
                artists=[FakeArtist(id=spotify_id(rng), name=artist) for artist in artists],
                album_name=album,
                album_id=spotify_id(rng),
                release_date=release,
                release_date_precision=precision,
                duration_ms=duration,
                popularity=60 + index,
                isrc=f"QZHAND{index:06d}",
                features=_features(rng),
                reccobeats_uuid=_uuid(rng),
            )
        )
    # ReccoBeats could not detect the key of the classical piece.
    tracks[-1].reccobeats_overrides = {"key": -1}
    return tracks
