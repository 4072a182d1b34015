"""Shared fixtures: a private keyring, a temporary database and a running simulator."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ.setdefault("LANG", "C.UTF-8")

import keyring
import pytest

from rostergui.core.ltiaas import RetryPolicy
from rostergui.core.secrets import MemoryKeyring, SecretStore
from rostergui.core.service import ClientOptions, RosterService
from rostergui.simulator import DEFAULT_API_KEY, Simulator

FAST_RETRY = RetryPolicy(attempts=3, total_seconds=10, base_delay=0.01, max_delay=0.05)


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--db-url",
        default=os.environ.get("ROSTERGUI_TEST_DB_URL"),
        help="run the store/sync/CLI tests against this database server URL as well",
    )


@pytest.fixture
def memory_keyring() -> Iterator[MemoryKeyring]:
    """Make the process-wide keyring a private in-memory one for the test."""
    previous = keyring.get_keyring()
    backend = MemoryKeyring()
    keyring.set_keyring(backend)
    yield backend
    keyring.set_keyring(previous)


@pytest.fixture
def secrets(memory_keyring: MemoryKeyring) -> SecretStore:
    return SecretStore(memory_keyring)


@pytest.fixture
def db_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'roster.db'}"


@pytest.fixture
def service(tmp_path: Path, db_url: str, secrets: SecretStore) -> Iterator[RosterService]:
    svc = RosterService.open(
        data_directory=tmp_path,
        db_url=db_url,
        secrets=secrets,
        client_options=ClientOptions(timeout=5, retry=FAST_RETRY),
    )
    yield svc
    svc.close()


@pytest.fixture(scope="session")
def session_sim() -> Iterator[Simulator]:
    """One simulator for read-only uses (the 100k course is expensive to rebuild)."""
    with Simulator() as sim:
        yield sim


@pytest.fixture
def sim() -> Iterator[Simulator]:
    """A fresh simulator per test: tests change rosters and inject faults."""
    with Simulator() as simulator:
        yield simulator


def add_sim_course(
    service: RosterService,
    sim: Simulator,
    slug: str,
    name: str | None = None,
    *,
    ltik: bool = False,
) -> str:
    """Add a simulator course to the service; returns the course name."""
    course = sim.course(slug)
    name = name or slug
    if ltik:
        service.add_course(name, sim.base_url, DEFAULT_API_KEY, ltik=course.ltik)
    else:
        service.add_course(name, sim.base_url, DEFAULT_API_KEY, service_key=course.service_key)
    return name
