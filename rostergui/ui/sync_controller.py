"""Runs syncs one after another in the background and keeps each course's badge current.

One sync at a time: "Sync all" queues every course and each shows "waiting", then its own
progress. The core does the work (paging, the all-or-nothing write, recording the run); this
class turns its progress callback into badge updates, its cancel flag into the Cancel button,
and a *held* result (a sync that would drop many members) into a question for the admin.

The question never blocks: it opens window-modal and the answer arrives later, while the
queue keeps running. A course whose question is open counts as pending, so neither "Sync all"
nor the schedule syncs it meanwhile, and confirming queues it once.
"""

from __future__ import annotations

import logging
from collections import deque
from dataclasses import dataclass

from PySide6.QtCore import QObject, QTimer, Signal
from PySide6.QtWidgets import QWidget

from rostergui.core.service import RosterService
from rostergui.core.states import Phase, Trigger
from rostergui.core.sync import Progress, SyncResult
from rostergui.ui import mass_drop, wording
from rostergui.ui.badges import Activity, ActivityState
from rostergui.ui.course_list import CourseListModel
from rostergui.ui.operation import Operation, Operations, Reporter
from rostergui.ui.runtime import collection_paused

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class SyncRequest:
    name: str
    trigger: Trigger = Trigger.MANUAL
    allow_mass_drop: bool = False


class SyncController(QObject):
    #: A course's sync began (name).
    started = Signal(str)
    #: A course's sync ended (SyncResult), after any confirmation was answered.
    finished = Signal(object)
    #: The queue ran empty (summary line for the status bar).
    idle = Signal(str)
    #: Something to show in the status bar now.
    message = Signal(str)
    #: The mass-drop question about a course was answered (name).
    answered = Signal(str)

    def __init__(
        self,
        service: RosterService,
        runner: Operations,
        courses: CourseListModel,
        parent_widget: QWidget,
    ) -> None:
        super().__init__(parent_widget)
        self.service = service
        self.runner = runner
        self.courses = courses
        self.parent_widget = parent_widget
        self._queue: deque[SyncRequest] = deque()
        self._current: tuple[SyncRequest, Operation[SyncResult, Progress]] | None = None
        self._batch: list[SyncResult] = []
        #: The results of the batch that ended last (what ``idle`` summed up).
        self.last_batch: list[SyncResult] = []
        #: Held results awaiting review, by course name.
        self.held: dict[str, SyncResult] = {}
        #: Courses whose mass-drop question is open now.
        self.asking: set[str] = set()
        self._closed = False

    # --- state ------------------------------------------------------------------------------

    @property
    def busy(self) -> bool:
        return self._current is not None or bool(self._queue)

    @property
    def current_name(self) -> str | None:
        return self._current[0].name if self._current else None

    def is_pending(self, name: str) -> bool:
        """Syncing, queued, or waiting for the answer to its mass-drop question."""
        return (
            name == self.current_name
            or name in self.asking
            or any(r.name == name for r in self._queue)
        )

    # --- requests ---------------------------------------------------------------------------

    def sync(
        self, name: str, *, trigger: Trigger = Trigger.MANUAL, allow_mass_drop: bool = False
    ) -> bool:
        """Queue one course; False when it is already syncing or queued."""
        if self.is_pending(name):
            return False
        self._enqueue(SyncRequest(name, trigger, allow_mass_drop))
        self._next()
        return True

    def sync_all(self, names: list[str], *, trigger: Trigger = Trigger.MANUAL) -> int:
        queued = 0
        for name in names:
            if not self.is_pending(name):
                self._enqueue(SyncRequest(name, trigger))
                queued += 1
        self._next()
        return queued

    def _enqueue(self, request: SyncRequest, *, front: bool = False) -> None:
        self.held.pop(request.name, None)
        if front:
            self._queue.appendleft(request)
        else:
            self._queue.append(request)
        self.courses.set_activity(request.name, Activity(ActivityState.QUEUED))

    def cancel(self) -> None:
        """Stop the running sync and drop the queue. The core leaves the roster untouched."""
        while self._queue:
            request = self._queue.popleft()
            self.courses.set_activity(request.name, None)
        if self._current is not None:
            request, operation = self._current
            operation.cancel()
            self.courses.set_activity(request.name, Activity(ActivityState.CANCELLING))
            self.message.emit(wording.cancelling(request.name))

    def shutdown(self) -> None:
        self._closed = True
        self._queue.clear()
        if self._current is not None:
            self._current[1].cancel()

    # --- running ----------------------------------------------------------------------------

    def _next(self) -> None:
        if self._current is not None:
            return
        if not self._queue:
            if self._batch:
                self.last_batch = self._batch
                self._batch = []
                self.idle.emit(wording.batch_summary(self.last_batch))
            return
        request = self._queue.popleft()
        service = self.service
        self.courses.set_activity(request.name, Activity(ActivityState.SYNCING))

        def job(reporter: Reporter[Progress]) -> SyncResult:
            # A sync frees each page's objects by reference counting and keeps none, but its
            # allocations would still set off full collections, each one stopping every
            # thread (the window too) for as long as it walks everything the app holds.
            with collection_paused():
                return service.sync(
                    request.name,
                    allow_mass_drop=request.allow_mass_drop,
                    progress=reporter.report,
                    cancel=reporter.cancel,
                    trigger=request.trigger,
                )

        operation = self.runner.run_with_progress(
            job,
            lambda result: self._done(request, result),
            lambda exc: self._crashed(request, exc),
            on_progress=lambda p: self._progress(request, p),
            phase=lambda p: p.phase,
            name=f"sync {request.name}",
        )
        self._current = (request, operation)
        self.started.emit(request.name)

    def _progress(self, request: SyncRequest, progress: Progress) -> None:
        if self._current is None or self._current[1].cancel_event.is_set():
            return
        state = (
            ActivityState.APPLYING if progress.phase is Phase.APPLYING else ActivityState.SYNCING
        )
        self.courses.set_activity(
            request.name, Activity(state, pages=progress.pages, fetched=progress.fetched)
        )

    def _crashed(self, request: SyncRequest, exc: BaseException) -> None:
        # service.sync never raises for expected failures; this is a bug.
        from rostergui.ui import crash

        self._current = None
        self.courses.set_activity(request.name, None)
        result = SyncResult(name=request.name, error=f"Unexpected error ({type(exc).__name__})")
        self._batch.append(result)
        crash.report_bug(exc, self.parent_widget)
        self.finished.emit(result)
        self._next()

    def _done(self, request: SyncRequest, result: SyncResult) -> None:
        self._current = None
        self._batch.append(result)
        if result.cancelled:
            self.courses.set_activity(request.name, Activity(ActivityState.CANCELLED))
        elif result.held:
            self.held[request.name] = result
            self.courses.set_activity(
                request.name, Activity(ActivityState.HELD, would_drop=result.deactivated)
            )
        else:
            self.courses.set_activity(request.name, None)
        ask = result.held and request.trigger is Trigger.MANUAL
        if ask:
            self.asking.add(result.name)  # pending from now on: nothing syncs it meanwhile
        self.message.emit(wording.describe_result(result))
        self.finished.emit(result)
        if ask:
            # Ask outside this callback, so the operation's bookkeeping is finished first.
            name = result.name
            QTimer.singleShot(0, lambda: self._ask(name))
        self._next()

    def _ask(self, name: str) -> None:
        self.asking.discard(name)
        if self._closed:
            return
        self.review(name)

    def review(self, name: str) -> bool:
        """Open the question listing who a held sync would drop (window-modal; this returns at
        once). Confirming syncs the course again allowing the drops. False when there is
        nothing to review or the question is already open."""
        result = self.held.get(name)
        if result is None or name in self.asking or self._closed:
            return False
        self.asking.add(name)
        mass_drop.ask_mass_drop(self.parent_widget, result, lambda yes: self._answered(name, yes))
        return True

    def _answered(self, name: str, confirmed: bool) -> None:
        if name not in self.asking:
            return  # answered already
        self.asking.discard(name)
        self.answered.emit(name)
        if self._closed:
            return
        if not confirmed:
            self.message.emit(wording.kept_everyone(name))
            return
        if self.is_pending(name) or name not in self.held:
            return  # already queued again (or synced since): never twice
        self._enqueue(SyncRequest(name, Trigger.MANUAL, allow_mass_drop=True), front=True)
        self._next()
