"""Run a callback at most once per interval, always ending with the latest call.

Filter-as-you-type must not re-filter 100,000 rows on every keystroke of a fast typist, yet the
first letter should act at once and the last one must never be lost. A debounce (wait until
typing pauses) feels sluggish; this throttle fires immediately when idle and then at most once
per interval.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from PySide6.QtCore import QObject, QTimer


class Throttle(QObject):
    def __init__(self, callback: Callable[[], None], interval_ms: int, parent: QObject) -> None:
        super().__init__(parent)
        self._callback = callback
        self._interval = interval_ms
        self._last = 0.0
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.timeout.connect(self._fire)

    def __call__(self, *_args: object) -> None:
        if self._timer.isActive():
            return  # the pending call will see the latest state
        elapsed_ms = (time.monotonic() - self._last) * 1000
        if elapsed_ms >= self._interval:
            self._fire()
        else:
            self._timer.start(int(self._interval - elapsed_ms))

    @property
    def pending(self) -> bool:
        return self._timer.isActive()

    def flush(self) -> None:
        """Run a pending call now (tests, and before reading the filtered rows)."""
        if self._timer.isActive():
            self._timer.stop()
            self._fire()

    def _fire(self) -> None:
        self._last = time.monotonic()
        self._callback()
