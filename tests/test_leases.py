"""Course leases on SQLite and PostgreSQL: claim, busy, skip, expiry and take-over, renewal,
release in every path, and how interrupted runs and leases agree."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from datetime import timedelta

import pytest
from sqlalchemy import Engine, insert, select, text, update

from rostergui.core import errors
from rostergui.core.service import RosterService
from rostergui.core.states import Outcome, Trigger
from rostergui.core.store import repo
from rostergui.core.store.db import open_database
from rostergui.core.store.history import mark_interrupted_runs, process_handle
from rostergui.core.store.leases import Heartbeat, LeaseTimes, claim, confirm, release, renew
from rostergui.core.store.schema import contexts, sync_leases, sync_runs
from rostergui.simulator import Fault, Simulator
from tests.conftest import add_sim_course
from tests.test_sync import member

SHORT = LeaseTimes(lifetime=timedelta(seconds=1), renew_every=timedelta(seconds=0.2))
NOW_ISH = timedelta(seconds=5)


@pytest.fixture
def engine(db_url: str) -> Iterator[Engine]:
    db = open_database(db_url)
    yield db
    db.dispose()


def _course(engine: Engine, name: str = "A") -> int:
    with engine.begin() as conn:
        return repo.add_course(
            conn, name=name, base_url="https://x", platform_id="p", auth_scheme="service_key"
        ).id


def _start_run(conn: object) -> int:
    from sqlalchemy import Connection

    assert isinstance(conn, Connection)
    inserted = conn.execute(
        insert(sync_runs).values(
            context_pk=1,
            started_at=repo.utcnow(),
            outcome=Outcome.RUNNING,
            trigger=Trigger.COMMAND,
            holder=process_handle(),
        )
    ).inserted_primary_key
    assert inserted is not None
    return int(inserted[0])


def _no_run(_conn: object) -> None:
    return None


def test_a_held_lease_is_busy_and_names_its_holder(engine: Engine) -> None:
    course = _course(engine)
    lease = claim(engine, course, times=LeaseTimes(), start_run=_no_run)
    assert lease.holder == process_handle()
    with pytest.raises(errors.SyncBusyError) as busy:
        claim(engine, course, times=LeaseTimes(), start_run=_no_run)
    assert busy.value.message == f"being synced by {process_handle()}"
    release(engine, lease)
    again = claim(engine, course, times=LeaseTimes(), start_run=_no_run)
    assert again.token != lease.token


def test_release_gives_back_only_its_own_claim(engine: Engine) -> None:
    course = _course(engine)
    old = claim(engine, course, times=SHORT, start_run=_no_run)
    time.sleep(1.1)  # it runs out, and another claim takes the course over
    new = claim(engine, course, times=LeaseTimes(), start_run=_no_run)
    release(engine, old)  # too late: the course is no longer the old claim's
    with pytest.raises(errors.SyncBusyError):
        claim(engine, course, times=LeaseTimes(), start_run=_no_run)
    assert not renew(engine, old, LeaseTimes())
    with engine.begin() as conn, pytest.raises(errors.LeaseLostError):
        confirm(conn, old, LeaseTimes())
    assert renew(engine, new, LeaseTimes())


def test_an_expired_lease_is_taken_over_and_its_run_closed_as_interrupted(
    engine: Engine,
) -> None:
    course = _course(engine)
    dead = claim(engine, course, times=SHORT, start_run=_start_run)
    with pytest.raises(errors.SyncBusyError):
        claim(engine, course, times=SHORT, start_run=_start_run)
    time.sleep(1.1)
    taken = claim(engine, course, times=LeaseTimes(), start_run=_start_run)
    with engine.connect() as conn:
        runs = dict(conn.execute(select(sync_runs.c.id, sync_runs.c.outcome)).all())
        error = conn.execute(
            select(sync_runs.c.error).where(sync_runs.c.id == dead.run_id)
        ).scalar_one()
    assert runs == {dead.run_id: Outcome.FAILED, taken.run_id: Outcome.RUNNING}
    assert "stopped renewing its lease" in error


def test_synced_since_skips_a_course_synced_after_it(engine: Engine) -> None:
    course = _course(engine)
    synced = repo.utcnow() - timedelta(hours=2)
    with engine.begin() as conn:
        conn.execute(update(contexts).where(contexts.c.id == course).values(last_synced_at=synced))
    with pytest.raises(errors.SyncSkippedError) as skipped:
        claim(
            engine,
            course,
            times=LeaseTimes(),
            synced_since=synced - timedelta(hours=4),
            start_run=_start_run,
        )
    assert skipped.value.message == "synced 2 h ago"
    with engine.connect() as conn:  # a skip writes no history and holds no lease
        assert conn.execute(select(sync_runs)).all() == []
        assert conn.execute(select(sync_leases.c.token)).scalars().all() in ([], [None])
    lease = claim(
        engine, course, times=LeaseTimes(), synced_since=synced + NOW_ISH, start_run=_no_run
    )
    assert lease.token


def test_the_heartbeat_keeps_a_lease_past_its_lifetime(engine: Engine) -> None:
    course = _course(engine)
    lease = claim(engine, course, times=SHORT, start_run=_no_run)
    with Heartbeat(engine, lease, SHORT) as beat:
        time.sleep(2.0)  # twice the lifetime
        with pytest.raises(errors.SyncBusyError):
            claim(engine, course, times=SHORT, start_run=_no_run)
    assert not beat.lost
    time.sleep(1.1)  # stopped: it runs out like any other
    assert claim(engine, course, times=SHORT, start_run=_no_run).token


def test_a_lease_row_being_written_elsewhere_is_busy_at_once(engine: Engine) -> None:
    """PostgreSQL: another transaction holds the lease row (a claim or a confirming apply);
    SKIP LOCKED answers busy without waiting for it."""
    if engine.dialect.name != "postgresql":
        pytest.skip("SQLite has one writer at a time: a claim waits its turn")
    course = _course(engine)
    release(engine, claim(engine, course, times=LeaseTimes(), start_run=_no_run))
    with engine.connect() as other:
        other.begin()
        other.execute(
            text("SELECT 1 FROM sync_leases WHERE context_pk = :c FOR UPDATE"), {"c": course}
        )
        started = time.monotonic()
        with pytest.raises(errors.SyncBusyError):
            claim(engine, course, times=LeaseTimes(), start_run=_no_run)
        assert time.monotonic() - started < 1.0
        other.rollback()


def test_interrupted_runs_and_leases_agree(engine: Engine) -> None:
    course = _course(engine)
    live = claim(engine, course, times=LeaseTimes(), start_run=_start_run)
    other = _course(engine, "B")
    expired = claim(engine, other, times=SHORT, start_run=_start_run)
    time.sleep(1.1)
    with engine.begin() as conn:
        assert mark_interrupted_runs(conn) == 1
        outcomes = dict(conn.execute(select(sync_runs.c.id, sync_runs.c.outcome)).all())
        tokens = dict(conn.execute(select(sync_leases.c.context_pk, sync_leases.c.token)).all())
    assert outcomes == {live.run_id: Outcome.RUNNING, expired.run_id: Outcome.FAILED}
    assert tokens == {course: live.token, other: None}  # given back: the course syncs at once


def test_the_lease_times_are_checked() -> None:
    with pytest.raises(errors.ConfigError):
        LeaseTimes(lifetime=timedelta(seconds=10), renew_every=timedelta(seconds=10))
    with pytest.raises(errors.ConfigError):
        LeaseTimes(lifetime=timedelta(days=1), renew_every=timedelta(minutes=1))


def test_lease_seconds_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ROSTERGUI_SYNC_LEASE_SECONDS", "10")
    assert LeaseTimes.from_env() == LeaseTimes(timedelta(seconds=10), timedelta(seconds=2))
    monkeypatch.setenv("ROSTERGUI_SYNC_LEASE_SECONDS", "soon")
    with pytest.raises(errors.ConfigError, match="ROSTERGUI_SYNC_LEASE_SECONDS"):
        LeaseTimes.from_env()


# --- through the engine, over real HTTP ----------------------------------------------------


def _lease_token(service: RosterService) -> list[str | None]:
    with service.engine.connect() as conn:
        return list(conn.execute(select(sync_leases.c.token)).scalars())


def test_skipped_and_busy_syncs_call_ltiaas_for_nothing(
    service: RosterService, sim: Simulator
) -> None:
    name = add_sim_course(service, sim, "canvas-bio")
    first = service.sync(name)
    assert first.ok
    sim.reset_log()
    skipped = service.sync(name, synced_since=repo.utcnow() - timedelta(hours=6))
    assert skipped.outcome is Outcome.SKIPPED and skipped.skipped and not skipped.ok
    assert skipped.error_kind == "skipped" and skipped.error is not None
    assert skipped.error.startswith("synced ") and skipped.error.endswith(" ago")
    course = service.course(name)
    lease = claim(service.engine, course.id, times=LeaseTimes(), start_run=_no_run)
    busy = service.sync(name)
    assert busy.outcome is Outcome.BUSY and busy.error == f"being synced by {lease.holder}"
    assert busy.retry_after is not None and 0 < busy.retry_after <= 300  # when to ask again
    assert sim.requests == []
    assert len(service.history(name)) == 1  # neither wrote a history row
    release(service.engine, lease)
    again = service.sync(name, synced_since=repo.utcnow() + NOW_ISH)
    assert again.ok


def test_the_lease_is_given_back_however_a_sync_ends(
    service: RosterService, sim: Simulator
) -> None:
    sim.replace_roster("canvas-bio", [member(str(i)) for i in range(50)])
    name = add_sim_course(service, sim, "canvas-bio")
    sim.inject(Fault("server_error", times=None))
    assert service.sync(name).outcome is Outcome.FAILED
    assert _lease_token(service) == [None]
    sim.clear_faults()
    cancel = threading.Event()
    cancel.set()
    assert service.sync(name, cancel=cancel).outcome is Outcome.CANCELLED
    assert _lease_token(service) == [None]
    assert service.sync(name).ok
    assert _lease_token(service) == [None]
    sim.replace_roster("canvas-bio", [])
    assert service.sync(name).outcome is Outcome.HELD
    assert _lease_token(service) == [None]


def test_a_long_fetch_keeps_its_lease(service: RosterService, sim: Simulator) -> None:
    """Renewed while the pages arrive: a sync that takes longer than its lease's lifetime is
    never taken over, and another sync of the course meanwhile is busy."""
    service.sync_engine.lease_times = SHORT
    sim.replace_roster("canvas-bio", [member(str(i)) for i in range(500)])  # 10 pages
    name = add_sim_course(service, sim, "canvas-bio")
    sim.latency = 0.3  # about three lifetimes in all
    since = repo.utcnow()
    results = []
    runner = threading.Thread(target=lambda: results.append(service.sync(name)))
    runner.start()
    others = []
    while runner.is_alive():
        time.sleep(0.3)
        others.append(service.sync(name, synced_since=since).outcome)
    runner.join()
    assert results[0].ok and results[0].seconds > 2 * SHORT.lifetime.total_seconds()
    assert Outcome.BUSY in others and set(others) <= {Outcome.BUSY, Outcome.SKIPPED}
    assert [run.outcome for run in service.history(name)] == [Outcome.OK]


def test_a_skip_clears_what_a_dead_holder_left(engine: Engine) -> None:
    """A holder that saved the roster and died before giving the lease back: once the lease
    has run out, the next claim skips the course (it is synced) and clears the lease."""
    course = _course(engine)
    dead = claim(engine, course, times=SHORT, start_run=_start_run)
    synced = repo.utcnow()
    with engine.begin() as conn:
        conn.execute(update(contexts).where(contexts.c.id == course).values(last_synced_at=synced))
        conn.execute(
            update(sync_runs).where(sync_runs.c.id == dead.run_id).values(outcome=Outcome.OK)
        )
    time.sleep(1.1)
    with pytest.raises(errors.SyncSkippedError):
        claim(engine, course, times=SHORT, synced_since=synced, start_run=_start_run)
    with engine.connect() as conn:
        assert conn.execute(select(sync_leases.c.token)).scalars().all() == [None]
        assert conn.execute(select(sync_runs.c.outcome)).scalars().all() == [Outcome.OK]
