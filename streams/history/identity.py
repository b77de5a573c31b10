"""The identity of a play (the rule is documented on `streams.models.Play`).

Account-data exports give the end time to the minute only, so two plays are the same
play when they ended in the same UTC minute, have the same track and artist names
(case-folded) and the same ms_played. Both export kinds map to this key, which is why
an account-data export imported after an overlapping extended one adds nothing.
"""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime

_SEPARATOR = "\x1f"  # a control character no exported name contains


def play_minute(played_at: datetime) -> str:
    """'YYYY-MM-DDTHH:MM' of an aware datetime, in UTC."""
    if played_at.tzinfo is not UTC:
        played_at = played_at.astimezone(UTC)
    # %-formatting: a third of the cost of isoformat(), once per exported row.
    return "%04d-%02d-%02dT%02d:%02d" % (  # noqa: UP031
        played_at.year,
        played_at.month,
        played_at.day,
        played_at.hour,
        played_at.minute,
    )


def play_dedupe_key(*, minute: str, track_name: str, artist_name: str, ms_played: int) -> str:
    """40 hex characters; the database keeps (user, dedupe_key) unique."""
    parts = _SEPARATOR.join(
        (minute, track_name.casefold(), artist_name.casefold(), str(ms_played))
    )
    return hashlib.sha1(parts.encode(), usedforsecurity=False).hexdigest()
