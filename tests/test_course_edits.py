"""Editing and checking a course's keys: empty key fields keep the saved keys, and a check
answers after one try."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from rostergui.core import errors
from rostergui.core.limits import RetryPolicy
from rostergui.core.secrets import MemoryKeyring, SecretStore
from rostergui.core.service import ClientOptions, RosterService
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


def test_checking_keys_tries_an_unreachable_host_once(tmp_path: Path, secrets: SecretStore) -> None:
    """The add/edit dialog and ``contexts add`` wait for the check: an unreachable host is said
    after one try, not after the sync's retries (which would take seconds)."""
    tries = 0

    def unreachable(request: httpx.Request) -> httpx.Response:
        nonlocal tries
        tries += 1
        raise httpx.ConnectError("connection refused", request=request)

    options = ClientOptions(
        timeout=5,
        retry=RetryPolicy(attempts=4, base_delay=0.01),
        transport=httpx.MockTransport(unreachable),
    )
    service = RosterService.open(data_directory=tmp_path, secrets=secrets, client_options=options)
    try:
        with pytest.raises(errors.RosterSyncError) as caught:
            service.check_connection(
                "https://lti.example.edu",
                "k3y-for-an-unreachable-host",
                service_key="svc-k3y-unreachable",
            )
    finally:
        service.close()
    assert caught.value.kind == "unreachable"
    assert tries == 1
