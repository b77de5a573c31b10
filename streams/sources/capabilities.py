"""Which capabilities of a source are usable now.

Spotify answers 403 to audio features (apps created after 2024-11-27, Development mode)
and to batch tracks (Development mode since 2026-03). Each is tried once; a 403 parks
the capability for MUSICFLOW_CAPABILITY_UNAVAILABLE_HOURS, then it is tried again in
case the app was granted extended quota meanwhile.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django.conf import settings
from django.utils import timezone

from streams.models import SourceCapability


def capability_unavailable_until(*, source: str, capability: str) -> datetime | None:
    until = (
        SourceCapability.objects.filter(source=source, capability=capability)
        .values_list("unavailable_until", flat=True)
        .first()
    )
    return until if until and until > timezone.now() else None


def capability_available(*, source: str, capability: str) -> bool:
    return capability_unavailable_until(source=source, capability=capability) is None


def capability_mark_unavailable(*, source: str, capability: str, reason: str) -> datetime:
    until = timezone.now() + timedelta(hours=settings.MUSICFLOW_CAPABILITY_UNAVAILABLE_HOURS)
    SourceCapability.objects.update_or_create(
        source=source,
        capability=capability,
        defaults={"unavailable_until": until, "reason": reason[:255]},
    )
    return until
