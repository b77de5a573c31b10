"""The database-backed rate limiter every worker shares."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from streams.clients.errors import RateLimited
from streams.enrichment.ratelimit import source_block, source_blocked_until, source_slot_acquire
from streams.models import SourceRateLimit

pytestmark = pytest.mark.django_db


@pytest.fixture
def waits() -> list[float]:
    return []


def test_requests_are_paced_by_slots_handed_out_in_order(settings, waits):
    settings.MUSICFLOW_SOURCE_MIN_INTERVAL = {"reccobeats": 0.5}

    for _ in range(3):
        source_slot_acquire(source="reccobeats", sleep=waits.append)

    assert waits == [pytest.approx(0.5, abs=0.05), pytest.approx(1.0, abs=0.05)]
    row = SourceRateLimit.objects.get(source="reccobeats")
    assert row.next_request_at > timezone.now() + timedelta(seconds=1.3)


def test_a_slot_further_away_than_a_call_may_wait_is_handed_back_as_retry_at(settings, waits):
    settings.MUSICFLOW_SOURCE_MIN_INTERVAL = {"spotify": 5.0}
    source_slot_acquire(source="spotify", sleep=waits.append)

    with pytest.raises(RateLimited) as limited:
        source_slot_acquire(source="spotify", sleep=waits.append)

    assert waits == []
    assert limited.value.retry_at > timezone.now() + timedelta(seconds=4)


def test_a_block_stops_every_caller_until_it_ends_and_is_only_ever_extended(settings, waits):
    settings.MUSICFLOW_SOURCE_MIN_INTERVAL = {"spotify": 0.0}
    later = timezone.now() + timedelta(hours=1)
    source_block(source="spotify", until=later)
    source_block(source="spotify", until=timezone.now() + timedelta(minutes=1))

    with pytest.raises(RateLimited) as limited:
        source_slot_acquire(source="spotify", sleep=waits.append)

    assert limited.value.retry_at == later
    assert source_blocked_until(source="spotify") == later
    SourceRateLimit.objects.update(blocked_until=timezone.now() - timedelta(seconds=1))
    source_slot_acquire(source="spotify", sleep=waits.append)
    assert source_blocked_until(source="spotify") is None
