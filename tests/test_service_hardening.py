"""Secrets and rows change together safely; values are checked before they reach a column.

Every storage test runs on SQLite and, when the CI's server is there, on PostgreSQL.
"""

from __future__ import annotations

import random
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import keyring.errors
import pytest
from sqlalchemy import create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.exc import OperationalError

from rostergui.core import errors
from rostergui.core.redact import MASK, redact
from rostergui.core.roles import ToolRole
from rostergui.core.secrets import MemoryKeyring, SecretStore
from rostergui.core.service import ClientOptions, ConnectionCheck, RosterService
from rostergui.core.store.db import Timeouts
from rostergui.simulator import DEFAULT_API_KEY, Simulator
from tests.conftest import FAST_RETRY, add_sim_course

SERVICE = "RosterSync"
QUICK = Timeouts(connect=2, lock=0.3, pg_lock=0.3, statement=30)


@pytest.fixture
def quick_service(tmp_path: Path, db_url: str, secrets: SecretStore) -> Iterator[RosterService]:
    """A service that gives up on a lock after 0.3 s instead of 15 or 30."""
    svc = RosterService.open(
        data_directory=tmp_path,
        db_url=db_url,
        secrets=secrets,
        db_timeouts=QUICK,
        client_options=ClientOptions(timeout=5, retry=FAST_RETRY),
    )
    yield svc
    svc.close()


@contextmanager
def write_lock(db_url: str) -> Iterator[None]:
    """Another program holding the database (SQLite) or the course rows (PostgreSQL)."""
    if db_url.startswith("sqlite"):
        database = make_url(db_url).database
        assert database
        other = sqlite3.connect(database, isolation_level=None)
        other.execute("BEGIN IMMEDIATE")
        try:
            yield
        finally:
            other.execute("ROLLBACK")
            other.close()
        return
    engine = create_engine(db_url)
    try:
        with engine.connect() as conn:
            conn.exec_driver_sql("BEGIN")
            conn.exec_driver_sql("SELECT id FROM contexts FOR UPDATE")
            yield
            conn.rollback()
    finally:
        engine.dispose()


@contextmanager
def failing_commits(service: RosterService) -> Iterator[None]:
    """Every commit fails as a locked database's would, after all the statements ran."""

    def refuse(_conn: Any) -> None:
        raise OperationalError("COMMIT", {}, Exception("database is locked"))

    event.listen(service.engine, "commit", refuse)
    try:
        yield
    finally:
        event.remove(service.engine, "commit", refuse)


def accounts(memory_keyring: MemoryKeyring) -> dict[str, str]:
    return {account: value for (_service, account), value in memory_keyring._items.items()}


# --- removing ----------------------------------------------------------------------------


def test_removing_on_a_locked_database_keeps_the_course_and_its_keys(
    quick_service: RosterService, sim: Simulator, memory_keyring: MemoryKeyring, db_url: str
) -> None:
    name = add_sim_course(quick_service, sim, "canvas-bio", "Bio")
    before = accounts(memory_keyring)
    assert len(before) == 2
    with write_lock(db_url), pytest.raises(errors.DatabaseLockedError, match="locked"):
        quick_service.remove_course(name)
    assert accounts(memory_keyring) == before
    assert quick_service.sync(name).ok  # still there, keys and all
    quick_service.remove_course(name)
    assert accounts(memory_keyring) == {}


def test_a_keyring_failure_after_removing_says_the_course_is_gone_and_what_remains(
    service: RosterService,
    sim: Simulator,
    memory_keyring: MemoryKeyring,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    name = add_sim_course(service, sim, "canvas-bio", "Bio")
    uid = service.course(name).uid

    def locked(_service: str, _username: str) -> None:
        raise keyring.errors.KeyringLocked("locked")

    monkeypatch.setattr(memory_keyring, "delete_password", locked)
    with pytest.raises(errors.SecretsError) as caught:
        service.remove_course(name)
    message = caught.value.message
    assert message.startswith("Removed 'Bio', but")
    assert f"'service_key:{uid}'" in message and f"'api-key:{sim.base_url}'" in message
    assert "keyring manager" in message and SERVICE in message
    assert service.courses() == []  # the removal itself stands
    assert f"service_key:{uid}" in caplog.text


def test_the_api_key_goes_only_with_the_last_course_of_its_origin(
    service: RosterService, sim: Simulator, memory_keyring: MemoryKeyring
) -> None:
    add_sim_course(service, sim, "canvas-bio", "Bio")
    add_sim_course(service, sim, "moodle-chem", "Chem")
    service.remove_course("Bio")
    assert f"api-key:{sim.base_url}" in accounts(memory_keyring)
    service.remove_course("Chem", keep_roster=True)
    assert accounts(memory_keyring) == {}


# --- adding and editing ------------------------------------------------------------------


def test_a_failed_save_leaves_no_orphaned_secrets_and_the_old_api_key(
    service: RosterService, sim: Simulator, memory_keyring: MemoryKeyring
) -> None:
    add_sim_course(service, sim, "canvas-bio", "Bio")
    before = accounts(memory_keyring)
    check = ConnectionCheck("https://lms.example", None, "ctx-2", "Two", None, None, True)
    with failing_commits(service), pytest.raises(errors.DatabaseLockedError):
        service.add_course(
            "Two", sim.base_url, "a-new-api-key", service_key="a-new-service-key", check=check
        )
    assert accounts(memory_keyring) == before  # the shared API key is the old one again
    assert [c.name for c in service.courses()] == ["Bio"]
    assert service.sync("Bio").ok


def test_a_failed_edit_keeps_the_old_keys(
    service: RosterService, sim: Simulator, memory_keyring: MemoryKeyring
) -> None:
    name = add_sim_course(service, sim, "canvas-bio", "Bio")
    uid = service.course(name).uid
    memory_keyring.set_password(SERVICE, f"service_key:{uid}", "the-old-service-key")
    before = accounts(memory_keyring)
    with failing_commits(service), pytest.raises(errors.DatabaseLockedError):
        service.update_course(name, new_name="Biology", ltik=sim.course("canvas-bio").ltik)
    assert accounts(memory_keyring) == before  # no launch token left, the old key back
    assert service.course("Bio").auth_scheme == "service_key"


def test_a_keyring_failure_while_saving_saves_nothing(
    service: RosterService,
    sim: Simulator,
    memory_keyring: MemoryKeyring,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    add_sim_course(service, sim, "canvas-bio", "Bio")
    before = accounts(memory_keyring)
    original = memory_keyring.set_password

    def second_fails(service_name: str, username: str, password: str) -> None:
        if username.startswith("service_key:"):
            raise keyring.errors.KeyringLocked("locked")
        original(service_name, username, password)

    monkeypatch.setattr(memory_keyring, "set_password", second_fails)
    check = ConnectionCheck("https://lms.example", None, "ctx-2", "Two", None, None, True)
    with pytest.raises(errors.KeyringUnavailableError, match="locked"):
        service.add_course("Two", sim.base_url, "another-api-key", service_key="k2", check=check)
    assert accounts(memory_keyring) == before
    assert [c.name for c in service.courses()] == ["Bio"]


# --- what a column can hold --------------------------------------------------------------

CHECK = ConnectionCheck("https://lms.example", None, "ctx-1", "One", None, None, True)


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("N" * 201, "too long"),
        ("   ", "Give the course a name"),
        ("Bio\x1b[2J", "control characters"),
        ("Bio\nChem", "control characters"),
        ("Bio\u202e", "control characters"),
        ("Bio\x00", "control characters"),
    ],
)
def test_course_names_are_checked_before_writing(
    service: RosterService, sim: Simulator, name: str, message: str
) -> None:
    with pytest.raises(errors.ConfigError, match=message):
        service.add_course(name, sim.base_url, DEFAULT_API_KEY, service_key="k", check=CHECK)
    assert service.courses() == []


def test_names_are_trimmed_and_the_longest_fits(service: RosterService, sim: Simulator) -> None:
    name = "N" * 200
    course, _ = service.add_course(
        f"  {name} ", sim.base_url, DEFAULT_API_KEY, service_key="k", check=CHECK
    )
    assert course.name == name
    with pytest.raises(errors.ConfigError, match="too long"):
        service.update_course(name, new_name="M" * 201)
    with pytest.raises(errors.ConfigError, match="Give the course a name"):
        service.update_course(name, new_name=" ")
    assert [c.name for c in service.courses()] == [name]


def test_too_long_ids_from_the_lms_are_refused_and_titles_keep_no_nul(
    service: RosterService, sim: Simulator
) -> None:
    too_long = ConnectionCheck("https://lms.example", None, "c" * 501, "One", None, None, True)
    with pytest.raises(errors.ConfigError, match="context\\) id is too long"):
        service.add_course("One", sim.base_url, DEFAULT_API_KEY, service_key="k", check=too_long)
    with pytest.raises(errors.ConfigError, match="platform id is too long"):
        service.add_course(
            "One",
            sim.base_url,
            DEFAULT_API_KEY,
            service_key="k",
            platform_id="p" * 501,
            check=CHECK,
        )
    nul = ConnectionCheck("https://lms.example", None, "ctx", "Bio\x00logy", "B\x00", None, True)
    course, _ = service.add_course("One", sim.base_url, DEFAULT_API_KEY, service_key="k", check=nul)
    assert course.title == "Bio\ufffdlogy" and course.label == "B\ufffd"


@pytest.mark.parametrize(
    "base_url",
    [
        "https://[::1",
        "https://host:0",
        "https://host:99999",
        "https://exa mple.com",
        "https://\u202eevil.example",
        "https://a\u200bb.example",
        "https://ho\x85st.example",
        "https://" + "a" * 600 + ".example",
    ],
)
def test_malformed_base_urls_are_config_errors(service: RosterService, base_url: str) -> None:
    with pytest.raises(errors.ConfigError, match="not a web address"):
        service.add_course("One", base_url, DEFAULT_API_KEY, service_key="k", check=CHECK)
    assert service.saved_api_key(base_url) is None


@pytest.mark.parametrize(
    "key",
    ["", "  ", "#", "Instructor #Grader", "a\x1bb", "x" * 256, "Instructor#" + "A" * 200],
)
def test_meaningless_or_too_long_role_keys_are_refused(service: RosterService, key: str) -> None:
    with pytest.raises(errors.ConfigError):
        service.set_role_rule(key, ToolRole.LEARNER)
    assert service.role_mapping().overrides == {}


# --- secrets are registered for redaction ------------------------------------------------


def test_a_service_key_handed_out_by_lti_aas_is_redacted_at_once(service: RosterService) -> None:
    with Simulator(seed=random.randrange(10**9)) as fresh:
        course = fresh.course("moodle-chem")
        assert redact(course.service_key) == course.service_key  # not known yet
        check = service.check_connection(fresh.base_url, DEFAULT_API_KEY, ltik=course.ltik)
    assert check.service_key == course.service_key
    assert redact(f"echo {course.service_key}") == f"echo {MASK}"
    assert redact(course.ltik) == MASK  # the launch token it was given, too


def test_keys_typed_into_the_window_are_redacted_even_when_refused(
    service: RosterService, sim: Simulator
) -> None:
    api_key, service_key = (f"typed-{random.randrange(10**12)}" for _ in range(2))
    with pytest.raises(errors.AuthError):
        service.check_connection(sim.base_url, api_key, service_key=service_key)
    assert redact(api_key) == MASK and redact(service_key) == MASK
