"""A round tries a busy course again: when another process's lease on it runs out (that
process died), the course is synced here; without ``synced_since`` a busy course is left to
its holder, so no course is synced twice."""

from __future__ import annotations

import threading
import time
from datetime import timedelta

import pytest
from sqlalchemy import update

from rostergui.core import sync_round
from rostergui.core.service import RosterService
from rostergui.core.states import Outcome
from rostergui.core.store import repo
from rostergui.core.store.leases import LeaseTimes, claim, release
from rostergui.core.store.schema import contexts
from rostergui.core.sync_round import SyncRound
from rostergui.simulator import Simulator
from tests.conftest import add_sim_course
from tests.test_leases import SHORT, _no_run

LONG = LeaseTimes(lifetime=timedelta(minutes=5), renew_every=timedelta(minutes=1))


def _held_by_a_dead_worker(service: RosterService, name: str) -> None:
    """A lease of one second that nobody renews: its holder was killed mid-sync."""
    claim(service.engine, service.course(name).id, times=SHORT, start_run=_no_run)


def test_a_busy_course_is_synced_once_its_dead_holders_lease_runs_out(
    service: RosterService, sim: Simulator
) -> None:
    name = add_sim_course(service, sim, "canvas-bio", "Bio")
    _held_by_a_dead_worker(service, name)
    since = repo.utcnow() - timedelta(hours=1)
    report = SyncRound(service, jobs=2).run([name], synced_since=since)
    (result,) = report.results
    assert result.outcome is Outcome.OK, result.error
    assert result.added > 0


def test_without_synced_since_a_busy_course_stays_busy(
    service: RosterService, sim: Simulator
) -> None:
    name = add_sim_course(service, sim, "canvas-bio", "Bio")
    _held_by_a_dead_worker(service, name)
    (result,) = SyncRound(service, jobs=2).run([name]).results
    assert result.outcome is Outcome.BUSY
    assert service.members(name) == []


def test_cancelling_a_round_stops_waiting_for_a_busy_course(
    service: RosterService, sim: Simulator
) -> None:
    name = add_sim_course(service, sim, "canvas-bio", "Bio")
    claim(service.engine, service.course(name).id, times=LONG, start_run=_no_run)
    round_ = SyncRound(service, jobs=2)
    since = repo.utcnow() - timedelta(hours=1)
    timer = threading.Timer(0.5, round_.cancel_all)
    timer.start()
    started = time.monotonic()
    (result,) = round_.run([name], synced_since=since).results
    timer.join()
    assert result.outcome is Outcome.BUSY
    assert time.monotonic() - started < 5  # not the lease's minutes


def test_a_course_its_live_holder_finishes_is_skipped_not_synced_again(
    service: RosterService, sim: Simulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(sync_round, "BUSY_FIRST_POLL_SECONDS", 0.2)
    name = add_sim_course(service, sim, "canvas-bio", "Bio")
    course = service.course(name)
    lease = claim(service.engine, course.id, times=LONG, start_run=_no_run)

    def holder_finishes() -> None:
        with service.engine.begin() as conn:
            conn.execute(
                update(contexts)
                .where(contexts.c.id == course.id)
                .values(last_synced_at=repo.utcnow())
            )
        release(service.engine, lease)

    since = repo.utcnow() - timedelta(seconds=1)
    timer = threading.Timer(0.5, holder_finishes)
    timer.start()
    sim.reset_log()
    (result,) = SyncRound(service, jobs=2).run([name], synced_since=since).results
    timer.join()
    assert result.outcome is Outcome.SKIPPED, result.error
    assert not [r for r in sim.requests if r.course == "canvas-bio"]  # LTIAAS never asked
