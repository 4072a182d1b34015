"""Several ``rostergui sync --all`` processes sharing one database split a round: each course is
synced by exactly one of them (counted from the sync history), a killed worker's courses are
synced by the others once its lease is gone, nothing is applied twice, and courses sharing
people sync side by side without a deadlock or a person stored twice.

The workers are real processes of the command line against the simulator over real HTTP; the
round-splitting tests need PostgreSQL (the shared database of several machines) and run on it
only through scripts/dev.sh; the overlapping-rosters test runs on SQLite too.
"""

from __future__ import annotations

import dataclasses
import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from keyrings.alt.file import PlaintextKeyring
from sqlalchemy import Engine, func, select

from rostergui.core.secrets import SecretStore
from rostergui.core.service import ClientOptions, RosterService
from rostergui.core.states import Change, Outcome
from rostergui.core.store.db import open_database
from rostergui.core.store.schema import (
    contexts,
    memberships,
    people,
    sync_changes,
    sync_leases,
    sync_runs,
)
from rostergui.simulator import DEFAULT_API_KEY, SimCourse, Simulator
from rostergui.simulator.samples import course_keys, mooc_course
from tests.conftest import FAST_RETRY
from tests.test_sync import member

COURSES = 12
MEMBERS = 300  # three pages of 100 (the MOOC's LMS caps a page at 100)


def round_courses(count: int = COURSES, members: int = MEMBERS) -> list[SimCourse]:
    """``count`` courses, each an LMS course of its own. The generator numbers members alike,
    so the courses list the same ``members`` people: every apply meets the others' people."""
    return [
        dataclasses.replace(mooc_course(count=members, slug=f"c{i:02d}"), context_id=f"c-{i}")
        for i in range(count)
    ]


@pytest.fixture
def workers_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    """The environment every worker process shares: one file keyring, one data folder."""
    env = {
        "ROSTERGUI_DATA_DIR": str(tmp_path / "data"),
        "PYTHON_KEYRING_BACKEND": "keyrings.alt.file.PlaintextKeyring",
        "XDG_DATA_HOME": str(tmp_path / "xdg"),
    }
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    return {**os.environ, **env}


def add_courses(tmp_path: Path, db_url: str, sim: Simulator) -> list[str]:
    """Add every simulator course once, in this process, into the keyring the workers read."""
    service = RosterService.open(
        data_directory=tmp_path / "data",
        db_url=db_url,
        secrets=SecretStore(PlaintextKeyring()),
        client_options=ClientOptions(timeout=5, retry=FAST_RETRY),
    )
    try:
        for slug, course in sim.courses.items():
            service.add_course(slug, sim.base_url, DEFAULT_API_KEY, service_key=course.service_key)
    finally:
        service.close()
    return sorted(sim.courses)


def start_worker(env: dict[str, str], db_url: str, *argv: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "rostergui", "sync", *argv, "--json"],
        env={**env, "ROSTERGUI_DB_URL": db_url},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def finish(process: subprocess.Popen[str]) -> list[dict[str, object]]:
    out, err = process.communicate(timeout=300)
    assert process.returncode == 0, err[-2000:]
    results: list[dict[str, object]] = json.loads(out)
    return results


@pytest.fixture
def engine(db_url: str) -> Iterator[Engine]:
    db = open_database(db_url)
    yield db
    db.dispose()


def ok_runs(engine: Engine) -> dict[str, int]:
    """Successful runs per course (0 for none), from the sync history."""
    with engine.connect() as conn:
        names = conn.execute(select(contexts.c.name)).scalars().all()
        counts = dict(
            conn.execute(
                select(contexts.c.name, func.count())
                .select_from(contexts.join(sync_runs))
                .where(sync_runs.c.outcome == Outcome.OK)
                .group_by(contexts.c.name)
            ).all()
        )
    return {name: counts.get(name, 0) for name in names}


def applied_once(engine: Engine, members: int) -> None:
    """Every course holds its roster once, and its history adds each member once."""
    with engine.connect() as conn:
        per_course = conn.execute(
            select(memberships.c.context_pk, func.count()).group_by(memberships.c.context_pk)
        ).all()
        added = conn.execute(
            select(sync_runs.c.context_pk, func.count())
            .select_from(sync_changes.join(sync_runs, sync_runs.c.id == sync_changes.c.run_id))
            .where(sync_changes.c.change == Change.ADDED)
            .group_by(sync_runs.c.context_pk)
        ).all()
        distinct_people = conn.execute(select(func.count()).select_from(people)).scalar_one()
    assert {count for _course, count in per_course} == {members}
    assert {count for _course, count in added} == {members}
    assert distinct_people == members  # the courses share their people; none stored twice


def need_postgresql(engine: Engine) -> None:
    if engine.dialect.name != "postgresql":
        pytest.skip("several machines share a PostgreSQL database")


def test_three_workers_sync_every_course_exactly_once(
    tmp_path: Path, db_url: str, engine: Engine, workers_env: dict[str, str]
) -> None:
    need_postgresql(engine)
    with Simulator(courses=round_courses(), latency=0.05) as sim:
        names = add_courses(tmp_path, db_url, sim)
        workers = [
            start_worker(workers_env, db_url, "--all", "--stale-after", "1h", "--jobs", "2")
            for _ in range(3)
        ]
        outcomes = [r["outcome"] for w in workers for r in finish(w)]
    assert ok_runs(engine) == dict.fromkeys(names, 1)
    assert outcomes.count(Outcome.OK) == COURSES  # the rest were busy or skipped, not failed
    assert set(outcomes) <= {Outcome.OK, Outcome.BUSY, Outcome.SKIPPED}
    applied_once(engine, MEMBERS)

    # A cron tick a moment later (another machine) finds nothing stale.
    again = start_worker(workers_env, db_url, "--all", "--stale-after", "1h")
    assert {r["outcome"] for r in finish(again)} == {Outcome.SKIPPED}
    assert ok_runs(engine) == dict.fromkeys(names, 1)


def test_a_killed_workers_courses_are_synced_by_the_others(
    tmp_path: Path, db_url: str, engine: Engine, workers_env: dict[str, str]
) -> None:
    need_postgresql(engine)
    env = {**workers_env, "ROSTERGUI_SYNC_LEASE_SECONDS": "3"}
    args = ("--all", "--stale-after", "1h", "--jobs", "2")
    with Simulator(courses=round_courses(), latency=0.25) as sim:
        names = add_courses(tmp_path, db_url, sim)
        victim = start_worker(env, db_url, *args)
        survivors = [start_worker(env, db_url, *args) for _ in range(2)]
        lease_holders(engine, victim.pid, wait=60)  # mid-round: a course done, others held
        os.kill(victim.pid, signal.SIGKILL)
        victim.wait(30)
        held_by_victim = lease_holders(engine, victim.pid, wait=0)  # what it held as it died
        first = [r for w in survivors for r in finish(w)]
        # The survivors found the victim's courses busy, or took them over once their leases
        # had run out (3 s): at most those are unsynced after their round.
        unsynced = {name for name, count in ok_runs(engine).items() if count == 0}
        assert unsynced <= held_by_victim
        assert unsynced <= {r["name"] for r in first if r["outcome"] == Outcome.BUSY}
        time.sleep(3.5)  # the victim's leases have run out by now in any case
        second = [start_worker(env, db_url, *args) for _ in range(2)]
        retried = [r for w in second for r in finish(w)]
    assert ok_runs(engine) == dict.fromkeys(names, 1)
    assert {r["name"] for r in retried if r["outcome"] == Outcome.OK} == unsynced
    applied_once(engine, MEMBERS)
    with engine.connect() as conn:
        victims = conn.execute(
            select(contexts.c.name, sync_runs.c.outcome)
            .select_from(contexts.join(sync_runs))
            .where(sync_runs.c.holder.like(f"%:{victim.pid}"))
        ).all()
        held = conn.execute(select(sync_leases.c.token).where(sync_leases.c.token.is_not(None)))
        assert held.all() == []  # every lease given back
    # What the victim left running is recorded as interrupted, not as running for ever, and
    # another worker synced each of those courses (once: see ok_runs above).
    interrupted = {name for name, outcome in victims if outcome == Outcome.FAILED}
    assert interrupted and interrupted <= held_by_victim
    assert {outcome for _name, outcome in victims} <= {Outcome.OK, Outcome.FAILED}


def lease_holders(engine: Engine, pid: int, *, wait: float) -> set[str]:
    """The courses whose lease ``pid`` holds, once it holds one and another course is done."""
    deadline = time.monotonic() + wait
    while True:
        with engine.connect() as conn:
            held = set(
                conn.execute(
                    select(contexts.c.name)
                    .select_from(contexts.join(sync_leases))
                    .where(sync_leases.c.holder.like(f"%:{pid}"))
                ).scalars()
            )
            done = conn.execute(
                select(func.count()).select_from(sync_runs).where(sync_runs.c.outcome == Outcome.OK)
            ).scalar_one()
        if held and done:
            return held
        if time.monotonic() > deadline:
            raise AssertionError("the worker held no course's lease")
        time.sleep(0.05)


def shared_courses() -> list[SimCourse]:
    """Two courses of one platform listing the same people, in opposite orders."""
    made = []
    for i, slug in enumerate(("left", "right")):
        service_key, ltik = course_keys(7, slug)
        made.append(
            dataclasses.replace(
                mooc_course(count=1, slug=slug),
                context_id=f"shared-{i}",
                service_key=service_key,
                ltik=ltik,
            )
        )
    return made


def test_overlapping_rosters_in_two_processes_never_deadlock_or_duplicate(
    tmp_path: Path, db_url: str, engine: Engine, workers_env: dict[str, str]
) -> None:
    size = 2000
    with Simulator(courses=shared_courses(), latency=0.01) as sim:
        names = add_courses(tmp_path, db_url, sim)
        for round_ in range(3):
            # New people on the first round; everyone renamed on the next ones, so both
            # applies insert or update the same people rows at the same time.
            roster = [member(f"u{i:05d}", name=f"Person {i} ({round_})") for i in range(size)]
            sim.replace_roster("left", roster)
            sim.replace_roster("right", roster[::-1])
            pair = [start_worker(workers_env, db_url, name) for name in names]
            results = [r for w in pair for r in finish(w)]
            assert [r["outcome"] for r in results] == [Outcome.OK, Outcome.OK], results
    with engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(people)).scalar_one() == size
        stored = conn.execute(select(func.count()).select_from(memberships)).scalar_one()
        renamed = conn.execute(
            select(func.count()).select_from(people).where(people.c.name.like("% (2)"))
        ).scalar_one()
    assert stored == 2 * size and renamed == size
