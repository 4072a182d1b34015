"""Runs the window's syncs in the background, a few at once, and keeps each course's badge
current.

"Sync all" (and the schedule) queues every course; each shows "waiting", then its own
progress. Up to :attr:`SyncController.jobs` courses run at once (the Settings dialog's
"Courses at once", default 4), at most a few of one LTIAAS origin: which course starts next is
the core's :class:`~rostergui.core.sync_round.RoundPlan`, the same choice the command line's
round makes. Each course is its own :class:`~rostergui.ui.operation.Operation`, so each has its
own cancel flag, progress and result, and closing the window cancels and waits for all of them.
The origin's shared back-off and refused API key are the core's (see
:mod:`~rostergui.core.origin_gate`): when a course ends with its origin's API key refused, the
origin's waiting courses are not started and each says so.

The core does the work (paging, the all-or-nothing write, recording the run); this class turns
its progress callbacks into badge updates, its cancel flags into Cancel, and a *held* result (a
sync that would drop many members) into a question for the admin. The question never blocks:
it opens window-modal and the answer arrives later, while the others keep running. A course
whose question is open counts as pending, so neither "Sync all" nor the schedule syncs it
meanwhile, and confirming queues it once, first in line.
"""

from __future__ import annotations

import logging

from PySide6.QtCore import QObject, QTimer, Signal
from PySide6.QtWidgets import QWidget

from rostergui.core.service import RosterService
from rostergui.core.states import Phase, Trigger
from rostergui.core.sync import Progress, SyncResult
from rostergui.core.sync_round import RoundPlan, RoundRequest, not_started, origin_of
from rostergui.ui import mass_drop, wording
from rostergui.ui.badges import Activity, ActivityState
from rostergui.ui.course_list import CourseListModel
from rostergui.ui.operation import Operation, Operations, Reporter
from rostergui.ui.runtime import collection_paused
from rostergui.ui.settings import Settings

log = logging.getLogger(__name__)

#: A course to sync, as the round plans it (name, origin, trigger, allow_mass_drop).
SyncRequest = RoundRequest


def round_counts(running: int, waiting: int, done: int) -> str:
    """How far a round is, for the status bar."""
    return f"Syncing: {running} running, {waiting} waiting, {done} done"


class SyncController(QObject):
    #: The course whose progress the window shows now (name): a sync began, or the one shown
    #: ended while others run on.
    started = Signal(str)
    #: A course's sync ended (SyncResult), after any confirmation was answered.
    finished = Signal(object)
    #: The round ran empty (summary line for the status bar).
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
        *,
        jobs: int | None = None,
    ) -> None:
        """``jobs``: courses at once; by default the Settings dialog's, read as each round
        begins."""
        super().__init__(parent_widget)
        self.service = service
        self.runner = runner
        self.courses = courses
        self.parent_widget = parent_widget
        self._jobs = jobs
        self._plan = RoundPlan(
            jobs or Settings().sync_jobs, service.client_options.gates.per_origin
        )
        self._running: dict[str, Operation[SyncResult, Progress]] = {}
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
        return bool(self._plan)

    @property
    def jobs(self) -> int:
        return self._plan.jobs

    @property
    def running_names(self) -> list[str]:
        """The courses syncing now, in the order they started."""
        return list(self._running)

    @property
    def current_name(self) -> str | None:
        """The course whose progress the window shows: the one running longest."""
        return next(iter(self._running), None)

    @property
    def counts(self) -> tuple[int, int, int]:
        """Courses running, waiting, and done in this round."""
        return len(self._plan.running), len(self._plan.waiting), len(self._batch)

    def is_pending(self, name: str) -> bool:
        """Syncing, waiting, or waiting for the answer to its mass-drop question."""
        return name in self._plan or name in self.asking

    # --- requests ---------------------------------------------------------------------------

    def sync(
        self, name: str, *, trigger: Trigger = Trigger.MANUAL, allow_mass_drop: bool = False
    ) -> bool:
        """Queue one course; False when it is already syncing or queued."""
        if self.is_pending(name):
            return False
        self._enqueue(self._request(name, trigger, allow_mass_drop))
        self._next()
        return True

    def sync_all(self, names: list[str], *, trigger: Trigger = Trigger.MANUAL) -> int:
        queued = 0
        for name in names:
            if not self.is_pending(name):
                self._enqueue(self._request(name, trigger))
                queued += 1
        self._next()
        return queued

    def _request(self, name: str, trigger: Trigger, allow_mass_drop: bool = False) -> RoundRequest:
        course = self.courses.course(name)
        origin = origin_of(course.base_url) if course is not None else ""
        return RoundRequest(name, origin, allow_mass_drop, trigger)

    def _enqueue(self, request: RoundRequest, *, front: bool = False) -> None:
        if not self._plan:  # a new round: take the setting as it is now
            self._plan.jobs = self._jobs or Settings().sync_jobs
        self.held.pop(request.name, None)
        self._plan.add(request, front=front)
        self.courses.set_activity(request.name, Activity(ActivityState.QUEUED))

    def cancel(self, name: str | None = None) -> None:
        """Stop one course (``name``), or every running sync and the queue. The core leaves
        each roster untouched."""
        dropped = [self._plan.drop(name)] if name is not None else self._plan.drop_all()
        for request in dropped:
            if request is not None:
                self.courses.set_activity(request.name, None)
        running = [name] if name is not None else list(self._running)
        for each in running:
            operation = self._running.get(each)
            if operation is not None and not operation.cancel_event.is_set():
                operation.cancel()
                self.courses.set_activity(each, Activity(ActivityState.CANCELLING))
                self.message.emit(wording.cancelling(each))
        if not self._plan:
            self._next()  # nothing runs: the round is over

    def shutdown(self) -> None:
        self._closed = True
        self._plan.drop_all()
        for operation in self._running.values():
            operation.cancel()

    # --- running ----------------------------------------------------------------------------

    def _next(self) -> None:
        if self._closed:
            return
        while (request := self._plan.take()) is not None:
            self._start(request)
        if not self._plan and self._batch:
            self.last_batch = self._batch
            self._batch = []
            self.idle.emit(wording.batch_summary(self.last_batch))

    def _start(self, request: RoundRequest) -> None:
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
        self._running[request.name] = operation
        self.started.emit(request.name)
        self._say_counts()

    def _say_counts(self, first: str | None = None) -> None:
        running, waiting, done = self.counts
        if running + waiting + done > 1 and self._plan:
            counts = round_counts(running, waiting, done)
            self.message.emit(f"{first} — {counts}" if first else counts)
        elif first:
            self.message.emit(first)

    def _progress(self, request: RoundRequest, progress: Progress) -> None:
        operation = self._running.get(request.name)
        if operation is None or operation.cancel_event.is_set():
            return
        state = (
            ActivityState.APPLYING if progress.phase is Phase.APPLYING else ActivityState.SYNCING
        )
        self.courses.set_activity(
            request.name, Activity(state, pages=progress.pages, fetched=progress.fetched)
        )

    def _ended(self, request: RoundRequest) -> None:
        self._running.pop(request.name, None)
        self._plan.finish(request.name)

    def _crashed(self, request: RoundRequest, exc: BaseException) -> None:
        # service.sync never raises for expected failures; this is a bug.
        from rostergui.ui import crash

        self._ended(request)
        self.courses.set_activity(request.name, None)
        result = SyncResult(name=request.name, error=f"Unexpected error ({type(exc).__name__})")
        self._batch.append(result)
        crash.report_bug(exc, self.parent_widget)
        self.finished.emit(result)
        self._next()

    def _done(self, request: RoundRequest, result: SyncResult) -> None:
        self._ended(request)
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
        self._say_counts(wording.describe_result(result))
        self.finished.emit(result)
        if result.error_kind == "auth":
            self._stop_origin(request.origin)
        if ask:
            # Ask outside this callback, so the operation's bookkeeping is finished first.
            name = result.name
            QTimer.singleShot(0, lambda: self._ask(name))
        if self.current_name is not None:
            self.started.emit(self.current_name)  # the progress shown moves on to it
        self._next()

    def _stop_origin(self, origin: str) -> None:
        """The origin's API key was refused: its waiting courses are not started."""
        refusal = self.service.client_options.gates.refusal(origin)
        if refusal is None:
            return
        for request in self._plan.drop_origin(origin):
            self.courses.set_activity(request.name, None)
            result = not_started(request.name, cancelled=False, reason=refusal)
            self._batch.append(result)
            self.finished.emit(result)

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
        self._enqueue(self._request(name, Trigger.MANUAL, allow_mass_drop=True), front=True)
        self._next()
