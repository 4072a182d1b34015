"""The sync engine against the simulator over real HTTP: all-or-nothing, drops and returns,
the mass-drop hold, LMS quirks, and history."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import pytest
from sqlalchemy import select

from rostergui.core.service import RosterService
from rostergui.core.states import Outcome
from rostergui.core.store.history import process_handle
from rostergui.core.store.schema import memberships, sync_runs
from rostergui.core.sync import Progress
from rostergui.simulator import Fault, Simulator
from tests.conftest import add_sim_course, database_text

M = "http://purl.imsglobal.org/vocab/lis/v2/membership#"


def member(uid: str, role: str = "Learner", **extra: object) -> dict[str, object]:
    return {"userId": uid, "roles": [M + role], "name": f"Person {uid}", **extra}


def roster_snapshot(service: RosterService, name: str) -> list[tuple[str, str, str]]:
    return sorted((r.user_id, r.role, r.status) for r in service.members(name, status="all"))


def test_first_sync_stores_every_member_and_records_the_run(
    service: RosterService, sim: Simulator
) -> None:
    name = add_sim_course(service, sim, "canvas-bio")
    seen: list[Progress] = []
    result = service.sync(name, progress=seen.append)
    expected = len({m.user_id for m in sim.course("canvas-bio").roster.members()})
    assert result.ok, result.error
    assert result.added == expected == len(service.members(name, status="all"))
    assert result.pages == len([p for p in seen if p.phase == "fetching"]) > 1
    assert seen[-1].phase == "applying"
    runs = service.history(name)
    assert [r.outcome for r in runs] == ["ok"]
    assert runs[0].added == expected
    course = service.course(name)
    assert course.last_status == "ok" and course.last_synced_at is not None
    assert course.title == "Introduction to Biology"


def test_unchanged_resync_changes_nothing(service: RosterService, sim: Simulator) -> None:
    name = add_sim_course(service, sim, "canvas-bio")
    service.sync(name)
    before = roster_snapshot(service, name)
    again = service.sync(name)
    assert again.ok
    assert (again.added, again.updated, again.deactivated, again.reactivated) == (0, 0, 0, 0)
    assert roster_snapshot(service, name) == before


def test_drops_become_inactive_and_returns_are_reactivated(
    service: RosterService, sim: Simulator
) -> None:
    sim.replace_roster("canvas-bio", [member(str(i)) for i in range(10)])
    name = add_sim_course(service, sim, "canvas-bio")
    assert service.sync(name).added == 10

    sim.replace_roster("canvas-bio", [member(str(i)) for i in range(8)])  # 8, 9 drop
    dropped = service.sync(name)
    assert (dropped.deactivated, dropped.active_count) == (2, 8)
    gone = {r.user_id: r for r in service.members(name, status="inactive")}
    assert set(gone) == {"8", "9"}
    assert gone["8"].deactivated_at is not None  # never deleted, marked with the time
    assert gone["8"].last_seen_at < gone["8"].deactivated_at

    sim.replace_roster("canvas-bio", [member(str(i)) for i in range(10)] + [member("new")])
    back = service.sync(name)
    assert (back.reactivated, back.added, back.active_count) == (2, 1, 11)
    assert service.members(name, status="inactive") == []
    changes = service.changes(service.history(name)[0].id)
    assert sorted((c.change, c.user_id) for c in changes) == [
        ("added", "new"),
        ("reactivated", "8"),
        ("reactivated", "9"),
    ]


def test_lms_inactive_status_and_role_changes_are_tracked(
    service: RosterService, sim: Simulator
) -> None:
    sim.replace_roster("canvas-bio", [member("a"), member("b"), member("c")])
    name = add_sim_course(service, sim, "canvas-bio")
    service.sync(name)
    sim.replace_roster(
        "canvas-bio",
        [member("a", status="Inactive"), member("b", "Instructor"), member("c", name="Renamed")],
    )
    result = service.sync(name)
    assert (result.deactivated, result.updated) == (1, 2)
    rows = {r.user_id: r for r in service.members(name, status="all")}
    assert rows["a"].status == "inactive"
    assert rows["b"].role == "Instructor"
    assert rows["c"].name == "Renamed"
    kinds = sorted(c.change for c in service.changes(service.history(name)[0].id))
    assert kinds == ["deactivated", "role_changed"]


def test_mass_drop_is_held_until_confirmed(service: RosterService, sim: Simulator) -> None:
    sim.replace_roster("canvas-bio", [member(str(i)) for i in range(40)])
    name = add_sim_course(service, sim, "canvas-bio")
    service.sync(name)
    sim.replace_roster("canvas-bio", [member(str(i)) for i in range(20)])  # half vanish

    held = service.sync(name)
    assert held.held and not held.ok
    assert held.deactivated == 20 and len(held.would_deactivate) == 20
    assert len(service.members(name)) == 40  # nothing applied
    assert service.history(name)[0].outcome == "held"
    assert service.course(name).last_status == "ok"

    applied = service.sync(name, allow_mass_drop=True)
    assert applied.ok and applied.deactivated == 20
    assert len(service.members(name)) == 20


def test_an_empty_roster_never_wipes_a_class(service: RosterService, sim: Simulator) -> None:
    name = add_sim_course(service, sim, "canvas-bio")
    first = service.sync(name)
    sim.replace_roster("canvas-bio", [])
    held = service.sync(name)
    assert held.held
    assert len(service.members(name)) == first.active_count


def test_small_courses_are_not_held(service: RosterService, sim: Simulator) -> None:
    sim.replace_roster("canvas-bio", [member(str(i)) for i in range(10)])
    name = add_sim_course(service, sim, "canvas-bio")
    service.sync(name)
    sim.replace_roster("canvas-bio", [member("0")])
    assert service.sync(name).ok  # fewer than 20 active: below the hold threshold


@pytest.mark.parametrize(
    "fault",
    [
        Fault("server_error", page=3, times=None),
        Fault("malformed_json", page=2),
        Fault("bad_shape", page=2),
        Fault("disconnect", page=2, times=None),
    ],
)
def test_a_failure_midway_leaves_the_roster_exactly_as_it_was(
    service: RosterService, sim: Simulator, fault: Fault
) -> None:
    name = add_sim_course(service, sim, "canvas-bio")
    service.sync(name)
    before = roster_snapshot(service, name)
    sim.drop("canvas-bio", count=3)
    sim.enroll("canvas-bio", count=2)
    sim.inject(fault)
    result = service.sync(name)
    assert not result.ok and result.error
    assert roster_snapshot(service, name) == before
    run = service.history(name)[0]
    assert run.outcome == "failed" and run.error == result.error
    course = service.course(name)
    assert course.last_status == "failed" and course.last_error == result.error


def test_transient_faults_are_retried(service: RosterService, sim: Simulator) -> None:
    name = add_sim_course(service, sim, "canvas-bio")
    sim.inject(Fault("rate_limit", page=2, retry_after=0))
    sim.inject(Fault("server_error", page=4, times=1))
    result = service.sync(name)
    assert result.ok, result.error


def test_cancel_midway_changes_nothing(service: RosterService, sim: Simulator) -> None:
    name = add_sim_course(service, sim, "canvas-large")
    service.sync(name)
    before = roster_snapshot(service, name)
    sim.drop("canvas-large", count=5)
    sim.latency = 0.02
    cancel = threading.Event()

    def progress(p: Progress) -> None:
        if p.pages == 3:
            cancel.set()

    result = service.sync(name, progress=progress, cancel=cancel)
    assert result.cancelled and not result.ok
    assert roster_snapshot(service, name) == before
    assert service.history(name)[0].outcome == "cancelled"
    assert service.course(name).last_status == "ok"  # a cancel is not a failure


def test_quirky_lms_duplicates_and_ignored_limit(service: RosterService, sim: Simulator) -> None:
    name = add_sim_course(service, sim, "edx-data", ltik=True)
    result = service.sync(name)
    distinct = len({m.user_id for m in sim.course("edx-data").roster.members()})
    assert result.ok
    assert result.fetched > distinct  # the LMS repeated members across pages
    assert result.added == distinct == len(service.members(name, status="all"))


def test_numeric_ids_snake_case_and_lti11_roles(service: RosterService, sim: Simulator) -> None:
    name = add_sim_course(service, sim, "moodle-chem", ltik=True)
    assert service.sync(name).ok
    rows = service.members(name, status="all")
    assert all(r.user_id.isdigit() for r in rows)
    roles = {r.role for r in rows}
    assert {"Instructor", "Learner"} <= roles
    assert all(r.name for r in rows)


def test_roles_test_users_and_unicode_are_stored(service: RosterService, sim: Simulator) -> None:
    name = add_sim_course(service, sim, "canvas-bio")
    service.sync(name)
    rows = service.members(name, status="all")
    by_role = {r.role for r in rows}
    assert {"Instructor", "Teaching Assistant", "Content Developer", "Mentor", "Learner"} <= by_role
    test_users = [r for r in rows if r.test_user]
    assert len(test_users) == 1 and test_users[0].email is None
    assert any(r.name == "王小明" for r in rows)
    assert service.members(name, search="zoe angstrom")


def test_course_without_roster_service_fails_clearly(
    service: RosterService, sim: Simulator
) -> None:
    name = add_sim_course(service, sim, "no-roster", ltik=True)
    assert service.course(name).roster_available is False
    result = service.sync(name)
    assert not result.ok and result.error_kind == "no_roster_service"
    assert "Names and Roles" in (result.error or "")


def test_two_syncs_of_the_same_course_never_double_count(
    service: RosterService, sim: Simulator
) -> None:
    """The second of two overlapping syncs finds the course's lease held: it is BUSY (not a
    failure), calls LTIAAS for nothing and writes no history row."""
    sim.replace_roster("canvas-bio", [member(str(i)) for i in range(500)])
    sim.latency = 0.02  # a walk of several pages, long enough for the second to arrive
    name = add_sim_course(service, sim, "canvas-bio")
    sim.reset_log()
    results = []
    first = threading.Thread(target=lambda: results.append(service.sync(name)))
    first.start()
    while not any("/api/memberships" in r.path for r in sim.requests):
        time.sleep(0.005)
    second = service.sync(name)
    first.join()
    assert results[0].ok and results[0].added == 500
    assert second.outcome is Outcome.BUSY and second.skipped and not second.ok
    assert second.error == f"being synced by {process_handle()}"
    assert second.error_kind == "busy" and second.run_id is None
    with service.engine.connect() as conn:
        assert len(conn.execute(select(memberships)).all()) == 500
        assert len(conn.execute(select(sync_runs)).all()) == 1
    again = service.sync(name)  # the lease was given back
    assert again.ok and again.added == 0


def test_no_secret_reaches_the_database_or_the_log(
    service: RosterService, sim: Simulator, tmp_path: Path
) -> None:
    from rostergui.core.logs import setup_logging

    log_file = setup_logging(tmp_path, verbose=True)
    try:
        name = add_sim_course(service, sim, "canvas-bio")
        ltik_name = add_sim_course(service, sim, "moodle-chem", "chem", ltik=True)
        service.sync(name)
        service.sync(ltik_name)
        sim.inject(Fault("server_error", times=None))
        service.sync(name)  # failure paths log too
    finally:
        setup_logging(None)
    secrets = [
        sim.api_key,
        sim.course("canvas-bio").service_key,
        sim.course("moodle-chem").service_key,
        sim.course("moodle-chem").ltik,
    ]
    stored = database_text(service.engine)
    raw_files = b"".join(p.read_bytes() for p in tmp_path.glob("roster.db*"))
    assert log_file is not None
    log_text = log_file.read_text()
    assert "Sync of canvas-bio" in log_text
    assert "canvas-bio" in stored  # the dump does see the data
    for secret in secrets:
        assert secret not in stored
        assert secret.encode() not in raw_files
        assert secret not in log_text


def test_a_first_sync_links_people_already_known_on_the_platform(
    service: RosterService, sim: Simulator
) -> None:
    sim.replace_roster("canvas-bio", [member(str(i)) for i in range(5)])
    sim.replace_roster(
        "canvas-large", [member(str(i), "Instructor", name=f"Renamed {i}") for i in range(3, 8)]
    )
    # Added from launches, both courses know their platform: the same Canvas.
    bio = add_sim_course(service, sim, "canvas-bio", ltik=True)
    large = add_sim_course(service, sim, "canvas-large", ltik=True)
    assert service.course(bio).platform_id == service.course(large).platform_id
    assert service.sync(bio).added == 5
    first = service.sync(large)
    assert (first.added, first.active_count) == (5, 5)
    rows = {r.user_id: r for r in service.members(large, status="all")}
    assert sorted(rows) == ["3", "4", "5", "6", "7"]
    assert {r.role for r in rows.values()} == {"Instructor"}
    # One person per platform and user id: 3 and 4 are the people the first course added.
    assert {r.user_id for r in service.members(bio, status="all")} & set(rows) == {"3", "4"}
    with service.engine.connect() as conn:
        people_rows = conn.exec_driver_sql("SELECT COUNT(*) FROM people").scalar_one()
    assert people_rows == 8
    assert [c.change for c in service.changes(service.history(large)[0].id)] == ["added"] * 5
