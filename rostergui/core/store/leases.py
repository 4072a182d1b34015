"""Course leases: which process syncs a course now, so several machines split one round.

A lease is a row in ``sync_leases`` (token, ``host:pid``, the run it records, expiry), not a
lock held for the whole sync. A database lock lives as long as its transaction and its
connection: holding one through a fetch of many minutes would keep a transaction open for that
long (PostgreSQL keeps the dead rows of every table around it, SQLite lets nobody else write),
and a hung process would hold it for ever. A lease is taken in one short transaction, renewed by
a small heartbeat (:class:`Heartbeat`) while the sync runs, and given back at the end; if its
holder dies, the lease simply runs out and the next process that asks takes the course over.

The claim (:func:`claim`) is atomic on both databases. On PostgreSQL the lease row is read with
``FOR UPDATE SKIP LOCKED``: a row another transaction is claiming, renewing or confirming is
*busy*, at once, never waited for. On SQLite the claim's first statement writes, so it holds
the database's write lock for the rest of its short transaction. Times come from the
database's clock on PostgreSQL, so machines whose clocks disagree still agree on expiry.

The apply step confirms the lease (:func:`confirm`) inside its own transaction, extending it and
keeping its row locked until the roster is saved: a holder that was paused past its expiry and
taken over finds out there, and saves nothing.
"""

from __future__ import annotations

import logging
import os
import threading
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import NoReturn

from sqlalchemy import Connection, Engine, and_, exists, select, update
from sqlalchemy.dialects import postgresql, sqlite

from rostergui.core import errors
from rostergui.core.states import Outcome
from rostergui.core.store.db import storage_errors
from rostergui.core.store.history import database_now, process_handle
from rostergui.core.store.rows import utcnow
from rostergui.core.store.schema import contexts, sync_leases, sync_runs

log = logging.getLogger(__name__)

#: Shortest and longest lease a setting may ask for, in seconds.
LEASE_SECONDS_RANGE = (1.0, 3600.0)


@dataclass(frozen=True, slots=True)
class LeaseTimes:
    """How long a lease lasts unrenewed, and how often its holder renews it.

    Five minutes, renewed every minute: a sync can miss four renewals in a row (a database
    busy with another course's apply, a network blip) before anyone may take its course over,
    and a dead worker's courses wait at most five minutes.
    """

    lifetime: timedelta = timedelta(minutes=5)
    renew_every: timedelta = timedelta(minutes=1)

    def __post_init__(self) -> None:
        low, high = LEASE_SECONDS_RANGE
        if not low <= self.lifetime.total_seconds() <= high:
            raise errors.ConfigError(f"A sync lease must last between {low:g} and {high:g} seconds")
        if not timedelta(0) < self.renew_every < self.lifetime:
            raise errors.ConfigError("A sync lease must be renewed well within its lifetime")

    @classmethod
    def from_env(cls) -> LeaseTimes:
        """The defaults, or ``ROSTERGUI_SYNC_LEASE_SECONDS`` (renewed five times per lifetime):
        a shorter lease hands a dead worker's courses on sooner."""
        raw = os.environ.get("ROSTERGUI_SYNC_LEASE_SECONDS", "").strip()
        if not raw:
            return cls()
        try:
            seconds = float(raw)
        except ValueError:
            seconds = float("nan")
        low, high = LEASE_SECONDS_RANGE
        if not low <= seconds <= high:
            raise errors.ConfigError(
                f"ROSTERGUI_SYNC_LEASE_SECONDS must be a number of seconds from {low:g} to {high:g}"
            )
        return cls(timedelta(seconds=seconds), timedelta(seconds=seconds / 5))


@dataclass(frozen=True, slots=True)
class Lease:
    """A claim this process holds on one course."""

    context_pk: int
    token: str
    holder: str
    run_id: int | None
    expires_at: datetime


def describe_age(age: timedelta) -> str:
    """'40 s', '12 min', '2 h', '3 days': how long ago, for "synced 2 h ago"."""
    seconds = max(0, int(age.total_seconds()))
    if seconds < 90:
        return f"{seconds} s"
    if seconds < 90 * 60:
        return f"{round(seconds / 60)} min"
    if seconds < 48 * 3600:
        return f"{round(seconds / 3600)} h"
    return f"{round(seconds / 86400)} days"


def busy_message(holder: str | None) -> str:
    return f"being synced by {holder or 'another process'}"


class LeaseHeldError(errors.SyncBusyError):
    """The course's lease is held; ``seconds_left`` is how long until it runs out unless its
    holder renews it (by the database's clock), so a round can try the course again then."""

    def __init__(self, holder: str | None, seconds_left: float) -> None:
        super().__init__(busy_message(holder))
        self.seconds_left = max(0.0, seconds_left)


def _ensure_row(conn: Connection, context_pk: int) -> None:
    """Create the course's lease row if it has none. The statement writes (or would), so on
    SQLite it also takes the write lock that keeps the claim atomic; on PostgreSQL a row that
    exists is not touched, so a row being claimed elsewhere is not waited for."""
    missing = select(contexts.c.id).where(
        and_(
            contexts.c.id == context_pk,
            ~exists().where(sync_leases.c.context_pk == context_pk),
        )
    )
    dialect = postgresql if conn.dialect.name == "postgresql" else sqlite
    statement = (
        dialect.insert(sync_leases)
        .from_select([sync_leases.c.context_pk], missing)
        .on_conflict_do_nothing(index_elements=[sync_leases.c.context_pk])
    )
    conn.execute(statement)


def claim(
    engine: Engine,
    context_pk: int,
    *,
    times: LeaseTimes,
    synced_since: datetime | None = None,
    start_run: Callable[[Connection], int | None],
) -> Lease:
    """Take the course's lease, or raise :class:`~rostergui.core.errors.SyncBusyError` (a live
    holder has it) or :class:`~rostergui.core.errors.SyncSkippedError` (it was synced at or
    after ``synced_since``). ``start_run`` records the run in the same transaction, so a run
    row never exists without its lease.

    An expired lease is taken over, and the run its holder left ``running`` is closed as
    interrupted. ``synced_since`` is checked after the lease is taken, in the same transaction:
    a course another process finished a moment ago is skipped, not synced twice.
    """
    token = str(uuid.uuid4())
    holder = process_handle()
    with storage_errors("claiming the course for the sync"), engine.begin() as conn:
        _ensure_row(conn, context_pk)
        now = database_now(conn)
        row = conn.execute(
            select(
                sync_leases.c.token,
                sync_leases.c.holder,
                sync_leases.c.run_id,
                sync_leases.c.expires_at,
            )
            .where(sync_leases.c.context_pk == context_pk)
            .with_for_update(skip_locked=True)
        ).first()
        if row is None:
            _raise_busy_or_gone(conn, context_pk)
        old_token, old_holder, old_run, expires_at = row
        if old_token is not None and expires_at is not None and expires_at >= now:
            raise LeaseHeldError(old_holder, (expires_at - now).total_seconds())
        if old_token is not None and old_run is not None:
            _close_abandoned_run(conn, old_run, old_holder, now)
        skipped = _recently_synced(conn, context_pk, synced_since)
        if skipped is None:
            run_id = start_run(conn)
            expires = now + times.lifetime
            values = {"token": token, "holder": holder, "run_id": run_id, "expires_at": expires}
        else:
            # Not synced here. A lease a dead holder left behind is cleared all the same.
            run_id, expires = None, now
            values = {"token": None, "holder": None, "run_id": None, "expires_at": None}
        conn.execute(
            update(sync_leases)
            .where(sync_leases.c.context_pk == context_pk)
            .values(claimed_at=now, **values)
        )
    if skipped is not None:
        raise skipped
    return Lease(context_pk, token, holder, run_id, expires)


def _recently_synced(
    conn: Connection, context_pk: int, synced_since: datetime | None
) -> errors.SyncSkippedError | None:
    """Read under the lease: a sync another process finished has committed by now."""
    if synced_since is None:
        return None
    last = conn.execute(
        select(contexts.c.last_synced_at).where(contexts.c.id == context_pk)
    ).scalar_one_or_none()
    if last is None or last < synced_since:
        return None
    return errors.SyncSkippedError(f"synced {describe_age(utcnow() - last)} ago")


def _raise_busy_or_gone(conn: Connection, context_pk: int) -> NoReturn:
    """The lease row was locked (PostgreSQL's SKIP LOCKED) or is missing (the course went)."""
    current = conn.execute(
        select(sync_leases.c.holder).where(sync_leases.c.context_pk == context_pk)
    ).first()
    if current is None:
        raise errors.CourseNotFoundError("The course was removed; nothing was synced")
    # Locked for a moment (a claim, a renewal, a confirming apply): worth asking again soon.
    raise LeaseHeldError(current[0], 1.0)


def _close_abandoned_run(conn: Connection, run_id: int, holder: str | None, now: datetime) -> None:
    closed = conn.execute(
        update(sync_runs)
        .where(and_(sync_runs.c.id == run_id, sync_runs.c.outcome == Outcome.RUNNING))
        .values(
            outcome=Outcome.FAILED,
            finished_at=now,
            error=f"Interrupted: {holder or 'the process syncing it'} stopped renewing its "
            "lease; nothing was changed, and the course was synced again",
        )
    )
    if closed.rowcount:
        log.warning("Took over the course of %s, whose sync lease ran out", holder)


def renew(engine: Engine, lease: Lease, times: LeaseTimes) -> bool:
    """Push the lease's expiry on; False when it is no longer this claim's (taken over)."""
    with storage_errors("renewing the sync's lease"), engine.begin() as conn:
        return _extend(conn, lease, times)


def confirm(conn: Connection, lease: Lease, times: LeaseTimes) -> None:
    """Inside the apply transaction: extend the lease and keep its row locked until the roster
    is saved, or raise :class:`~rostergui.core.errors.LeaseLostError` if another process has
    taken the course over."""
    if not _extend(conn, lease, times):
        raise errors.LeaseLostError(
            "Another process took this course over after this sync stopped renewing its "
            "lease; nothing was saved here (the other process syncs it)"
        )


def _extend(conn: Connection, lease: Lease, times: LeaseTimes) -> bool:
    now = database_now(conn)
    extended = conn.execute(
        update(sync_leases)
        .where(
            and_(sync_leases.c.context_pk == lease.context_pk, sync_leases.c.token == lease.token)
        )
        .values(expires_at=now + times.lifetime)
    )
    return bool(extended.rowcount)


def release(engine: Engine, lease: Lease) -> None:
    """Give the lease back (only if it is still this claim's). Never raises: a lease that
    cannot be given back runs out by itself."""
    try:
        with storage_errors("releasing the sync's lease"), engine.begin() as conn:
            conn.execute(
                update(sync_leases)
                .where(
                    and_(
                        sync_leases.c.context_pk == lease.context_pk,
                        sync_leases.c.token == lease.token,
                    )
                )
                .values(token=None, holder=None, run_id=None, claimed_at=None, expires_at=None)
            )
    except errors.RosterSyncError as exc:
        log.warning("Could not release the sync lease (it runs out by itself): %s", exc.detail)


class Heartbeat:
    """Renews a lease every ``times.renew_every`` on a small daemon thread until stopped.

    A renewal that fails (the database busy for a moment) is logged and tried again at the
    next beat; one that finds the lease taken over stops, and the apply step's
    :func:`confirm` refuses to save.
    """

    def __init__(self, engine: Engine, lease: Lease, times: LeaseTimes) -> None:
        self.engine = engine
        self.lease = lease
        self.times = times
        self.lost = False
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="sync-lease", daemon=True)

    def __enter__(self) -> Heartbeat:
        self._thread.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self.stop()

    def stop(self) -> None:
        self._stop.set()
        if self._thread.is_alive() and self._thread is not threading.current_thread():
            # A renewal in flight is bounded by the database's lock and statement timeouts;
            # waiting longer than a beat would only hold up the sync's result.
            self._thread.join(self.times.renew_every.total_seconds())

    def _run(self) -> None:
        while not self._stop.wait(self.times.renew_every.total_seconds()):
            try:
                if not renew(self.engine, self.lease, self.times):
                    self.lost = True
                    log.warning("The sync's lease was taken over by another process")
                    return
            except errors.RosterSyncError as exc:
                log.warning("Could not renew the sync's lease (trying again): %s", exc.detail)
