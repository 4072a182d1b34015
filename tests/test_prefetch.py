"""The background prefetcher used by roster walks."""

from __future__ import annotations

import threading
from collections.abc import Iterator

import pytest

from rostergui.core.prefetch import prefetch


def test_yields_everything_in_order() -> None:
    assert list(prefetch(iter(range(100)), depth=3)) == list(range(100))


def test_source_errors_arrive_where_they_happened() -> None:
    def source() -> Iterator[int]:
        yield 1
        yield 2
        raise ValueError("page 3 broke")

    seen: list[int] = []
    with pytest.raises(ValueError, match="page 3"):
        seen.extend(prefetch(source()))
    assert seen == [1, 2]


def test_stopping_early_stops_the_producer() -> None:
    produced = []
    finished = threading.Event()

    def source() -> Iterator[int]:
        try:
            for i in range(10_000):
                produced.append(i)
                yield i
        finally:
            finished.set()

    for item in prefetch(source(), depth=2):
        if item == 5:
            break
    assert finished.wait(5)
    assert len(produced) < 20  # it stayed only a few items ahead
    assert not [t for t in threading.enumerate() if t.name == "prefetch"]
