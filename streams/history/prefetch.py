"""Run an iterator ahead in a background thread, a few items at a time.

The consumer gets the items in order, and the producer's exception (an
ImportRejected, say) at the point where the item would have been. When the consumer
stops early, the producer is told to stop and its iterator is closed in its own
thread, so files it opened are closed.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Iterable, Iterator
from typing import TypeVar

T = TypeVar("T")

_POLL_SECONDS = 0.1


class _Done:
    pass


class _Failed:
    def __init__(self, error: BaseException) -> None:
        self.error = error


def prefetched(items: Iterable[T], *, depth: int = 2) -> Iterator[T]:
    """Yield `items`, produced up to `depth` ahead in a daemon thread."""
    channel: queue.Queue[object] = queue.Queue(maxsize=max(1, depth))
    stop = threading.Event()
    producer = threading.Thread(
        target=_produce, args=(items, channel, stop), name="prefetch", daemon=True
    )
    producer.start()
    try:
        while True:
            item = channel.get()
            if isinstance(item, _Done):
                return
            if isinstance(item, _Failed):
                raise item.error
            yield item  # type: ignore[misc]
    finally:
        stop.set()
        producer.join()


def _produce(items: Iterable[T], channel: queue.Queue[object], stop: threading.Event) -> None:
    iterator = iter(items)
    try:
        for item in iterator:
            if not _put(channel, item, stop):
                return
        _put(channel, _Done(), stop)
    except BaseException as error:  # handed to the consumer, re-raised there
        _put(channel, _Failed(error), stop)
    finally:
        close = getattr(iterator, "close", None)
        if close is not None:
            close()


def _put(channel: queue.Queue[object], item: object, stop: threading.Event) -> bool:
    while not stop.is_set():
        try:
            channel.put(item, timeout=_POLL_SECONDS)
            return True
        except queue.Full:
            continue
    return False
