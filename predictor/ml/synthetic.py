"""Synthetic datasets with a known signal, for unit tests and bench/train.py.

Clearly not real data: stream counts follow a Poisson law whose rate depends on
whether the user likes a track's artist, on a few audio features and on popularity,
so a working model must find that signal and a broken one cannot fake it.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from predictor.ml.context import context_add
from predictor.ml.records import PLAYED_COLUMNS, SAMPLE_COLUMNS


@dataclass(frozen=True)
class SyntheticDataset:
    frame: pd.DataFrame  # raw samples with context added
    target: np.ndarray  # streams per track
    played: pd.DataFrame  # the per-name streams table the context came from


def _tracks(rng: np.random.Generator, rows: int) -> pd.DataFrame:
    artists = max(rows // 8, 5)
    first = rng.integers(0, artists, rows)
    featured = rng.random(rows) < 0.2
    second = rng.integers(0, artists, rows)
    years = rng.integers(1970, 2025, rows)
    return (
        pd.DataFrame(
            {
                "spotify_id": [f"syn{i:019d}" for i in range(rows)],
                "name": [f"Synthetic song {i}" for i in range(rows)],
                "artists": [
                    (f"Artist {a}", f"Artist {b}") if f and a != b else (f"Artist {a}",)
                    for a, b, f in zip(first, second, featured, strict=True)
                ],
                "album": [f"Album {a}-{i % 3}" for i, a in enumerate(first)],
                "release_date": [
                    f"{y}-{m:02d}-{d:02d}"
                    for y, m, d in zip(
                        years, rng.integers(1, 13, rows), rng.integers(1, 29, rows), strict=True
                    )
                ],
                "release_date_precision": "day",
                "duration_ms": rng.integers(90_000, 400_000, rows),
                "explicit": rng.random(rows) < 0.2,
                "popularity": rng.integers(0, 101, rows),
                "available_markets_count": rng.integers(0, 185, rows),
                "danceability": rng.random(rows),
                "energy": rng.random(rows),
                "key": rng.integers(-1, 12, rows),
                "loudness": rng.uniform(-30, 0, rows),
                "mode": rng.integers(0, 2, rows),
                "speechiness": rng.random(rows) * 0.5,
                "acousticness": rng.random(rows),
                "instrumentalness": rng.random(rows) ** 3,
                "liveness": rng.random(rows) * 0.6,
                "valence": rng.random(rows),
                "tempo": rng.uniform(60, 200, rows),
                "time_signature": rng.choice([3, 4, 4, 4, 5], rows),
            }
        ),
        first,
        artists,
    )


def synthetic_dataset(*, rows: int, seed: int = 0, missing: float = 0.05) -> SyntheticDataset:
    """`rows` tracks, about a quarter streamed, `missing` share of each feature blanked."""
    rng = np.random.default_rng(seed)
    tracks, first, artists = _tracks(rng, rows)
    liked = rng.random(artists) < 0.15
    rate = np.exp(
        -2.2
        + 2.4 * liked[first]
        + 1.2 * (tracks["danceability"].to_numpy() - 0.5)
        + 0.015 * (tracks["popularity"].to_numpy() - 50)
    )
    streams = rng.poisson(rate)
    skips = rng.poisson(0.3 * rate)
    played = pd.DataFrame(
        {
            "track_name": tracks["name"],
            "artist_name": [a[0] for a in tracks["artists"]],
            "album_name": tracks["album"],
            "plays": streams + skips,
            "streams": streams,
            "resolved_name": tracks["name"],
            "release_date": tracks["release_date"],
            "release_date_precision": tracks["release_date_precision"],
        }
    )
    played = played[played["plays"] > 0].reset_index(drop=True)[list(PLAYED_COLUMNS)]
    for column in SAMPLE_COLUMNS:
        if column not in tracks.columns:
            tracks[column] = np.nan
    frame = context_add(samples=tracks[list(SAMPLE_COLUMNS)], played=played)
    frame = _blank(frame, rng, missing)
    return SyntheticDataset(frame=frame, target=streams.astype(float), played=played)


def _blank(frame: pd.DataFrame, rng: np.random.Generator, share: float) -> pd.DataFrame:
    out = frame.copy()
    for column in ("popularity", "danceability", "energy", "key", "tempo", "release_date"):
        mask = rng.random(len(out)) < share
        out[column] = out[column].astype(object).where(~mask, None)
    return out
