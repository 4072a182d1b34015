"""A held sync keeps its course held after a restart and on other machines: the state comes
from the latest finished run in the history, until a sync applies or fails."""

from __future__ import annotations

from rostergui.cli.output import course_json, course_rows
from rostergui.core.service import RosterService
from rostergui.simulator import Fault, Simulator
from tests.conftest import add_sim_course

LEARNER = "http://purl.imsglobal.org/vocab/lis/v2/membership#Learner"


def _thirty(sim: Simulator) -> None:
    sim.replace_roster(
        "canvas-bio",
        [{"userId": str(i), "roles": [LEARNER], "name": f"P{i}"} for i in range(30)],
    )


def test_a_held_sync_is_stored_until_a_sync_applies(service: RosterService, sim: Simulator) -> None:
    _thirty(sim)
    name = add_sim_course(service, sim, "canvas-bio", "Bio")
    assert service.sync(name).ok
    assert service.course(name).held_drops is None
    sim.replace_roster("canvas-bio", [])
    assert service.sync(name).held
    assert service.course(name).held_drops == 30
    assert [c.held_drops for c in service.courses()] == [30]  # the list says so too
    assert course_rows(service.courses())[1][1] == "held"  # and contexts list
    assert course_json(service.course(name))["held_drops"] == 30
    assert service.sync(name, allow_mass_drop=True).ok
    assert service.course(name).held_drops is None


def test_a_later_failure_ends_the_held_state(service: RosterService, sim: Simulator) -> None:
    _thirty(sim)
    name = add_sim_course(service, sim, "canvas-bio", "Bio")
    assert service.sync(name).ok
    sim.replace_roster("canvas-bio", [])
    assert service.sync(name).held
    sim.inject(Fault("malformed_json", course="canvas-bio", times=None))
    assert not service.sync(name).ok  # the newest finished run failed: no longer held
    assert service.course(name).held_drops is None
