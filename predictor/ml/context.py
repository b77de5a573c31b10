"""User-context features: how familiar the user already is with a track's artists.

All signals are leave-one-track-out: a track's own plays never count towards its own
features, so the target (streams of that track) cannot leak into them, and a track the
user has played gets the same kind of value at training time and at serving time.
They are computed from a per-name streams table (`records.PlayedName`) that covers
every play of the user, resolved or not: an artist's unresolved plays still say the
user likes the artist.
"""

from __future__ import annotations

import re
import unicodedata

import numpy as np
import pandas as pd

CONTEXT_FEATURES: tuple[str, ...] = (
    "artist_streams_other",
    "artist_tracks_other",
    "artist_stream_share",
    "artist_skip_rate_other",
    "album_streams_other",
)

_BRACKETED_EXTRA = re.compile(
    r"\s*[(\[][^)\]]*\b(feat|ft|with|remaster\w*|live|edit)\b[^)\]]*[)\]]"
)
_DASHED_EXTRA = re.compile(r"\s+-\s+.*\b(remaster\w*|remix|live|edit|version|mono|stereo)\b.*$")
_NON_WORD = re.compile(r"[^0-9a-z]+")


def name_key(text: object) -> str:
    """Case-, accent- and punctuation-insensitive key for a track, artist or album name.

    Featured-artist and remaster suffixes are dropped so "Song (feat. X) - 2011
    Remaster" and "Song" are the same track for the leave-one-out rule.
    """
    if not isinstance(text, str):
        return ""
    folded = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().lower()
    folded = _DASHED_EXTRA.sub("", _BRACKETED_EXTRA.sub("", folded))
    key = _NON_WORD.sub(" ", folded).strip()
    # Names in non-Latin scripts fold to nothing; keep them distinguishable.
    return key or text.strip().casefold()


def _played_keys(played: pd.DataFrame, samples: pd.DataFrame) -> pd.DataFrame:
    table = pd.DataFrame(
        {
            "artist_key": played["artist_name"].map(name_key),
            "track_key": played["track_name"].map(name_key),
            "album_key": played["album_name"].map(name_key),
            "plays": pd.to_numeric(played["plays"], errors="coerce").fillna(0.0),
            "streams": pd.to_numeric(played["streams"], errors="coerce").fillna(0.0),
        }
    )
    # A resolved play belongs to its track even when the export spelled it differently.
    ids = played["spotify_id"].where(played["spotify_id"].notna(), None)
    sample_keys = pd.Series(
        samples["name"].map(name_key).to_numpy(), index=samples["spotify_id"].to_numpy()
    )
    sample_keys = sample_keys[sample_keys.index.notna()]
    sample_keys = sample_keys[~sample_keys.index.duplicated()]
    canonical = ids.map(sample_keys)
    table["track_key"] = canonical.where(canonical.notna(), table["track_key"])
    return table[table["artist_key"] != ""]


def _sample_artists(samples: pd.DataFrame) -> pd.DataFrame:
    frame = pd.DataFrame(
        {
            "row": np.arange(len(samples)),
            "artist": samples["artists"].to_numpy(),
            "track_key": samples["name"].map(name_key).to_numpy(),
            "album_key": samples["album"].map(name_key).to_numpy(),
        }
    ).explode("artist")
    frame["artist_key"] = frame["artist"].map(name_key)
    frame = frame[frame["artist_key"] != ""]
    return frame.drop_duplicates(["row", "artist_key"]).drop(columns="artist")


def _sum_by(table: pd.DataFrame, keys: list[str], suffix: str) -> pd.DataFrame:
    grouped = table.groupby(keys, as_index=False)[["plays", "streams"]].sum()
    grouped["streamed_tracks"] = 0.0
    if suffix == "artist":
        per_track = table.groupby(["artist_key", "track_key"])["streams"].sum()
        counts = (per_track > 0).groupby(level="artist_key").sum()
        grouped["streamed_tracks"] = grouped["artist_key"].map(counts).astype(float)
    return grouped.rename(columns={c: f"{c}_{suffix}" for c in grouped.columns if c not in keys})


def context_add(*, samples: pd.DataFrame, played: pd.DataFrame) -> pd.DataFrame:
    """A copy of `samples` with every CONTEXT_FEATURES column filled from `played`.

    A user with no plays gets zeros (they truly know none of the artists), except the
    skip rate, which is undefined (NaN) when there are no other plays to rate.
    """
    out = samples.copy()
    table = _played_keys(played, samples) if len(played) else None
    per_row = _context_rows(samples, table)
    for name in CONTEXT_FEATURES:
        out[name] = per_row[name].to_numpy()
    return out


def _context_rows(samples: pd.DataFrame, table: pd.DataFrame | None) -> pd.DataFrame:
    rows = pd.DataFrame(index=np.arange(len(samples)))
    if table is None or table.empty:
        for name in CONTEXT_FEATURES:
            rows[name] = 0.0
        rows["artist_skip_rate_other"] = np.nan
        return rows
    pairs = _sample_artists(samples)
    pairs = pairs.merge(_sum_by(table, ["artist_key"], "artist"), how="left", on="artist_key")
    own = _sum_by(table, ["artist_key", "track_key"], "own")
    pairs = pairs.merge(own, how="left", on=["artist_key", "track_key"])
    album = _sum_by(table, ["artist_key", "album_key"], "album")
    pairs = pairs.merge(album, how="left", on=["artist_key", "album_key"])
    album_own = _sum_by(table, ["artist_key", "album_key", "track_key"], "album_own")
    pairs = pairs.merge(album_own, how="left", on=["artist_key", "album_key", "track_key"])
    pairs = pairs.fillna(0.0)
    pairs["other_streams"] = pairs["streams_artist"] - pairs["streams_own"]
    pairs["other_plays"] = pairs["plays_artist"] - pairs["plays_own"]
    pairs["other_tracks"] = pairs["streamed_tracks_artist"] - (pairs["streams_own"] > 0)
    # An album key of "" (unknown album) must not pool every album-less play together.
    has_album = pairs["album_key"] != ""
    pairs["album_other"] = (pairs["streams_album"] - pairs["streams_album_own"]).where(
        has_album, 0
    )
    columns = ["other_streams", "other_plays", "other_tracks", "album_other", "streams_own"]
    sums = pairs.groupby("row")[columns].sum().reindex(rows.index, fill_value=0.0)
    # The share's denominator also leaves the track out, or heavy streaming of the
    # track itself would shrink its own feature.
    total = float(table["streams"].sum()) - sums["streams_own"]
    rows["artist_streams_other"] = sums["other_streams"]
    rows["artist_tracks_other"] = sums["other_tracks"]
    rows["artist_stream_share"] = (sums["other_streams"] / total.where(total > 0)).fillna(0.0)
    plays = sums["other_plays"].where(sums["other_plays"] > 0)
    rows["artist_skip_rate_other"] = (plays - sums["other_streams"]) / plays
    rows["album_streams_other"] = sums["album_other"]
    return rows
