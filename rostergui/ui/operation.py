"""Background work: one typed operation, its thread, and the owner that stops them all.

The GUI thread never waits on the network or on a long database query. An :class:`Operation`
runs a job on a thread of its own and hands its result, its error or its progress back on the
GUI thread, so callers write ordinary callbacks and never touch threads. The result's type is
checked from the job to its success callback (``Callable[[], T]`` → ``Callable[[T], None]``);
no value ever travels in a signal. The worker only stores the outcome on the operation and
wakes the GUI thread with an argument-less queued signal; the slot there reads the outcome and
calls the typed callback.

A job that reports progress receives a :class:`Reporter`: its :attr:`~Reporter.cancel` event
is the Cancel button (the core checks it between pages) and :meth:`~Reporter.report` reaches
``on_progress`` on the GUI thread, throttled (1,000 pages a second cannot flood the event loop)
and coalesced (only the newest report waits to be shown).

:class:`Operations` owns a window's operations: :attr:`~Operations.busy` while any runs, and
:meth:`~Operations.shutdown` on close, which cancels them and waits a bounded time. Threads are
plain daemon threads, so one that does not stop in time never aborts the process (as a running
``QThread`` being destroyed would); its callbacks are dropped.

This module imports no part of the core: the window uses it before the first frame.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from typing import Any, Generic, TypeVar

from PySide6.QtCore import QObject, Signal, SignalInstance, Slot

log = logging.getLogger(__name__)

T = TypeVar("T")
P = TypeVar("P")

#: Progress reaches the window at most this often (seconds between updates).
PROGRESS_INTERVAL = 0.1


class Reporter(Generic[P]):
    """What a running job sees of its operation: the cancel flag and a progress channel."""

    def __init__(
        self,
        cancel: threading.Event,
        deliver: Callable[[P], None],
        *,
        phase: Callable[[P], object] | None = None,
        interval: float = PROGRESS_INTERVAL,
    ) -> None:
        self.cancel = cancel
        self._deliver = deliver
        self._phase_of = phase
        self._interval = interval
        self._last = 0.0
        self._phase: object = None

    @property
    def cancelled(self) -> bool:
        return self.cancel.is_set()

    def report(self, value: P) -> None:
        """Called on the worker thread; forwards at most one report per interval, and every
        change of phase (when the operation was given a ``phase`` function)."""
        now = time.monotonic()
        phase = self._phase_of(value) if self._phase_of is not None else None
        if phase != self._phase or now - self._last >= self._interval:
            self._phase = phase
            self._last = now
            self._deliver(value)


class _Wake(QObject):
    """Lives on the GUI thread. The worker emits its argument-less signals; the queued
    connections run the typed closures it holds on the GUI thread."""

    ended = Signal()
    progressed = Signal()

    def __init__(self, on_end: Callable[[], None], on_progress: Callable[[], None]) -> None:
        super().__init__()
        self._on_end = on_end
        self._on_progress = on_progress
        self.ended.connect(self._end)
        self.progressed.connect(self._progress)

    @Slot()
    def _end(self) -> None:
        self._on_end()

    @Slot()
    def _progress(self) -> None:
        self._on_progress()


class Operation(Generic[T, P]):
    """One job on its own thread; its outcome reaches ``on_done`` or ``on_error`` on the GUI
    thread (create it on the GUI thread, through :class:`Operations`)."""

    def __init__(
        self,
        owner: Operations,
        job: Callable[[Reporter[P]], T],
        on_done: Callable[[T], None],
        on_error: Callable[[BaseException], None] | None,
        on_progress: Callable[[P], None] | None,
        *,
        name: str,
        cancel: threading.Event | None = None,
        phase: Callable[[P], object] | None = None,
    ) -> None:
        self.name = name
        self.cancel_event = cancel if cancel is not None else threading.Event()
        self.finished = False
        self._owner = owner
        self._job = job
        self._on_done = on_done
        self._on_error = on_error
        self._on_progress = on_progress
        self._lock = threading.Lock()
        self._result: tuple[T] | None = None
        self._error: BaseException | None = None
        self._latest: tuple[P] | None = None
        self._reporter: Reporter[P] = Reporter(self.cancel_event, self._post, phase=phase)
        self._wake = _Wake(self._deliver, self._deliver_progress)
        self._thread = threading.Thread(target=self._run, name=name, daemon=True)

    # --- worker thread ----------------------------------------------------------------------

    def _run(self) -> None:
        try:
            self._result = (self._job(self._reporter),)
        except BaseException as exc:  # every failure must reach the window
            self._error = exc
        finally:
            self._wake_up(self._wake.ended)

    def _post(self, value: P) -> None:
        with self._lock:
            waiting = self._latest is not None
            self._latest = (value,)
        if not waiting:
            self._wake_up(self._wake.progressed)

    def _wake_up(self, signal: SignalInstance) -> None:
        try:
            signal.emit()
        except RuntimeError:  # the application is gone (an operation that outlived shutdown)
            log.info("Background operation %s ended after the window", self.name)

    # --- GUI thread -------------------------------------------------------------------------

    def start(self) -> None:
        self._thread.start()

    def cancel(self) -> None:
        self.cancel_event.set()

    @property
    def running(self) -> bool:
        return self._thread.is_alive()

    def join(self, timeout: float | None = None) -> bool:
        """Wait for the thread; True when it ended."""
        self._thread.join(timeout)
        return not self._thread.is_alive()

    def _deliver_progress(self) -> None:
        with self._lock:
            latest, self._latest = self._latest, None
        if latest is None or self.finished or self._owner.closed:
            return
        if self._on_progress is not None:
            self._on_progress(latest[0])

    def _deliver(self) -> None:
        self.finished = True
        self._thread.join()  # it emitted its last signal: ending now
        self._owner.forget(self)
        self._wake.deleteLater()
        error, result = self._error, self._result
        self._error = self._result = None
        if self._owner.closed:
            if error is not None:
                log.info("Background operation %s failed after close: %r", self.name, error)
            return
        if error is not None:
            if self._on_error is not None:
                self._on_error(error)
            else:
                log.error("Background operation %s failed", self.name, exc_info=error)
        elif result is not None:
            self._on_done(result[0])


class Operations(QObject):
    """Starts operations, keeps them alive until they report back, and stops them on close."""

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._running: set[Operation[Any, Any]] = set()
        #: Shut down: no new operation starts and no callback runs any more.
        self.closed = False

    def run(
        self,
        job: Callable[[], T],
        on_done: Callable[[T], None],
        on_error: Callable[[BaseException], None] | None = None,
        *,
        name: str = "operation",
    ) -> Operation[T, None]:
        """Run ``job()`` in the background; its result goes to ``on_done`` on the GUI thread."""

        def plain(_reporter: Reporter[None]) -> T:
            return job()

        return self.run_with_progress(plain, on_done, on_error, name=name)

    def run_with_progress(
        self,
        job: Callable[[Reporter[P]], T],
        on_done: Callable[[T], None],
        on_error: Callable[[BaseException], None] | None = None,
        *,
        on_progress: Callable[[P], None] | None = None,
        phase: Callable[[P], object] | None = None,
        cancel: threading.Event | None = None,
        name: str = "operation",
    ) -> Operation[T, P]:
        """Run ``job(reporter)``: the job may read ``reporter.cancel`` and call
        ``reporter.report(value)``, which reaches ``on_progress`` on the GUI thread (throttled;
        every change of ``phase(value)`` gets through)."""
        operation: Operation[T, P] = Operation(
            self, job, on_done, on_error, on_progress, name=name, cancel=cancel, phase=phase
        )
        if self.closed:
            log.info("Not starting %s: the window is closing", name)
            return operation
        self._running.add(operation)
        operation.start()
        return operation

    def forget(self, operation: Operation[T, P]) -> None:
        self._running.discard(operation)

    @property
    def busy(self) -> bool:
        return bool(self._running)

    def shutdown(self, timeout_ms: int = 10_000) -> bool:
        """Cancel everything and wait for the threads, at most ``timeout_ms`` in all; True when
        all stopped in time. Callbacks of operations ending later are dropped."""
        self.closed = True
        running = list(self._running)
        for operation in running:
            operation.cancel()
        deadline = time.monotonic() + timeout_ms / 1000
        all_stopped = True
        for operation in running:
            if not operation.join(max(0.0, deadline - time.monotonic())):
                log.warning("Background operation %s did not stop in time", operation.name)
                all_stopped = False
        self._running.clear()
        return all_stopped
