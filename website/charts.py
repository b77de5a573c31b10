"""Chart payloads: the selectors' records turned into the labels/values Chart.js draws.

Pure functions over dataclasses; the pages embed the result with `json_script`.
"""

from __future__ import annotations

from typing import Any

from streams.selectors_stats import BucketCount, StatsOverview, YearRecap

WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
MS_PER_HOUR = 3_600_000


def _measure(row: Any, by: str) -> float:
    """Streams when ranking by count, hours listened when ranking by time."""
    return round(row.ms_played / MS_PER_HOUR, 2) if by == "time" else row.streams


def _series(labels: list[str], values: list[float], label: str) -> dict[str, Any]:
    return {"labels": labels, "values": values, "label": label}


def _profile(rows: list[BucketCount], labels: list[str], by: str, label: str) -> dict[str, Any]:
    return _series(labels, [_measure(r, by) for r in rows], label)


def stats_charts(*, overview: StatsOverview) -> dict[str, Any]:
    by = overview.by
    unit = "hours listened" if by == "time" else "streams"
    return {
        "unit": unit,
        "top_tracks": _series(
            [f"{t.track_name} — {t.artist_name}" for t in overview.top_tracks],
            [_measure(t, by) for t in overview.top_tracks],
            unit,
        ),
        "top_artists": _series(
            [a.artist_name for a in overview.top_artists],
            [_measure(a, by) for a in overview.top_artists],
            unit,
        ),
        "per_month": _series(
            [m.month.strftime("%Y-%m") for m in overview.plays_per_month],
            [_measure(m, by) for m in overview.plays_per_month],
            unit,
        ),
        "hour_of_day": _profile(
            overview.hour_of_day, [f"{b.bucket:02d}h" for b in overview.hour_of_day], by, unit
        ),
        "weekday": _profile(
            overview.weekday, [WEEKDAYS[b.bucket - 1] for b in overview.weekday], by, unit
        ),
    }


def recap_chart(*, recap: YearRecap) -> dict[str, Any]:
    return _series(
        [a.artist_name for a in recap.top_artists],
        [round(a.ms_played / MS_PER_HOUR, 2) for a in recap.top_artists],
        "hours listened",
    )


IMPORTANCE_BARS = 12


def holdout_scatter(*, points: list[list[float]] | list[tuple[float, float]]) -> dict[str, Any]:
    """(actual, predicted) pairs of the holdout: x is what happened, y what the model said."""
    return {
        "label": "holdout tracks",
        "points": [
            {"x": float(actual), "y": round(float(predicted), 3)} for actual, predicted in points
        ],
        "x_label": "actual streams",
        "y_label": "predicted streams",
    }


def importance_bars(*, importances: dict[str, float]) -> dict[str, Any]:
    """The features that matter most (permutation importance), largest first."""
    ranked = sorted(importances.items(), key=lambda item: abs(item[1]), reverse=True)
    top = ranked[:IMPORTANCE_BARS]
    return _series(
        [name.replace("_", " ") for name, _ in top],
        [round(value, 4) for _, value in top],
        "importance",
    )
