"""Run an iterator on a background thread, a few items ahead of its consumer.

A roster walk is a chain of requests, each naming the next; staging a page can run while the
next one is on the wire. In a sync the producer thread fetches and decodes pages, and the
consumer hands each to the database in one statement, during which it holds no interpreter
lock: the two really run at once.

Errors raised by the source reach the consumer at the point in the stream where they happened.
If the consumer stops early (an error of its own, a cancel) the producer is told to stop and is
waited for, so no thread outlives the call.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Iterable, Iterator
from typing import TypeVar

T = TypeVar("T")

_DONE = object()


def prefetch(source: Iterable[T], *, depth: int = 8, name: str = "prefetch") -> Iterator[T]:
    """Yield the items of ``source``, produced on a thread up to ``depth`` items ahead."""
    items: queue.Queue[object] = queue.Queue(maxsize=depth)
    stop = threading.Event()

    def offer(item: object) -> bool:
        while not stop.is_set():
            try:
                items.put(item, timeout=0.1)
            except queue.Full:
                continue
            return True
        return False

    def produce() -> None:
        try:
            for item in source:
                if not offer(item):
                    return
            offer(_DONE)
        except BaseException as exc:  # handed to the consumer, re-raised there
            offer(exc)

    thread = threading.Thread(target=produce, name=name, daemon=True)
    thread.start()
    try:
        while True:
            item = items.get()
            if item is _DONE:
                return
            if isinstance(item, BaseException):
                raise item
            yield item  # type: ignore[misc]
    finally:
        stop.set()
        thread.join()
