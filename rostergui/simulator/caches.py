"""The simulator's bounded state beside its request log: queued faults and cached pages.

None of these lock by themselves: the simulator uses each under its one lock, so that, for
example, a roster version is pinned and its page looked up in one step.

* :class:`FaultQueue`: the faults and attacks a test queued, each with how many more
  requests it hits.
* :class:`PageCache`: encoded roster pages per roster version and position (bounded in
  bytes), and role-filtered row lists per version and role (bounded in count), least recently
  used out first. A walk that was served once costs almost nothing the next time.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Sequence

from rostergui.simulator.attacks import Attack
from rostergui.simulator.ltiaas_api import MEMBERSHIPS_PATH
from rostergui.simulator.members import Entry
from rostergui.simulator.model import Fault

PAGE_CACHE_BYTES = 64 * 1024 * 1024
ROWS_CACHE_ENTRIES = 32


class FaultQueue:
    """Queued faults and attacks, oldest first, with the requests each still hits (``None``:
    until cleared)."""

    def __init__(self) -> None:
        self._queued: list[tuple[Fault | Attack, int | None]] = []

    def add(self, fault: Fault | Attack) -> None:
        self._queued.append((fault, fault.times))

    def clear(self) -> None:
        self._queued.clear()

    def pending(self) -> list[Fault | Attack]:
        return [fault for fault, _ in self._queued]

    def take(self, slug: str, page: int | None, path: str) -> Fault | Attack | None:
        """The first fault matching this request, counted as used once."""
        for pos, (fault, remaining) in enumerate(self._queued):
            if fault.course is not None and fault.course != slug:
                continue
            if fault.page is not None and fault.page != page:
                continue
            if isinstance(fault, Attack) and fault.roster_only and path != MEMBERSHIPS_PATH:
                continue
            if remaining is not None:
                if remaining <= 1:
                    del self._queued[pos]
                else:
                    self._queued[pos] = (fault, remaining - 1)
            return fault
        return None


class PageCache:
    """Encoded pages and role-filtered rows, least recently used out first."""

    def __init__(self) -> None:
        self._pages: OrderedDict[tuple[object, ...], bytes] = OrderedDict()
        self._pages_bytes = 0
        self._rows: OrderedDict[tuple[object, ...], Sequence[Entry]] = OrderedDict()

    def page(self, key: tuple[object, ...]) -> bytes | None:
        cached = self._pages.get(key)
        if cached is not None:
            self._pages.move_to_end(key)
        return cached

    def keep_page(self, key: tuple[object, ...], body: bytes) -> None:
        if key not in self._pages:
            self._pages[key] = body
            self._pages_bytes += len(body)
            while self._pages_bytes > PAGE_CACHE_BYTES and self._pages:
                _, old = self._pages.popitem(last=False)
                self._pages_bytes -= len(old)

    def rows(self, key: tuple[object, ...]) -> Sequence[Entry] | None:
        cached = self._rows.get(key)
        if cached is not None:
            self._rows.move_to_end(key)
        return cached

    def keep_rows(self, key: tuple[object, ...], rows: Sequence[Entry]) -> None:
        self._rows[key] = rows
        while len(self._rows) > ROWS_CACHE_ENTRIES:
            self._rows.popitem(last=False)
