"""Reading ahead in a thread keeps the order, the errors and the clean-up of the source."""

from __future__ import annotations

import threading

import pytest

from streams.errors import ImportRejected
from streams.history.prefetch import prefetched


def test_items_arrive_in_order_from_another_thread():
    threads = set()

    def produce():
        for n in range(50):
            threads.add(threading.current_thread().name)
            yield n

    assert list(prefetched(produce(), depth=3)) == list(range(50))
    assert threads == {"prefetch"}


def test_an_error_arrives_after_the_items_before_it():
    def produce():
        yield 1
        yield 2
        raise ImportRejected("bad.json: row 7")

    received = []
    with pytest.raises(ImportRejected, match=r"bad\.json: row 7"):
        for item in prefetched(produce()):
            received.append(item)
    assert received == [1, 2]


def test_stopping_early_closes_the_source_in_its_thread():
    closed = threading.Event()

    def produce():
        try:
            n = 0
            while True:
                yield n
                n += 1
        finally:
            closed.set()

    items = prefetched(produce(), depth=2)
    assert next(items) == 0
    items.close()
    assert closed.is_set()
