"""The sync history: past runs and their changes, and runs a stopped process left running.

A run row carries the ``host:pid`` of the process that holds it (:func:`process_handle`), and
the course's lease (:mod:`.leases`) names the run it records. After a crash only runs whose
process is known to be gone, or whose lease has run out, are closed as failed, so a colleague's
live sync on a shared database is left alone.
"""

from __future__ import annotations

import os
import socket
from datetime import datetime, timedelta

from sqlalchemy import Connection, and_, func, select, update

from rostergui.core.states import Outcome
from rostergui.core.store.rows import Change, Course, SyncRun, utcnow
from rostergui.core.store.schema import people, sync_changes, sync_leases, sync_runs

STALE_RUN_AFTER = timedelta(hours=12)


def list_runs(conn: Connection, course: Course, *, limit: int = 200) -> list[SyncRun]:
    query = (
        select(
            sync_runs.c.id,
            sync_runs.c.started_at,
            sync_runs.c.finished_at,
            sync_runs.c.outcome,
            sync_runs.c.trigger,
            sync_runs.c.pages,
            sync_runs.c.fetched,
            sync_runs.c.added,
            sync_runs.c.updated,
            sync_runs.c.deactivated,
            sync_runs.c.reactivated,
            sync_runs.c.active_count,
            sync_runs.c.error,
            sync_runs.c.warning,
        )
        .where(sync_runs.c.context_pk == course.id)
        .order_by(sync_runs.c.started_at.desc(), sync_runs.c.id.desc())
        .limit(limit)
    )
    return [SyncRun(**row) for row in conn.execute(query).mappings()]


def run_changes(conn: Connection, run_id: int) -> list[Change]:
    query = (
        select(
            sync_changes.c.change,
            people.c.user_id,
            people.c.name,
            people.c.email,
            sync_changes.c.old_role,
            sync_changes.c.new_role,
        )
        .select_from(sync_changes.join(people, people.c.id == sync_changes.c.person_id))
        .where(sync_changes.c.run_id == run_id)
        .order_by(sync_changes.c.change, func.lower(func.coalesce(people.c.name, "")))
    )
    return [Change(*row) for row in conn.execute(query)]


def process_handle() -> str:
    """Identifies this process in ``sync_runs.holder`` (a very long host name is shortened
    to fit the column; the pid stays whole)."""
    pid = f":{os.getpid()}"
    length = sync_runs.c.holder.type.length or 200  # type: ignore[attr-defined]
    return socket.gethostname()[: length - len(pid)] + pid


def database_now(conn: Connection) -> datetime:
    """Naive UTC by the database's clock on PostgreSQL (shared by every machine, so leases
    expire alike for all of them), by this machine's on SQLite (one machine uses the file)."""
    if conn.dialect.name == "postgresql":
        value = conn.execute(select(func.timezone("UTC", func.clock_timestamp()))).scalar_one()
        assert isinstance(value, datetime)
        return value
    return utcnow()


def _holder_is_gone(holder: str | None, started_at: datetime, now: datetime) -> bool:
    if now - started_at > STALE_RUN_AFTER:
        return True
    host, _, pid = (holder or "").rpartition(":")
    if host != socket.gethostname() or not pid.isdigit():
        return False  # another machine's sync (shared database): leave it alone
    if int(pid) == os.getpid():
        return False
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return True
    except OSError:
        return False
    return False


def mark_interrupted_runs(conn: Connection) -> int:
    """Runs left ``running`` by a crashed or killed process are recorded as failed.

    A run is interrupted when its lease has run out (its holder stopped renewing it), when its
    process is known to be gone (same host, no such pid), or when it started long ago. A
    colleague's live sync on a shared database holds a live lease and is never disturbed; a
    run recorded before leases existed is judged by its process alone. The lease of an
    interrupted run is given back, so its course can be synced at once.
    """
    now = utcnow()
    lease_now = database_now(conn)
    leased = {
        run_id: expires_at is None or expires_at < lease_now
        for run_id, expires_at in conn.execute(
            select(sync_leases.c.run_id, sync_leases.c.expires_at).where(
                and_(sync_leases.c.token.is_not(None), sync_leases.c.run_id.is_not(None))
            )
        )
    }
    stale = [
        run_id
        for run_id, holder, started in conn.execute(
            select(sync_runs.c.id, sync_runs.c.holder, sync_runs.c.started_at).where(
                sync_runs.c.outcome == Outcome.RUNNING
            )
        )
        if leased.get(run_id, False) or _holder_is_gone(holder, started, now)
    ]
    if stale:
        conn.execute(
            update(sync_runs)
            .where(sync_runs.c.id.in_(stale))
            .values(
                outcome=Outcome.FAILED,
                finished_at=now,
                error="Interrupted: RosterSync stopped before the sync finished; nothing was "
                "changed",
            )
        )
        conn.execute(
            update(sync_leases)
            .where(sync_leases.c.run_id.in_(stale))
            .values(token=None, holder=None, run_id=None, claimed_at=None, expires_at=None)
        )
    return len(stale)
