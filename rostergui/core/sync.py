"""The roster-sync engine: fetch every page, then diff and apply in one transaction.

All or nothing: pages are staged in a temporary table as they arrive (see
:mod:`~rostergui.core.staging`) and the stored roster changes only after the last page, in a
single transaction, so a failure or a cancel at any point leaves it exactly as it was. Every run is
recorded (start, end, outcome, counts, error) and every change to a member is kept per run.

The diff is computed *inside* the write transaction, after taking the course's row lock, so two
syncs of the same course (from two processes sharing a database) serialise: the second one sees
the first one's result and never double-counts.

A sync that would deactivate a large share of the active members is *held*: nothing is applied
and the caller learns who would go. LMSes do answer with empty or partial rosters.

Progress and cancellation are plain callables and a ``threading.Event``, so the command line,
the window's worker thread and the tests all drive this same code.
"""

from __future__ import annotations

import functools
import logging
import threading
import time
from collections.abc import Callable
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Engine, ScalarSelect, and_, func, insert, select, update

from rostergui.core import errors
from rostergui.core.limits import DEFAULT_PAGE_SIZE, checked_page_size
from rostergui.core.ltiaas import LtiaasClient
from rostergui.core.prefetch import prefetch
from rostergui.core.staging import DroppedMember, RosterDiff, StagedRoster
from rostergui.core.states import CourseStatus, MemberStatus, Outcome, Phase, Trigger
from rostergui.core.store import leases, repo
from rostergui.core.store.db import storage_errors
from rostergui.core.store.schema import contexts, memberships, sync_runs
from rostergui.core.sync_result import (
    MassDropPolicy,
    Progress,
    ProgressCallback,
    SyncResult,
)

__all__ = [
    "DroppedMember",
    "MassDropPolicy",
    "Progress",
    "ProgressCallback",
    "SyncEngine",
    "SyncResult",
    "fetch_roster",
    "repeated_warning",
]

log = logging.getLogger(__name__)


def fetch_roster(
    client: LtiaasClient,
    staged: StagedRoster,
    *,
    resource_link_id: str | None,
    page_size: int | None,
    progress: ProgressCallback,
    cancel: threading.Event,
) -> tuple[int, int, str | None, str | None]:
    """Walk every page into ``staged``. Returns pages, members received (repeats included),
    and the context id and title the LMS reported."""
    pages = fetched = 0
    context_id = title = None
    walk = client.iter_pages(limit=page_size, resource_link_id=resource_link_id)
    # A few pages ahead is all the overlap there is to gain; more would only hold more of a
    # server's answers (each up to Limits.page_bytes) in memory.
    for page in prefetch(walk, depth=2, name="roster-fetch"):
        if cancel.is_set():
            raise errors.SyncCancelledError()
        pages += 1
        fetched += len(page.raw_members)
        staged.add_page(page)
        context_id = context_id or page.context_id
        title = title or page.context_title
        progress(Progress(Phase.FETCHING, pages, fetched))
    if cancel.is_set():
        raise errors.SyncCancelledError()
    staged.finish()
    return pages, fetched, context_id, title


class SyncEngine:
    """Runs syncs against one database. Thread-safe: each call uses its own connection."""

    def __init__(
        self,
        engine: Engine,
        *,
        policy: MassDropPolicy | None = None,
        page_size: int | None = DEFAULT_PAGE_SIZE,
        lease_times: leases.LeaseTimes | None = None,
    ) -> None:
        """``page_size`` is the ``limit`` asked for on a roster's first page (``None``: none,
        the LMS's default); the LMS may send fewer, and the pages after follow its ``next``.
        ``lease_times``: how long a course's lease lasts and how often it is renewed (by
        default five minutes, or ``ROSTERGUI_SYNC_LEASE_SECONDS``)."""
        self.engine = engine
        self.policy = policy or MassDropPolicy()
        self.page_size = checked_page_size(page_size)
        self.lease_times = lease_times or leases.LeaseTimes.from_env()

    def sync(
        self,
        course: repo.Course,
        connect: Callable[[threading.Event], LtiaasClient],
        *,
        allow_mass_drop: bool = False,
        progress: ProgressCallback | None = None,
        cancel: threading.Event | None = None,
        trigger: Trigger = Trigger.MANUAL,
        synced_since: datetime | None = None,
    ) -> SyncResult:
        """Sync one course. Never raises for expected failures: they are in the result.

        The course's lease is claimed first (:mod:`~rostergui.core.store.leases`): a course
        another process or thread is syncing is BUSY, and one whose last successful sync
        finished at or after ``synced_since`` (naive UTC) is SKIPPED. Neither calls LTIAAS
        or writes a history row. The lease is renewed while the roster is fetched and given
        back however the sync ends.

        ``connect`` builds the LTIAAS client (reading secrets from the keyring); it is called
        inside the recorded run so that a missing secret is a recorded failure too.
        """
        result = SyncResult(name=course.name)
        started = time.monotonic()
        try:
            lease = leases.claim(
                self.engine,
                course.id,
                times=self.lease_times,
                synced_since=synced_since,
                start_run=functools.partial(_start_run, course=course, trigger=trigger),
            )
        except (errors.SyncBusyError, errors.SyncSkippedError) as exc:
            busy = isinstance(exc, errors.SyncBusyError)
            result.outcome = Outcome.BUSY if busy else Outcome.SKIPPED
            result.error, result.error_kind = exc.message, exc.kind
            result.retry_after = getattr(exc, "seconds_left", None)
            result.seconds = time.monotonic() - started
            log.info("Sync of %s not run: %s", course.name, exc.message)
            return result
        except errors.RosterSyncError as exc:
            result.error, result.error_kind = exc.message, exc.kind
            result.seconds = time.monotonic() - started
            log.error("Sync of %s could not start: %s (%s)", course.name, exc.message, exc.detail)
            return result
        result.run_id = lease.run_id
        try:
            self._run(course, connect, lease, result, allow_mass_drop, progress, cancel)
        finally:
            leases.release(self.engine, lease)
        result.seconds = time.monotonic() - started
        if result.fetch_seconds:
            result.apply_seconds = result.seconds - result.fetch_seconds
        return result

    def _run(
        self,
        course: repo.Course,
        connect: Callable[[threading.Event], LtiaasClient],
        lease: leases.Lease,
        result: SyncResult,
        allow_mass_drop: bool,
        progress: ProgressCallback | None,
        cancel: threading.Event | None,
    ) -> None:
        """The recorded run, with the lease held: fetch, then apply; every failure is in
        ``result`` and the history."""
        cancel = cancel or threading.Event()
        report = progress or (lambda _p: None)
        started = time.monotonic()
        try:
            if course.archived_at is not None:
                raise errors.ConfigError(
                    f"'{course.name}' was removed (its roster is kept for reference); add the "
                    "course again to sync it"
                )
            if course.roster_available is False:
                raise errors.RosterServiceUnavailableError(
                    "The roster service (Names and Roles) is not available for this course; "
                    "enable it in the LMS's tool settings, launch the tool from the course "
                    "again and give the course the new launch token"
                )
            with self.engine.connect() as conn:
                try:
                    with (
                        storage_errors("staging the roster"),
                        leases.Heartbeat(self.engine, lease, self.lease_times),
                    ):
                        staged = StagedRoster(conn, repo.load_role_mapping(conn))
                        with connect(cancel) as client:
                            result.pages, result.fetched, context_id, title = fetch_roster(
                                client,
                                staged,
                                resource_link_id=course.resource_link_id,
                                page_size=self.page_size,
                                progress=report,
                                cancel=cancel,
                            )
                        conn.commit()  # ends the staging transaction; nothing shared changed
                    if staged.repeated:
                        result.warnings.append(repeated_warning(staged.repeated))
                    result.fetch_seconds = time.monotonic() - started
                    report(Progress(Phase.APPLYING, result.pages, result.fetched))
                    self._apply(conn, course, lease, result, allow_mass_drop, context_id, title)
                finally:
                    _discard(conn)
        except errors.SyncCancelledError as exc:
            result.outcome = Outcome.CANCELLED
            self._finish_failed(course, result, exc)
        except errors.RosterSyncError as exc:
            self._finish_failed(course, result, exc)
        except Exception as exc:
            log.exception("Unexpected failure while syncing %s", course.name)
            bug = errors.RosterSyncError(
                f"Unexpected error ({type(exc).__name__}); nothing was changed — see the log "
                "and report this problem"
            )
            bug.kind = "bug"
            self._finish_failed(course, result, bug)

    # --- failure ------------------------------------------------------------------------

    def _finish_failed(
        self,
        course: repo.Course,
        result: SyncResult,
        exc: errors.RosterSyncError,
    ) -> None:
        if not result.cancelled:
            result.outcome = Outcome.FAILED
        result.error, result.error_kind = exc.message, exc.kind
        # Nothing was applied, whatever the diff had counted before the failure.
        result.added = result.updated = result.deactivated = result.reactivated = 0
        if result.cancelled:
            log.info("Sync of %s cancelled", course.name)
        else:
            log.error(
                "Sync of %s failed: %s [%s] %s",
                course.name,
                exc.message,
                exc.kind,
                exc.detail or "",
            )
        try:
            with storage_errors("recording the failed sync"), self.engine.begin() as conn:
                # Write first, counting in the same statement: on SQLite a transaction that
                # read before its first write cannot take the write lock once another course
                # has written, and fails at once instead of waiting its turn.
                _record_run(
                    conn,
                    result,
                    repo.utcnow(),
                    active_count=_active_count_query(course.id),
                    error=exc.message,
                )
                if not result.cancelled and not isinstance(exc, errors.LeaseLostError):
                    conn.execute(
                        update(contexts)
                        .where(contexts.c.id == course.id)
                        .values(last_status=CourseStatus.FAILED, last_error=exc.message)
                    )
                count = conn.execute(select(_active_count_query(course.id))).scalar_one()
                result.active_count = int(count)
        except errors.RosterSyncError as storage:
            log.error("Could not record the failed sync of %s: %s", course.name, storage.detail)

    # --- apply --------------------------------------------------------------------------

    def _apply(
        self,
        conn: Connection,
        course: repo.Course,
        lease: leases.Lease,
        result: SyncResult,
        allow_mass_drop: bool,
        context_id: str | None,
        title: str | None,
    ) -> None:
        try:
            active_before = self._write(
                conn, course, lease, result, allow_mass_drop, context_id, title
            )
        except _Held as held:
            active_before = held.active_before
        if not result.held:
            log.info(
                "Sync of %s: %s; %d fetched on %d pages; added %d, updated %d, deactivated %d, "
                "reactivated %d; %d active; %d warnings; fetched in %.1f s",
                course.name,
                result.outcome,
                result.fetched,
                result.pages,
                result.added,
                result.updated,
                result.deactivated,
                result.reactivated,
                result.active_count,
                len(result.warnings),
                result.fetch_seconds,
            )
            return
        with storage_errors("recording the held sync"), self.engine.begin() as record:
            _record_run(
                record,
                result,
                repo.utcnow(),
                active_count=active_before,
                error=f"Held: {result.deactivated} of {active_before} active members would "
                "be dropped; nothing was changed",
            )
        result.active_count = active_before
        log.warning(
            "Sync of %s held: would deactivate %d of %d active members",
            course.name,
            result.deactivated,
            active_before,
        )

    def _write(
        self,
        conn: Connection,
        course: repo.Course,
        lease: leases.Lease,
        result: SyncResult,
        allow_mass_drop: bool,
        context_id: str | None,
        title: str | None,
    ) -> int:
        """Diff and write under the course lock; returns the active count before."""
        if conn.dialect.name == "sqlite":
            # Every row written below references a row that exists and stays (the course is
            # locked; people come from a join), so checking each reference only costs time:
            # a tenth of the write at 100,000 members. The connection is closed after the
            # sync (see _discard). SQLite takes this setting only outside a transaction.
            cursor = conn.connection.cursor()
            cursor.execute("PRAGMA foreign_keys = OFF")
            cursor.close()
        with storage_errors("saving the roster"), conn.begin():
            # Take the course's write lock first: in SQLite this is the database write lock, in
            # PostgreSQL the row lock. A concurrent sync of the same course waits here and then
            # diffs against what the first one wrote.
            locked = conn.execute(
                update(contexts)
                .where(contexts.c.id == course.id)
                .values(last_status=contexts.c.last_status)
                .returning(contexts.c.last_synced_at)
            ).first()
            if locked is None:
                raise errors.CourseNotFoundError(
                    f"'{course.name}' was removed while it was syncing; nothing was saved"
                )
            previous_sync: datetime | None = locked[0]
            # Still ours? A holder paused past its lease's expiry may have been taken over;
            # from here the lease's row stays locked (and extended) until the roster is saved.
            leases.confirm(conn, lease, self.lease_times)
            diff = RosterDiff(conn, course.id, course.platform_id)
            summary = diff.summary()
            result.added = summary.added
            result.updated = summary.updated
            result.deactivated = summary.deactivated
            result.reactivated = summary.reactivated
            result.active_count = summary.active_after
            if not allow_mass_drop and self.policy.holds(
                summary.active_before, summary.deactivated
            ):
                result.outcome = Outcome.HELD
                result.would_deactivate = diff.dropped()
                # Leaving the block by exception rolls the transaction back, releasing the lock.
                raise _Held(summary.active_before)
            now = repo.utcnow()
            diff.write(summary, result.run_id, now, previous_sync)
            course_values: dict[str, Any] = {
                "last_synced_at": now,
                "last_status": CourseStatus.OK,
                "last_error": None,
            }
            if context_id and not course.context_id:
                course_values["context_id"] = context_id
            if title and not course.title:
                course_values["title"] = title
            conn.execute(update(contexts).where(contexts.c.id == course.id).values(**course_values))
            result.outcome = Outcome.OK
            _record_run(conn, result, now, active_count=result.active_count)
            return summary.active_before


def _start_run(conn: Connection, *, course: repo.Course, trigger: Trigger) -> int | None:
    """Write the run's history row (``running``) in the claim's transaction."""
    inserted = conn.execute(
        insert(sync_runs).values(
            context_pk=course.id,
            started_at=repo.utcnow(),
            outcome=Outcome.RUNNING,
            trigger=trigger,
            holder=repo.process_handle(),
            pages=0,
            fetched=0,
            added=0,
            updated=0,
            deactivated=0,
            reactivated=0,
        )
    ).inserted_primary_key
    return int(inserted[0]) if inserted else None


def _active_count_query(context_pk: int) -> ScalarSelect[int]:
    """How many members of the course are active now, as a subquery."""
    return (
        select(func.count())
        .select_from(memberships)
        .where(
            and_(
                memberships.c.context_pk == context_pk,
                memberships.c.status == MemberStatus.ACTIVE,
            )
        )
        .scalar_subquery()
    )


def _record_run(
    conn: Connection,
    result: SyncResult,
    finished_at: datetime,
    *,
    active_count: int | ScalarSelect[int],
    error: str | None = None,
) -> None:
    """Write a finished run's outcome and counts to its history row."""
    conn.execute(
        update(sync_runs)
        .where(sync_runs.c.id == result.run_id)
        .values(
            outcome=result.outcome,
            finished_at=finished_at,
            pages=result.pages,
            fetched=result.fetched,
            added=result.added,
            updated=result.updated,
            deactivated=result.deactivated,
            reactivated=result.reactivated,
            active_count=active_count,
            error=error,
            warning="\n".join(result.warnings) or None,
        )
    )


def repeated_warning(repeated: list[tuple[str, int]]) -> str:
    """Say that the LMS listed some users more than once, and that they were merged."""
    shown = ", ".join(
        user_id if len(user_id) <= 40 else user_id[:40] + "…" for user_id, _copies in repeated[:3]
    )
    more = f" and {len(repeated) - 3:,} more" if len(repeated) > 3 else ""
    count = len(repeated)
    people = "member was" if count == 1 else "members were"
    return (
        f"{count:,} {people} listed more than once by the LMS (user id {shown}{more}); "
        "each is kept once, with the roles of every listing"
    )


def _discard(conn: Connection) -> None:
    """Close the sync's connection rather than return it to the pool.

    Its temporary tables (staged roster, diff) go with it at once, where dropping them frees
    their pages one by one (a tenth of a second at 100,000 members), and no setting made for
    the bulk write can reach another user of the pool.
    """
    try:
        if conn.in_transaction():
            conn.rollback()
    except Exception:  # the connection is closed next either way
        log.debug("Could not roll back the sync's connection", exc_info=True)
    conn.invalidate()


class _Held(Exception):
    """Raised inside the write transaction to roll back a held sync."""

    def __init__(self, active_before: int) -> None:
        super().__init__()
        self.active_before = active_before
