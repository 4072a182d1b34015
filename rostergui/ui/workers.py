"""Background work: worker objects moved to their own ``QThread``.

The GUI thread never waits on the network or on a long database query. A :class:`TaskRunner`
runs a plain callable in a worker and hands its result or its error back on the GUI thread, so
callers write ordinary callbacks and never touch threads. A sync additionally reports progress
(throttled, so 1,000 pages a second cannot flood the event loop) and can be cancelled through a
``threading.Event`` that the core checks between pages.

:class:`~rostergui.core.service.RosterService` is thread-safe (each call opens its own
connection and HTTP client), so workers share it.
"""

from __future__ import annotations

import gc
import logging
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from PySide6.QtCore import QObject, QThread, Signal, Slot

from rostergui.core.sync import Progress

log = logging.getLogger(__name__)

#: Progress reaches the window at most this often (seconds between updates).
PROGRESS_INTERVAL = 0.1


# --- the garbage collector and big loads ------------------------------------------------------
#
# CPython's cyclic collector walks every tracked object while holding the interpreter lock, so
# a full collection stops every thread, the GUI thread included. With a 100,000-member roster in
# memory that is 0.1-0.2 s: a visibly frozen window. While a worker builds such a roster, the
# rows it allocates also trigger several full collections, each walking everything again. So a
# big load runs with automatic collection paused, and what it keeps is then moved out of the
# collector's sight for good (``gc.freeze``). Rows hold no reference cycles, so they are still
# freed the ordinary way when the next load replaces them.

_gc_lock = threading.Lock()
_gc_pausers = 0
_gc_was_enabled = False


@contextmanager
def collection_paused() -> Iterator[None]:
    """No automatic cyclic collection while the block runs (in any thread: the collector is
    process-wide). Nests and overlaps across threads; collection resumes when the last block
    ends, if it was on before the first."""
    global _gc_pausers, _gc_was_enabled  # noqa: PLW0603 - process-wide by nature
    with _gc_lock:
        if _gc_pausers == 0:
            _gc_was_enabled = gc.isenabled()
            gc.disable()
        _gc_pausers += 1
    try:
        yield
    finally:
        with _gc_lock:
            _gc_pausers -= 1
            if _gc_pausers == 0 and _gc_was_enabled:
                gc.enable()


def exempt_from_collection() -> None:
    """Move every object alive now out of the cyclic collector's sight (``gc.freeze``): later
    collections skip them, and reference counting still frees them when they are dropped.

    Only for after a big load: an object frozen here that later ends up in a reference cycle
    is never collected.
    """
    gc.freeze()


class Worker(QObject):
    """Runs ``job`` once on the thread it was moved to."""

    succeeded = Signal(object)
    failed = Signal(object)
    progressed = Signal(object)

    def __init__(self, job: Callable[[], Any]) -> None:
        super().__init__()
        self._job: Callable[[], Any] | None = job

    @Slot()
    def run(self) -> None:
        job, self._job = self._job, None
        if job is None:
            return
        try:
            result = job()
        except BaseException as exc:  # every failure must reach the window
            self.failed.emit(exc)
        else:
            self.succeeded.emit(result)


class ProgressThrottle:
    """Forwards at most one progress report per interval (and every phase change)."""

    def __init__(self, emit: Callable[[Progress], None], interval: float = PROGRESS_INTERVAL):
        self._emit = emit
        self._interval = interval
        self._last = 0.0
        self._phase = ""

    def __call__(self, progress: Progress) -> None:
        now = time.monotonic()
        if progress.phase != self._phase or now - self._last >= self._interval:
            self._phase = progress.phase
            self._last = now
            self._emit(progress)


class Task(QObject):
    """One background job, its thread and the callbacks that receive its outcome.

    The task lives on the GUI thread, so the queued signals from the worker run these slots
    there.
    """

    def __init__(
        self,
        runner: TaskRunner,
        job: Callable[[Task], Any],
        on_done: Callable[[Any], None] | None,
        on_error: Callable[[BaseException], None] | None,
        on_progress: Callable[[Any], None] | None,
        name: str,
    ) -> None:
        super().__init__(runner)
        self.name = name
        self.cancel_event = threading.Event()
        self._runner = runner
        self._on_done = on_done
        self._on_error = on_error
        self._on_progress = on_progress
        self.finished = False
        self.qthread = QThread()
        self.qthread.setObjectName(name)
        self.worker = Worker(lambda: job(self))
        self.worker.moveToThread(self.qthread)
        self.qthread.started.connect(self.worker.run)
        self.worker.succeeded.connect(self._succeeded)
        self.worker.failed.connect(self._failed)
        self.worker.progressed.connect(self._progressed)

    def start(self) -> None:
        self.qthread.start()

    def cancel(self) -> None:
        self.cancel_event.set()

    def report(self, value: object) -> None:
        """Called from the worker thread; delivered on the GUI thread."""
        self.worker.progressed.emit(value)

    @Slot(object)
    def _progressed(self, value: object) -> None:
        if self._on_progress is not None and not self.finished:
            self._on_progress(value)

    @Slot(object)
    def _succeeded(self, result: object) -> None:
        self._finish()
        if self._on_done is not None:
            self._on_done(result)

    @Slot(object)
    def _failed(self, exc: BaseException) -> None:
        self._finish()
        if self._on_error is not None:
            self._on_error(exc)
        else:
            log.error("Background task %s failed", self.name, exc_info=exc)

    def _finish(self) -> None:
        self.finished = True
        self.qthread.quit()
        self.qthread.wait()
        self._runner.forget(self)


class TaskRunner(QObject):
    """Starts tasks and keeps them alive until they finish; waits for them on shutdown."""

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._tasks: set[Task] = set()

    def run(
        self,
        job: Callable[[], Any],
        on_done: Callable[[Any], None] | None = None,
        on_error: Callable[[BaseException], None] | None = None,
        *,
        name: str = "task",
    ) -> Task:
        """Run ``job()`` in the background."""
        return self.run_with(lambda _task: job(), on_done, on_error, name=name)

    def run_with(
        self,
        job: Callable[[Task], Any],
        on_done: Callable[[Any], None] | None = None,
        on_error: Callable[[BaseException], None] | None = None,
        *,
        on_progress: Callable[[Any], None] | None = None,
        name: str = "task",
    ) -> Task:
        """Run ``job(task)``: the job may read ``task.cancel_event`` and call
        ``task.report(value)``, which reaches ``on_progress`` on the GUI thread."""
        task = Task(self, job, on_done, on_error, on_progress, name)
        self._tasks.add(task)
        task.start()
        return task

    def forget(self, task: Task) -> None:
        self._tasks.discard(task)
        task.deleteLater()

    @property
    def busy(self) -> bool:
        return bool(self._tasks)

    def shutdown(self, timeout_ms: int = 10_000) -> bool:
        """Cancel everything and wait for the threads; True when all stopped in time."""
        all_stopped = True
        for task in list(self._tasks):
            task.cancel()
        deadline = time.monotonic() + timeout_ms / 1000
        for task in list(self._tasks):
            left = max(0, int((deadline - time.monotonic()) * 1000))
            task.qthread.quit()
            if not task.qthread.wait(left):
                log.warning("Background task %s did not stop in time", task.name)
                # Destroying a running QThread aborts the process: keep it alive instead.
                task.setParent(None)
                _ORPHANS.append(task)
                all_stopped = False
        return all_stopped


#: Tasks that outlived their window at shutdown; kept referenced until the process exits.
_ORPHANS: list[Task] = []
