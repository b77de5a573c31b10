"""Candidate user-context signals: familiarity beyond the artist, measured, not used.

The artist signals (predictor.ml.context) say nothing about a song whose artists the
user never streamed otherwise, and most streamed one-off hits are such songs. These
candidates look further, each leave-one-track-out like the artist signals (a track's
own plays never count towards its own value) and each a share of all the user's
streams, a denominator that is the same for every track:

- `genre_streams_other`: streams of the user's other tracks by artists sharing at
  least one genre with this track's artists (genres are the catalog's artist genres,
  so they reach unresolved plays of a catalog artist too); missing when none of the
  track's artists has known genres.
- `genre_lift_other`: the same share divided by the share of catalog tracks whose
  artists share a genre with it: how much more the user streams around this track
  than the catalog holds there.
- `era_streams_other`: streams of the user's other tracks released within
  ERA_YEARS years of this one (dated by the resolved track's release date); missing
  when the track's release year is unknown.

They are computed for `manage.py train --ablation` only; the model does not use them
and serving does not compute them (README, "Models and training", says what they were
worth). Using one would mean adding it to CONTEXT_FEATURES *and* computing it at
serving time, from the same tables.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import sparse

from predictor.ml.context import name_key, played_keys, sample_artist_keys
from predictor.ml.features import release_parts

CANDIDATE_SIGNALS: tuple[str, ...] = (
    "genre_streams_other",
    "genre_lift_other",
    "era_streams_other",
)
ERA_YEARS = 2


def candidate_signals_add(
    *, samples: pd.DataFrame, played: pd.DataFrame, genres: pd.DataFrame | None
) -> pd.DataFrame:
    """A copy of `samples` with every CANDIDATE_SIGNALS column filled.

    `played` is the per-name streams table (records.played_frame, with the resolved
    tracks' release dates); `genres` the artist genres table (records.genres_frame;
    None: unknown, the genre signals are then missing).
    """
    out = samples.copy()
    keys = played_keys(played=played) if len(played) else played_keys(played=_no_plays())
    keys = keys[keys["artist_key"] != ""]
    total = float(keys["streams"].sum())
    own = _own_streams(samples, keys)
    streams, lift = _genre_signals(samples, keys, own, genres, total)
    out["genre_streams_other"] = streams
    out["genre_lift_other"] = lift
    out["era_streams_other"] = _era_signal(samples, played, keys, total)
    return out


def _no_plays() -> pd.DataFrame:
    columns = ("track_name", "artist_name", "album_name", "plays", "streams", "resolved_name")
    return pd.DataFrame({c: pd.Series(dtype=object) for c in columns})


def _own_streams(samples: pd.DataFrame, keys: pd.DataFrame) -> pd.DataFrame:
    """(row, artist_key) -> the sample's own streams credited to that artist."""
    per_pair = keys.groupby(["artist_key", "track_key"], as_index=False)["streams"].sum()
    pairs = sample_artist_keys(samples=samples)[["row", "artist_key", "track_key"]]
    pairs = pairs.merge(per_pair, how="left", on=["artist_key", "track_key"])
    return pairs.assign(streams=pairs["streams"].fillna(0.0))


def _artist_genres(genres: pd.DataFrame) -> tuple[pd.DataFrame, dict[str, int]]:
    """artist_key -> genre ids and catalog tracks, one row per artist."""
    table = pd.DataFrame(
        {"artist_key": genres["artist"].map(name_key), "genre": genres["genres"].to_numpy()}
    )
    table["tracks"] = pd.to_numeric(genres["tracks"], errors="coerce").fillna(0.0).to_numpy()
    exploded = table.explode("genre").dropna(subset=["genre"])
    exploded = exploded[exploded["artist_key"] != ""]
    ids = {g: i for i, g in enumerate(sorted(set(exploded["genre"])))}
    per_artist = exploded.groupby("artist_key").agg(
        genre_ids=("genre", lambda gs: sorted({ids[g] for g in gs}))
    )
    per_artist["tracks"] = table.groupby("artist_key")["tracks"].sum()
    return per_artist.reset_index(), ids


def _incidence(lists: list[list[int]], width: int) -> sparse.csr_matrix:
    rows = np.repeat(np.arange(len(lists)), [len(x) for x in lists])
    cols = np.fromiter((g for x in lists for g in x), dtype=np.int64, count=len(rows))
    data = np.ones(len(rows), dtype=np.float64)
    return sparse.csr_matrix((data, (rows, cols)), shape=(len(lists), width))


def _genre_signals(
    samples: pd.DataFrame,
    keys: pd.DataFrame,
    own: pd.DataFrame,
    genres: pd.DataFrame | None,
    total: float,
) -> tuple[np.ndarray, np.ndarray]:
    missing = np.full(len(samples), np.nan)
    if genres is None or genres.empty:
        return missing, missing.copy()
    artists, ids = _artist_genres(genres)
    if artists.empty:
        return missing, missing.copy()
    position = {a: i for i, a in enumerate(artists["artist_key"])}
    sample_ids: list[set[int]] = [set() for _ in range(len(samples))]
    for row, artist_key in zip(own["row"], own["artist_key"], strict=True):
        if artist_key in position:
            sample_ids[row].update(artists.at[position[artist_key], "genre_ids"])
    # Which artists share at least one genre with each sample: samples x artists.
    shares = (
        _incidence([sorted(s) for s in sample_ids], len(ids))
        @ _incidence(list(artists["genre_ids"]), len(ids)).T
    )
    shares = (shares > 0).astype(np.float64)
    streamed = keys.groupby("artist_key")["streams"].sum()
    artist_streams = artists["artist_key"].map(streamed).fillna(0.0).to_numpy()
    # The sample's own plays, under any of its artists with genres, are in the sum.
    own_known = own[own["artist_key"].isin(position)].groupby("row")["streams"].sum()
    own_sum = own_known.reindex(np.arange(len(samples)), fill_value=0.0).to_numpy()
    near = np.asarray(shares @ artist_streams).ravel() - own_sum
    known = np.array([bool(s) for s in sample_ids])
    share = np.where(known, near / total if total > 0 else 0.0, np.nan)
    tracks = artists["tracks"].to_numpy(dtype=float)
    common = np.asarray(shares @ tracks).ravel() / max(tracks.sum(), 1.0)
    with np.errstate(divide="ignore", invalid="ignore"):
        lift = np.where(known & (common > 0), share / common, np.nan)
    return share, lift


def _years(dates: pd.Series, precisions: pd.Series) -> np.ndarray:
    return np.array(
        [release_parts(d, p)[0] for d, p in zip(dates, precisions, strict=True)], dtype=float
    )


def _era_signal(
    samples: pd.DataFrame, played: pd.DataFrame, keys: pd.DataFrame, total: float
) -> np.ndarray:
    years = _years(samples["release_date"], samples["release_date_precision"])
    if total <= 0 or "release_date" not in played.columns:
        return np.where(np.isnan(years), np.nan, 0.0)
    dated = keys.assign(
        year=_years(
            played.loc[keys.index, "release_date"],
            played.loc[keys.index, "release_date_precision"],
        )
    )
    dated = dated[dated["year"].notna() & (dated["streams"] > 0)]
    by_year = dated.groupby("year")["streams"].sum().sort_index()
    cumulative = np.concatenate([[0.0], by_year.cumsum().to_numpy()])
    low = np.searchsorted(by_year.index.to_numpy(), years - ERA_YEARS, side="left")
    high = np.searchsorted(by_year.index.to_numpy(), years + ERA_YEARS, side="right")
    window = cumulative[high] - cumulative[low]
    # Leave the track's own dated plays out when they fall in its window.
    pairs = sample_artist_keys(samples=samples)[["row", "artist_key", "track_key"]]
    own = pairs.merge(dated, how="inner", on=["artist_key", "track_key"])
    own = own[np.abs(own["year"].to_numpy() - years[own["row"].to_numpy()]) <= ERA_YEARS]
    own_sum = own.groupby("row")["streams"].sum().reindex(np.arange(len(samples)), fill_value=0)
    return np.where(np.isnan(years), np.nan, (window - own_sum.to_numpy()) / total)
