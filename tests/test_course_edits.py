"""Editing a course: empty key fields keep the saved keys, whatever the course syncs with."""

from __future__ import annotations

from rostergui.core.secrets import MemoryKeyring
from rostergui.core.service import RosterService
from rostergui.core.states import AuthScheme
from rostergui.core.store import repo
from rostergui.simulator import DEFAULT_API_KEY, Simulator
from tests.conftest import add_sim_course


def test_empty_key_fields_keep_a_launch_token_only_course_syncing(
    service: RosterService, sim: Simulator, memory_keyring: MemoryKeyring
) -> None:
    """A course that syncs with its launch token alone (the LMS handed out no service key)
    keeps that token when only its API key is given again: "leave empty to keep" holds."""
    name = add_sim_course(service, sim, "moodle-chem", "Chem", ltik=True)
    course = service.course(name)
    memory_keyring.delete_password("RosterSync", f"service_key:{course.uid}")
    with service.engine.begin() as conn:
        repo.update_course(conn, course.id, auth_scheme=AuthScheme.LTIK)
    updated, check = service.update_course(name, api_key=DEFAULT_API_KEY)
    assert check is not None and check.roster_available
    assert service.sync(updated.name).ok
