"""A round of syncs over real HTTP against the simulator: courses at once, at most a few per
origin, a shared back-off, a refused API key stopping its origin, cancel one and all, and
courses sharing people synced in parallel on SQLite and PostgreSQL."""

from __future__ import annotations

import dataclasses
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import func, select

from rostergui.core.connection import ClientOptions
from rostergui.core.limits import MAX_JOBS, RetryPolicy
from rostergui.core.origin_gate import OriginGates
from rostergui.core.secrets import SecretStore
from rostergui.core.service import RosterService
from rostergui.core.states import Outcome
from rostergui.core.store.schema import people, sync_runs
from rostergui.core.sync import Progress, ProgressCallback
from rostergui.core.sync_round import RoundPlan, RoundRequest, SyncRound
from rostergui.simulator import Fault, Simulator
from rostergui.simulator.model import SimCourse
from rostergui.simulator.roster import Roster
from rostergui.simulator.samples import course_keys, mooc_course
from tests.conftest import add_sim_course

RETRY = RetryPolicy(attempts=4, total_seconds=20, base_delay=0.01, max_delay=0.05)


def courses(prefix: str, count: int, members: int) -> list[SimCourse]:
    """``count`` courses of ``members`` each (100 a page at most), each an LMS course of its
    own."""
    return [
        dataclasses.replace(
            mooc_course(count=members, slug=f"{prefix}{i}"), context_id=f"{prefix}-{i}"
        )
        for i in range(count)
    ]


def shared_people(count: int, members: int) -> list[SimCourse]:
    """``count`` courses on one platform with the same people (one roster source)."""
    first = mooc_course(count=members, slug="shared0")
    made = [first]
    for i in range(1, count):
        slug = f"shared{i}"
        service_key, ltik = course_keys(7, slug)
        made.append(
            dataclasses.replace(
                first,
                slug=slug,
                context_id=f"66{i:02d}",
                service_key=service_key,
                ltik=ltik,
                roster=Roster(first.roster.source),
            )
        )
    return made


def open_service(
    tmp_path: Path, db_url: str, secrets: SecretStore, per_origin: int = 4
) -> RosterService:
    return RosterService.open(
        data_directory=tmp_path,
        db_url=db_url,
        secrets=secrets,
        client_options=ClientOptions(timeout=5, retry=RETRY, gates=OriginGates(per_origin)),
        page_size=100,
    )


@pytest.fixture
def four_slow() -> Iterator[Simulator]:
    """Four courses of 600 members (6 pages at 100), 30 ms a page."""
    with Simulator(courses=courses("c", 4, 600), latency=0.03) as sim:
        yield sim


def test_plan_keeps_the_asked_order_within_the_bounds() -> None:
    plan = RoundPlan(jobs=3, per_origin=2)
    for name, origin in [("a", "x"), ("b", "x"), ("c", "x"), ("d", "y"), ("e", "y")]:
        plan.add(RoundRequest(name, origin))
    started = [r.name for r in iter(plan.take, None)]
    assert started == ["a", "b", "d"]  # c waits: x has two running; the jobs are full
    plan.finish("a")
    assert [r.name for r in iter(plan.take, None)] == ["c"]
    plan.finish("d")
    assert [r.name for r in iter(plan.take, None)] == ["e"]
    assert plan.drop("e") is None  # running, not waiting
    with pytest.raises(ValueError):
        plan.add(RoundRequest("b", "x"))


def test_round_runs_courses_at_once_and_returns_them_in_order(
    tmp_path: Path, secrets: SecretStore, sqlite_url: str, four_slow: Simulator
) -> None:
    sim = four_slow
    service = open_service(tmp_path, sqlite_url, secrets, per_origin=4)
    try:
        names = [add_sim_course(service, sim, f"c{i}") for i in (2, 0, 3, 1)]
        sim.reset_log()
        seen: dict[str, int] = {}
        lock = threading.Lock()

        def progress(name: str) -> ProgressCallback:
            def report(_p: Progress) -> None:
                with lock:
                    seen[name] = seen.get(name, 0) + 1

            return report

        report = SyncRound(service, jobs=4).run([*names, "c2"], progress=progress)
        assert [r.name for r in report.results] == names
        assert all(r.ok and r.added == 600 for r in report.results), report.results
        assert sim.in_flight.peak >= 2  # they really ran at once
        assert set(seen) == set(names)  # each course its own progress
    finally:
        service.close()


def test_no_more_than_the_per_origin_limit_in_flight(
    tmp_path: Path, secrets: SecretStore, sqlite_url: str, four_slow: Simulator
) -> None:
    sim = four_slow
    service = open_service(tmp_path, sqlite_url, secrets, per_origin=2)
    try:
        names = [add_sim_course(service, sim, f"c{i}") for i in range(4)]
        sim.reset_log()
        report = SyncRound(service, jobs=4).run(names)
        assert all(r.ok for r in report.results)
        assert sim.in_flight.peak == 2
        assert sim.in_flight.refused == 0
    finally:
        service.close()


def test_a_429_on_one_course_pauses_its_origin_but_not_another(
    tmp_path: Path, secrets: SecretStore, sqlite_url: str
) -> None:
    with (
        Simulator(courses=courses("a", 2, 2000), latency=0.03) as one,
        Simulator(courses=courses("b", 1, 2000), latency=0.03) as two,
    ):
        service = open_service(tmp_path, sqlite_url, secrets)
        try:
            names = [add_sim_course(service, one, "a0"), add_sim_course(service, one, "a1")]
            names.append(add_sim_course(service, two, "b0"))
            one.inject(Fault("rate_limit", course="a0", page=3, retry_after=1))
            report = SyncRound(service, jobs=3).run(names)
            assert all(r.ok and r.added == 2000 for r in report.results), report.results
        finally:
            service.close()
        refused = [r for r in one.requests if r.status == 429]
        assert len(refused) == 1
        pause_from = refused[0].answered_at + 0.03 + 0.1  # what was on the wire may end
        pause_to = refused[0].answered_at + 0.85
        same_origin = [
            r for r in one.requests if r.course == "a1" and pause_from < r.answered_at < pause_to
        ]
        other_origin = [r for r in two.requests if pause_from < r.answered_at < pause_to]
        assert same_origin == []  # a1 waited for a0's Retry-After
        assert len(other_origin) >= 5  # b0 went on


def test_a_refused_api_key_stops_the_origins_remaining_courses(
    tmp_path: Path, secrets: SecretStore, sqlite_url: str
) -> None:
    with (
        Simulator(courses=courses("a", 5, 300), latency=0.02) as one,
        Simulator(courses=courses("b", 1, 300), latency=0.02) as two,
    ):
        service = open_service(tmp_path, sqlite_url, secrets, per_origin=1)
        try:
            names = [add_sim_course(service, one, f"a{i}") for i in range(5)]
            names.append(add_sim_course(service, two, "b0"))
            one.api_key = "revoked"
            one.reset_log()
            report = SyncRound(service, jobs=2).run(names)
        finally:
            service.close()
        results = {r.name: r for r in report.results}
        assert results["b0"].ok
        assert not results["a0"].ok and "API key" in (results["a0"].error or "")
        assert report.stopped == {one.base_url: results["a0"].error}
        assert report.not_started == {one.base_url: ["a1", "a2", "a3", "a4"]}
        for name in ("a1", "a2", "a3", "a4"):
            assert results[name].error == f"Not synced: {results['a0'].error}"
        assert len(one.requests) == 1  # LTIAAS was asked once, not five times


def test_cancel_one_course_and_then_all(
    tmp_path: Path, secrets: SecretStore, sqlite_url: str
) -> None:
    with Simulator(courses=courses("c", 4, 2000), latency=0.03) as sim:
        service = open_service(tmp_path, sqlite_url, secrets)
        try:
            names = [add_sim_course(service, sim, f"c{i}") for i in range(4)]
            round_ = SyncRound(service, jobs=2)
            pages: dict[str, int] = {}

            def progress(name: str) -> ProgressCallback:
                def report(p: Progress) -> None:
                    pages[name] = p.pages
                    if name == "c1" and p.pages == 2:
                        round_.cancel("c1")
                    if name == "c0" and p.pages == 4:
                        round_.cancel_all()

                return report

            report = round_.run(names, progress=progress)
            with service.engine.connect() as conn:
                stored = conn.execute(select(func.count()).select_from(people)).scalar_one()
        finally:
            service.close()
        assert stored == 0  # a cancelled sync changes nothing
        outcomes = [r.outcome for r in report.results]
        assert outcomes == [Outcome.CANCELLED] * 4
        assert report.results[3].error == "Cancelled before it started; nothing was changed"
        assert pages["c1"] < 6 and pages["c0"] < 8


def test_courses_sharing_people_sync_in_parallel_without_duplicates(
    tmp_path: Path, secrets: SecretStore, db_url: str
) -> None:
    with Simulator(courses=shared_people(4, 1500), latency=0.005) as sim:
        service = open_service(tmp_path, db_url, secrets)
        try:
            names = [add_sim_course(service, sim, f"shared{i}") for i in range(4)]
            started = time.monotonic()
            report = SyncRound(service, jobs=4).run(names)
            assert time.monotonic() - started < 60
            assert all(r.ok and r.added == 1500 for r in report.results), report.results
            again = SyncRound(service, jobs=4).run(names)
            assert all(r.ok and r.added == 0 for r in again.results), again.results
            with service.engine.connect() as conn:
                assert conn.execute(select(func.count()).select_from(people)).scalar_one() == 1500
                assert (
                    conn.execute(
                        select(func.count())
                        .select_from(sync_runs)
                        .where(sync_runs.c.outcome == Outcome.OK)
                    ).scalar_one()
                    == 8
                )
        finally:
            service.close()


def test_failures_and_applies_at_once_on_sqlite_are_all_recorded(
    tmp_path: Path, secrets: SecretStore, sqlite_url: str
) -> None:
    """Applies and failure records of courses running at once take turns on SQLite's write
    lock (its busy timeout), never "database is locked": every run ends recorded."""
    made = courses("c", 8, 800)
    with Simulator(courses=made, latency=0.002) as sim:
        service = open_service(tmp_path, sqlite_url, secrets)
        try:
            names = [add_sim_course(service, sim, f"c{i}") for i in range(8)]
            for i in range(0, 8, 2):  # every other course fails on its last page
                sim.inject(Fault("server_error", course=f"c{i}", page=8, times=None))
            for _round in range(3):
                report = SyncRound(service, jobs=8).run(names)
                assert [r.ok for r in report.results] == [False, True] * 4, report.results
                assert all(r.error_kind == "upstream" for r in report.results[::2])
            with service.engine.connect() as conn:
                outcomes = conn.execute(select(sync_runs.c.outcome)).scalars().all()
            assert sorted(outcomes) == sorted([Outcome.FAILED, Outcome.OK] * 4 * 3)
            assert [c.last_status for c in service.courses()] == ["failed", "ok"] * 4
        finally:
            service.close()


def test_the_most_courses_at_once_fit_the_database_pool(
    tmp_path: Path, secrets: SecretStore, db_url: str
) -> None:
    """MAX_JOBS syncs at once, each holding a connection for its staging table while its lease
    is renewed and its run recorded on others, never wait out the pool's timeout."""
    with Simulator(courses=courses("c", MAX_JOBS + 2, 400), latency=0.02) as sim:
        service = open_service(tmp_path, db_url, secrets, per_origin=MAX_JOBS)
        try:
            names = [add_sim_course(service, sim, f"c{i}") for i in range(MAX_JOBS + 2)]
            report = SyncRound(service, jobs=MAX_JOBS).run(names)
            assert all(r.ok and r.added == 400 for r in report.results), report.results
            assert sim.in_flight.peak >= MAX_JOBS // 2
        finally:
            service.close()
