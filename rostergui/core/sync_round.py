"""A round of syncs: many courses, a few at once, never too many on one LTIAAS origin.

One course's sync is bound by the LMS's latency: each page is a round trip through LTIAAS and
the next page is known only when the last has arrived. A round ("Sync all", ``sync --all``)
therefore runs up to ``jobs`` courses at once, each on a thread of its own with its own
transaction, HTTP client, progress callback, cancel flag and result; the database keeps each
course's apply all-or-nothing (on SQLite the applies take turns on the write lock, within its
busy timeout).

Two bounds come from the origin, not from this machine:

* at most ``per_origin`` courses of one LTIAAS origin run at once (the courses on it share one
  LTIAAS account); the next course in the asked order whose origin has room starts first;
* the origin's shared back-off and refused API key live in its
  :class:`~rostergui.core.origin_gate.OriginGate`. When a course ends refused by the API key,
  the origin's courses still waiting are not started: each gets the same one message.

:class:`RoundPlan` is the choice of what starts next, and nothing else: the window's sync
queue (Qt, its own threads) and :class:`SyncRound` (plain threads, for the command line and the
benchmarks) both use it, so a course is scheduled the same way wherever it is synced.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from rostergui.core import errors
from rostergui.core.limits import DEFAULT_JOBS, DEFAULT_PER_ORIGIN, MAX_JOBS
from rostergui.core.origin import normalise_base_url
from rostergui.core.service import RosterService
from rostergui.core.states import Outcome, Trigger
from rostergui.core.sync import ProgressCallback, SyncResult

log = logging.getLogger(__name__)

#: How often the round's own thread looks at its cancel flag while courses run.
_WAKE_SECONDS = 0.25
#: A course found busy (another process holds its lease) is asked about again until the lease
#: it saw could have run out: by then its holder has either finished (the course is skipped as
#: synced) or died (its lease runs out and the course is synced here). The first question
#: comes soon (most holders are a few seconds from done), later ones ever less often.
BUSY_FIRST_POLL_SECONDS = 0.5
BUSY_POLL_SECONDS = 15.0
#: The longest a round waits for one busy course, whatever its lease says.
MAX_BUSY_WAIT_SECONDS = 15 * 60.0


def checked_jobs(jobs: int) -> int:
    """``jobs`` if it is a number of courses a round may run at once."""
    if isinstance(jobs, bool) or not isinstance(jobs, int):
        raise TypeError(f"jobs must be a whole number, not {type(jobs).__name__}")
    if not 1 <= jobs <= MAX_JOBS:
        raise ValueError(f"jobs must be from 1 to {MAX_JOBS}, not {jobs}")
    return jobs


def origin_of(base_url: str) -> str:
    """The key courses are grouped by: their LTIAAS address as the client uses it."""
    try:
        return normalise_base_url(base_url)
    except (errors.RosterSyncError, ValueError):
        return base_url


@dataclass(frozen=True, slots=True)
class RoundRequest:
    name: str
    origin: str
    allow_mass_drop: bool = False
    trigger: Trigger = Trigger.MANUAL


class RoundPlan:
    """What starts next: at most ``jobs`` running, at most ``per_origin`` of one origin, the
    rest waiting in the order asked. Not thread-safe: its owner holds a lock, or is the GUI
    thread."""

    def __init__(self, jobs: int = DEFAULT_JOBS, per_origin: int = DEFAULT_PER_ORIGIN) -> None:
        self.jobs = checked_jobs(jobs)
        if per_origin < 1:
            raise ValueError("per_origin must be at least 1")
        self.per_origin = per_origin
        self._waiting: list[RoundRequest] = []
        self._running: dict[str, RoundRequest] = {}
        #: Every name waiting or running: a whole catalogue is asked about one by one.
        self._names: set[str] = set()

    @property
    def waiting(self) -> list[RoundRequest]:
        return list(self._waiting)

    @property
    def running(self) -> list[RoundRequest]:
        return list(self._running.values())

    def __contains__(self, name: object) -> bool:
        return name in self._names

    def __bool__(self) -> bool:
        return bool(self._waiting or self._running)

    def add(self, request: RoundRequest, *, front: bool = False) -> None:
        if request.name in self:
            raise ValueError(f"{request.name!r} is already in the round")
        if front:
            self._waiting.insert(0, request)
        else:
            self._waiting.append(request)
        self._names.add(request.name)

    def take(self) -> RoundRequest | None:
        """The first waiting course that may start now (it counts as running), or None."""
        if len(self._running) >= self.jobs:
            return None
        busy: dict[str, int] = {}
        for running in self._running.values():
            busy[running.origin] = busy.get(running.origin, 0) + 1
        for position, request in enumerate(self._waiting):
            if busy.get(request.origin, 0) < self.per_origin:
                del self._waiting[position]
                self._running[request.name] = request
                return request
        return None

    def finish(self, name: str) -> RoundRequest | None:
        request = self._running.pop(name, None)
        if request is not None:
            self._names.discard(name)
        return request

    def drop(self, name: str) -> RoundRequest | None:
        """Take a waiting course out of the round (a running one is cancelled instead)."""
        if name not in self._names or name in self._running:
            return None
        for position, request in enumerate(self._waiting):
            if request.name == name:
                self._names.discard(name)
                return self._waiting.pop(position)
        return None

    def drop_origin(self, origin: str) -> list[RoundRequest]:
        dropped = [r for r in self._waiting if r.origin == origin]
        self._waiting = [r for r in self._waiting if r.origin != origin]
        self._names.difference_update(r.name for r in dropped)
        return dropped

    def drop_all(self) -> list[RoundRequest]:
        dropped, self._waiting = self._waiting, []
        self._names.difference_update(r.name for r in dropped)
        return dropped


def not_started(name: str, *, cancelled: bool, reason: str | None = None) -> SyncResult:
    """The result of a course the round never started: cancelled, or stopped by ``reason``
    (its origin's refused API key). Nothing was recorded or changed for it."""
    if cancelled:
        return SyncResult(
            name=name,
            outcome=Outcome.CANCELLED,
            error="Cancelled before it started; nothing was changed",
            error_kind=errors.SyncCancelledError.kind,
        )
    return SyncResult(
        name=name,
        error=f"Not synced: {reason}",
        error_kind=errors.AuthError.kind,
    )


@dataclass(slots=True)
class RoundReport:
    """What a round did: a result per course in the order asked, and the origins it stopped
    because their API key was refused (origin → the one message)."""

    results: list[SyncResult]
    stopped: dict[str, str] = field(default_factory=dict)
    #: The courses each stopped origin never started.
    not_started: dict[str, list[str]] = field(default_factory=dict)


class SyncRound:
    """Runs one round on plain threads, for callers without an event loop (the command line,
    the benchmarks). Thread-safe: :meth:`cancel` and :meth:`cancel_all` may be called from any
    thread (a signal handler too) while :meth:`run` runs."""

    def __init__(
        self,
        service: RosterService,
        *,
        jobs: int = DEFAULT_JOBS,
        per_origin: int | None = None,
    ) -> None:
        self.service = service
        self.plan = RoundPlan(jobs, per_origin or service.client_options.gates.per_origin)
        self._cond = threading.Condition()
        self._events: dict[str, threading.Event] = {}
        self._cancelled = False

    # --- control, from any thread ------------------------------------------------------------

    def cancel(self, name: str) -> bool:
        """Cancel one course: taken out if waiting, stopped if running. False if unknown."""
        with self._cond:
            event = self._events.get(name)
            if event is None:
                return False
            event.set()
            self._cond.notify_all()
            return True

    def cancel_all(self) -> None:
        with self._cond:
            self._cancelled = True
            for event in self._events.values():
                event.set()
            self._cond.notify_all()

    # --- the round ---------------------------------------------------------------------------

    def run(
        self,
        names: Sequence[str],
        *,
        allow_mass_drop: bool = False,
        trigger: Trigger = Trigger.MANUAL,
        synced_since: datetime | None = None,
        progress: Callable[[str], ProgressCallback | None] | None = None,
        on_result: Callable[[SyncResult], None] | None = None,
    ) -> RoundReport:
        """Sync ``names`` (repeats once) and return when every course has ended; the results
        are in the order asked. ``progress(name)`` gives each course its own callback, called
        on that course's thread; ``on_result`` is called on the course's thread as it ends."""
        ordered = list(dict.fromkeys(names))
        results: dict[str, SyncResult] = {}
        report = RoundReport([])
        # One query for the origins of a whole catalogue; a name it lacks is looked up alone,
        # for the error that says why.
        known = {c.name: c for c in self.service.courses(include_archived=True)}
        for name in ordered:
            try:
                course = known.get(name) or self.service.course(name)
            except errors.RosterSyncError as exc:
                results[name] = SyncResult(name=name, error=exc.message, error_kind=exc.kind)
                continue
            with self._cond:
                self._events[name] = threading.Event()
                self.plan.add(
                    RoundRequest(name, origin_of(course.base_url), allow_mass_drop, trigger)
                )
        threads: list[threading.Thread] = []
        #: Courses found busy that are tried again: name → (when, request).
        later: dict[str, tuple[float, RoundRequest]] = {}
        #: Per busy course: until when it is waited for, and the next pause between questions.
        give_up: dict[str, tuple[float, float]] = {}

        def finished(request: RoundRequest, result: SyncResult) -> None:
            with self._cond:
                self.plan.finish(request.name)
                results[request.name] = result
                when = self._next_try(result, synced_since, give_up)
                if when is not None:
                    later[request.name] = (when, request)
                    log.info("%s is busy; asking again in a moment", request.name)
                if result.error_kind == errors.AuthError.kind:
                    self._stop_origin(request.origin, results, report)
                self._cond.notify_all()

        def work(request: RoundRequest) -> None:
            try:
                result = self.service.sync(
                    request.name,
                    allow_mass_drop=request.allow_mass_drop,
                    progress=progress(request.name) if progress else None,
                    cancel=self._events[request.name],
                    trigger=request.trigger,
                    synced_since=synced_since,
                )
            except Exception as exc:  # service.sync never raises for expected failures
                log.exception("Unexpected failure while syncing %s", request.name)
                result = SyncResult(
                    name=request.name,
                    error=f"Unexpected error ({type(exc).__name__}); nothing was changed — see "
                    "the log and report this problem",
                    error_kind="bug",
                )
            finished(request, result)
            if on_result is not None:
                try:
                    on_result(result)
                except Exception:  # the caller's words for a result; the round goes on
                    log.exception("Reporting the sync of %s failed", request.name)

        with self._cond:
            while self.plan or later:
                self._retry_busy(later)
                self._drop_cancelled(results)
                while (request := self.plan.take()) is not None:
                    thread = threading.Thread(
                        target=work, args=(request,), name=f"sync {request.name}"
                    )
                    threads.append(thread)
                    thread.start()
                if self.plan or later:
                    self._cond.wait(_WAKE_SECONDS)
        for thread in threads:
            thread.join()
        report.results = [results[name] for name in ordered]
        return report

    @staticmethod
    def _next_try(
        result: SyncResult,
        synced_since: datetime | None,
        give_up: dict[str, tuple[float, float]],
    ) -> float | None:
        """When to ask about a busy course again, or None to keep its result (lock held).

        Only a round with ``synced_since`` asks again: when the holder finishes first, the next
        claim finds the course synced and skips it, so no course is synced twice. The round
        waits until the lease it first saw could have run out (a live holder renews it; a dead
        one's runs out and the course is synced here), asking after
        :data:`BUSY_FIRST_POLL_SECONDS`, then twice as long each time up to
        :data:`BUSY_POLL_SECONDS`.
        """
        if result.outcome is not Outcome.BUSY or synced_since is None:
            return None
        if result.retry_after is None:
            return None
        now = time.monotonic()
        lease_left = min(max(result.retry_after, 0.0), MAX_BUSY_WAIT_SECONDS)
        deadline, pause = give_up.get(
            result.name, (now + lease_left + 1.0, BUSY_FIRST_POLL_SECONDS)
        )
        if now >= deadline:
            return None
        give_up[result.name] = (deadline, min(pause * 2, BUSY_POLL_SECONDS))
        return min(now + pause, deadline)

    def _retry_busy(self, later: dict[str, tuple[float, RoundRequest]]) -> None:
        """Put the busy courses whose wait is over back into the plan; a cancelled one keeps
        its busy result (lock held)."""
        now = time.monotonic()
        for name, (when, request) in list(later.items()):
            if self._cancelled or self._events[name].is_set():
                del later[name]
            elif when <= now:
                del later[name]
                self.plan.add(request, front=True)

    def _drop_cancelled(self, results: dict[str, SyncResult]) -> None:
        """Give every waiting course that was cancelled its result (lock held)."""
        waiting = (
            self.plan.drop_all()
            if self._cancelled
            else [r for r in self.plan.waiting if self._events[r.name].is_set()]
        )
        for request in waiting:
            self.plan.drop(request.name)
            results[request.name] = not_started(request.name, cancelled=True)

    def _stop_origin(
        self, origin: str, results: dict[str, SyncResult], report: RoundReport
    ) -> None:
        """After an auth failure: if the origin's API key itself was refused, its waiting
        courses are not started (lock held)."""
        refusal = self.service.client_options.gates.refusal(origin)
        if refusal is None:
            return
        report.stopped.setdefault(origin, refusal)
        for request in self.plan.drop_origin(origin):
            results[request.name] = not_started(request.name, cancelled=False, reason=refusal)
            report.not_started.setdefault(origin, []).append(request.name)
