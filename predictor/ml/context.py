"""User-context features: how familiar the user already is with a track's artists.

All signals are leave-one-track-out: a track's own plays never count towards its own
features, so the target (streams of that track) cannot leak into them, and a track the
user has played gets the same kind of value at training time and at serving time.
They are computed from a per-name streams table (`records.PlayedName`) that covers
every play of the user, resolved or not: an artist's unresolved plays still say the
user likes the artist.

The library signals come from a second table, the tracks the user saved
(`records.SavedName`, from the export's YourLibrary.json). Saving is a separate action
from streaming, recorded for any song whether or not it was ever played, and known at
serving time for whatever song is asked about, so `is_saved` is an input like any
other, not a copy of the target. Which saved tracks a user streamed is for the model
to learn; nothing here looks at plays. A user whose library is unknown (an extended
export has none) gets them missing, never zero.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

import numpy as np
import pandas as pd

# Every signal computed here; measured on the real histories (README, "Models and
# training") with predictor.ml.ablation.
CONTEXT_SIGNALS: tuple[str, ...] = (
    "artist_streams_other",
    "artist_tracks_other",
    "artist_skip_rate_other",
    "album_streams_other",
    "is_saved",
    "artist_saved_tracks_other",
)
# Computed from the user's saved library rather than their plays.
LIBRARY_SIGNALS: tuple[str, ...] = ("is_saved", "artist_saved_tracks_other")
# The ones the model uses: each raised cross-validated D^2 and AUC on the real
# account-data history when added alone (streams and tracks overlap a lot, but each
# helps). album_streams_other had no measurable effect (account-data exports carry no
# album names; the extended history is too small to tell), so it stays out. A
# share-of-all-streams signal was removed for good: a denominator that leaves the
# track's own streams out moves with them and leaks the target, and one that keeps
# them in adds nothing to the count.
# is_saved (the user's library) lifted cross-validated D^2 by 0.08 and AUC by 0.04 on
# top of the three; artist_saved_tracks_other helped alone but added nothing on top of
# them, and with is_saved it lowered AUC, so it is computed and not used.
CONTEXT_FEATURES: tuple[str, ...] = (
    "artist_streams_other",
    "artist_tracks_other",
    "artist_skip_rate_other",
    "is_saved",
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


def played_keys(*, played: pd.DataFrame) -> pd.DataFrame:
    """The per-name streams table keyed the way every context signal reads it.

    One row per row of `played` (same index): artist_key, track_key, album_key, plays
    and streams. A resolved play belongs to its track even when the export spelled it
    differently, so its title is the resolved track's name.
    """
    titles = played["resolved_name"].where(played["resolved_name"].notna(), played["track_name"])
    return pd.DataFrame(
        {
            "artist_key": played["artist_name"].map(name_key),
            "track_key": titles.map(name_key),
            "album_key": played["album_name"].map(name_key),
            "plays": pd.to_numeric(played["plays"], errors="coerce").fillna(0.0),
            "streams": pd.to_numeric(played["streams"], errors="coerce").fillna(0.0),
        },
        index=played.index,
    )


def _played_table(played: pd.DataFrame) -> pd.DataFrame:
    table = played_keys(played=played)
    return table[table["artist_key"] != ""]


def played_without_tracks(*, played: pd.DataFrame, samples: pd.DataFrame) -> pd.DataFrame:
    """`played` without the rows that are these samples' own plays (by the rule every
    signal uses to leave a track's own plays out).

    The ablation computes each test fold's context from this: no row's context then
    holds the plays of any track it is tested on, which exposes signals whose
    leave-one-out value tells streamed tracks from unplayed ones (see ablation).
    """
    if played.empty or samples.empty:
        return played
    own = sample_artist_keys(samples=samples)[["artist_key", "track_key"]].drop_duplicates()
    keys = played_keys(played=played)
    marked = keys.merge(own.assign(_own=True), how="left", on=["artist_key", "track_key"])
    return played[~marked["_own"].fillna(False).astype(bool).to_numpy()]


def _sum_by(table: pd.DataFrame, keys: list[str], suffix: str) -> pd.DataFrame:
    grouped = table.groupby(keys, as_index=False)[["plays", "streams"]].sum()
    if suffix == "artist":
        per_track = table.groupby(["artist_key", "track_key"])["streams"].sum()
        counts = (per_track > 0).groupby(level="artist_key").sum()
        grouped["streamed_tracks"] = grouped["artist_key"].map(counts).astype(float)
    return grouped.rename(columns={c: f"{c}_{suffix}" for c in grouped.columns if c not in keys})


@dataclass(frozen=True)
class ContextIndex:
    """The user's plays, pre-aggregated once so many samples can be looked up cheaply.

    Serving builds it once per user (and caches it); training builds it once per
    dataset.
    """

    per_artist: pd.DataFrame
    per_track: pd.DataFrame
    per_album: pd.DataFrame
    per_album_track: pd.DataFrame
    total_streams: float
    # (artist_key, track_key) of every saved track, and saved tracks per artist; None
    # when the user's library is unknown.
    saved_pairs: pd.DataFrame | None = None
    saved_per_artist: pd.DataFrame | None = None

    @property
    def empty(self) -> bool:
        return self.per_artist.empty


def _saved_tables(saved: pd.DataFrame | None) -> tuple[pd.DataFrame, pd.DataFrame] | None:
    if saved is None:
        return None
    pairs = pd.DataFrame(
        {
            "track_key": saved["track_name"].map(name_key).to_numpy(),
            "artist": saved["artists"].to_numpy(),
        }
    ).explode("artist")
    pairs["artist_key"] = pairs["artist"].map(name_key)
    pairs = pairs[(pairs["artist_key"] != "") & (pairs["track_key"] != "")]
    pairs = pairs[["artist_key", "track_key"]].drop_duplicates().astype(str)
    per_artist = pairs.groupby("artist_key", as_index=False).size()
    per_artist = per_artist.rename(columns={"size": "saved_artist"})
    return pairs.assign(saved_own=1.0), per_artist


def context_index_build(
    *, played: pd.DataFrame, saved: pd.DataFrame | None = None
) -> ContextIndex:
    """Aggregates a per-name streams table (see records.played_frame) and, when the
    user's library is known, their saved tracks (records.saved_frame; None: unknown)."""
    table = _played_table(played) if len(played) else None
    if table is None or table.empty:
        table = pd.DataFrame(
            {
                c: pd.Series(dtype=float if c in ("plays", "streams") else str)
                for c in ("artist_key", "track_key", "album_key", "plays", "streams")
            }
        )
    library = _saved_tables(saved)
    return ContextIndex(
        saved_pairs=library[0] if library else None,
        saved_per_artist=library[1] if library else None,
        per_artist=_sum_by(table, ["artist_key"], "artist"),
        per_track=_sum_by(table, ["artist_key", "track_key"], "own"),
        per_album=_sum_by(table, ["artist_key", "album_key"], "album"),
        per_album_track=_sum_by(table, ["artist_key", "album_key", "track_key"], "album_own"),
        total_streams=float(table["streams"].sum()),
    )


def sample_artist_keys(*, samples: pd.DataFrame) -> pd.DataFrame:
    """One row per (sample position `row`, credited artist): artist_key, track_key and
    album_key, the keys a sample's own plays are recognised by."""
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


def context_add(
    *,
    samples: pd.DataFrame,
    played: pd.DataFrame | None = None,
    saved: pd.DataFrame | None = None,
    index: ContextIndex | None = None,
) -> pd.DataFrame:
    """A copy of `samples` with every CONTEXT_SIGNALS column filled.

    Pass the user's per-name streams table as `played` (and their library as `saved`),
    or an index already built from them. A user with no plays gets zeros (they truly
    know none of the artists), except the skip rate, which is undefined (NaN) when
    there are no other plays; an unknown library leaves the library signals NaN.
    """
    if index is None:
        index = context_index_build(
            played=played if played is not None else pd.DataFrame(), saved=saved
        )
    out = samples.copy()
    per_row = _context_rows(samples, index)
    for name in CONTEXT_SIGNALS:
        out[name] = per_row[name].to_numpy()
    return out


def _pairs(samples: pd.DataFrame, index: ContextIndex) -> pd.DataFrame:
    pairs = sample_artist_keys(samples=samples)
    pairs = pairs.merge(index.per_artist, how="left", on="artist_key")
    pairs = pairs.merge(index.per_track, how="left", on=["artist_key", "track_key"])
    pairs = pairs.merge(index.per_album, how="left", on=["artist_key", "album_key"])
    pairs = pairs.merge(
        index.per_album_track, how="left", on=["artist_key", "album_key", "track_key"]
    )
    numeric = pairs.columns.difference(["row", "artist_key", "track_key", "album_key"])
    pairs[numeric] = pairs[numeric].astype(float).fillna(0.0)
    pairs["other_streams"] = pairs["streams_artist"] - pairs["streams_own"]
    pairs["other_plays"] = pairs["plays_artist"] - pairs["plays_own"]
    pairs["other_tracks"] = pairs["streamed_tracks_artist"] - (pairs["streams_own"] > 0)
    # An unknown album ("") must not pool every album-less play together.
    has_album = pairs["album_key"] != ""
    album_other = pairs["streams_album"] - pairs["streams_album_own"]
    pairs["album_other"] = album_other.where(has_album, 0.0)
    return pairs


def _context_rows(samples: pd.DataFrame, index: ContextIndex) -> pd.DataFrame:
    rows = pd.DataFrame(index=np.arange(len(samples)))
    library = _library_rows(samples, index)
    if index.empty:
        for name in CONTEXT_SIGNALS:
            rows[name] = 0.0
        rows["artist_skip_rate_other"] = np.nan
        return rows.assign(**library)
    columns = ["other_streams", "other_plays", "other_tracks", "album_other"]
    sums = _pairs(samples, index).groupby("row")[columns].sum()
    sums = sums.reindex(rows.index, fill_value=0.0)
    rows["artist_streams_other"] = sums["other_streams"]
    rows["artist_tracks_other"] = sums["other_tracks"]
    plays = sums["other_plays"].where(sums["other_plays"] > 0)
    rows["artist_skip_rate_other"] = (plays - sums["other_streams"]) / plays
    rows["album_streams_other"] = sums["album_other"]
    return rows.assign(**library)


def _library_rows(samples: pd.DataFrame, index: ContextIndex) -> dict[str, pd.Series]:
    """is_saved (the track itself, by name and any credited artist) and the saved
    tracks of its artists other than itself (summed over artists, like the streams)."""
    rows = pd.RangeIndex(len(samples))
    if index.saved_pairs is None or index.saved_per_artist is None:
        return {name: pd.Series(np.nan, index=rows) for name in LIBRARY_SIGNALS}
    pairs = sample_artist_keys(samples=samples).drop(columns="album_key")
    pairs = pairs.merge(index.saved_per_artist, how="left", on="artist_key")
    pairs = pairs.merge(index.saved_pairs, how="left", on=["artist_key", "track_key"])
    pairs[["saved_artist", "saved_own"]] = pairs[["saved_artist", "saved_own"]].fillna(0.0)
    pairs["saved_other"] = pairs["saved_artist"] - pairs["saved_own"]
    grouped = pairs.groupby("row").agg(own=("saved_own", "max"), other=("saved_other", "sum"))
    grouped = grouped.reindex(rows, fill_value=0.0).astype(float)
    return {"is_saved": grouped["own"], "artist_saved_tracks_other": grouped["other"]}
