"""Service use cases not covered through the command line: editing a course."""

from __future__ import annotations

import pytest

from rostergui.core import errors
from rostergui.core.secrets import MemoryKeyring
from rostergui.core.service import RosterService
from rostergui.simulator import Simulator
from tests.conftest import add_sim_course


def test_rename_keeps_roster_and_secrets(service: RosterService, sim: Simulator) -> None:
    name = add_sim_course(service, sim, "canvas-bio", "Bio")
    service.sync(name)
    before = len(service.members(name))
    course, check = service.update_course(name, new_name="Biology 101")
    assert check is None and course.name == "Biology 101"
    assert len(service.members("Biology 101")) == before
    assert service.sync("Biology 101").ok  # secrets follow the course, not its name


def test_a_fresh_launch_token_refreshes_the_keys(
    service: RosterService, sim: Simulator, memory_keyring: MemoryKeyring
) -> None:
    name = add_sim_course(service, sim, "moodle-chem", "Chem", ltik=True)
    course = service.course(name)
    memory_keyring.set_password("RosterSync", f"service_key:{course.uid}", "stale-key")
    assert not service.sync(name).ok
    _course, check = service.update_course(name, ltik=sim.course("moodle-chem").ltik)
    assert check is not None and check.roster_available
    assert service.sync(name).ok


def test_keys_for_another_course_are_refused(service: RosterService, sim: Simulator) -> None:
    name = add_sim_course(service, sim, "canvas-bio", "Bio")
    with pytest.raises(errors.ConfigError, match="add it as a new course"):
        service.update_course(name, ltik=sim.course("moodle-chem").ltik)
    assert service.sync(name).ok  # nothing changed


def test_refused_keys_change_nothing(service: RosterService, sim: Simulator) -> None:
    name = add_sim_course(service, sim, "canvas-bio", "Bio")
    with pytest.raises(errors.AuthError):
        service.update_course(name, service_key="wrong")
    assert service.sync(name).ok
