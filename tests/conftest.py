"""Shared fixtures: a private keyring, a temporary database and a running simulator."""

from __future__ import annotations

import os
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ.setdefault("LANG", "C.UTF-8")

import io
import subprocess
import uuid

import keyring
import pytest
from sqlalchemy import Engine, create_engine, select
from sqlalchemy.engine import make_url

from rostergui.cli import run
from rostergui.core.limits import RetryPolicy
from rostergui.core.secrets import MemoryKeyring, SecretStore
from rostergui.core.service import ClientOptions, RosterService
from rostergui.core.store.schema import metadata
from rostergui.simulator import DEFAULT_API_KEY, Simulator

REPO = Path(__file__).resolve().parents[1]
FAST_RETRY = RetryPolicy(attempts=3, total_seconds=10, base_delay=0.01, max_delay=0.05)


#: A PostgreSQL server to run the database tests against as well as SQLite (the CI starts one
#: with scripts/pg-test-server.sh). Each test gets a database of its own, dropped afterwards.
PG_URL = os.environ.get("ROSTERGUI_TEST_PG_URL")
BACKENDS = ["sqlite", "postgresql"] if PG_URL else ["sqlite"]


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "db_url" in metafunc.fixturenames:
        metafunc.parametrize("db_backend", BACKENDS)


@pytest.fixture
def db_backend() -> str:  # replaced by the parametrisation above
    return "sqlite"


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
def sqlite_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'roster.db'}"


@pytest.fixture
def db_url(db_backend: str, sqlite_url: str) -> Iterator[str]:
    """A fresh, empty database on each backend under test."""
    if db_backend == "sqlite":
        yield sqlite_url
        return
    assert PG_URL is not None
    name = f"rs_test_{uuid.uuid4().hex[:12]}"
    admin = create_engine(PG_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
    try:
        yield make_url(PG_URL).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.dispose()


def database_text(engine: Engine) -> str:
    """Every value in every table as text: to check that no secret was ever stored."""
    chunks = []
    with engine.connect() as conn:
        for table in metadata.sorted_tables:
            for row in conn.execute(select(table)):
                chunks.append(repr(tuple(row)))
    return "\n".join(chunks)


@pytest.fixture
def service(tmp_path: Path, db_url: str, secrets: SecretStore) -> Iterator[RosterService]:
    svc = RosterService.open(
        data_directory=tmp_path,
        db_url=db_url,
        secrets=secrets,
        client_options=ClientOptions(timeout=5, retry=FAST_RETRY),
        # Small pages, so that rosters of a few hundred members still span many pages.
        page_size=100,
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


class Cli:
    """The command line run in-process on a data directory, secrets taken from the environment."""

    def __init__(self, data_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
        self.data_dir = data_dir
        self.monkeypatch = monkeypatch

    def __call__(self, *argv: str, env: dict[str, str] | None = None) -> tuple[int, str, str]:
        for key in ("ROSTERGUI_API_KEY", "ROSTERGUI_SERVICE_KEY", "ROSTERGUI_LTIK"):
            self.monkeypatch.delenv(key, raising=False)
        for key, value in (env or {}).items():
            self.monkeypatch.setenv(key, value)
        out, err = io.StringIO(), io.StringIO()
        code = run(["--data-dir", str(self.data_dir), *argv], out=out, err=err)
        return code, out.getvalue(), err.getvalue()

    def try_add(
        self,
        sim: Simulator,
        slug: str,
        name: str,
        *,
        ltik: bool = False,
        api_key: str = DEFAULT_API_KEY,
        service_key: str | None = None,
    ) -> tuple[int, str, str]:
        """``contexts add`` with the secrets in the environment, as a cron job would."""
        course = sim.course(slug)
        env = {"ROSTERGUI_API_KEY": api_key}
        if ltik:
            env["ROSTERGUI_LTIK"] = course.ltik
        else:
            env["ROSTERGUI_SERVICE_KEY"] = service_key or course.service_key
        return self("contexts", "add", "--name", name, "--base-url", sim.base_url, env=env)

    def add(self, sim: Simulator, slug: str, name: str, *, ltik: bool = False) -> None:
        code, out, err = self.try_add(sim, slug, name, ltik=ltik)
        assert code == 0, err
        assert f"Added '{name}'" in out


@pytest.fixture
def cli(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, memory_keyring: MemoryKeyring, db_url: str
) -> Cli:
    """The command line on the default SQLite file in its data directory, or on PostgreSQL."""
    if db_url.startswith("postgresql"):
        monkeypatch.setenv("ROSTERGUI_DB_URL", db_url)
    else:
        monkeypatch.delenv("ROSTERGUI_DB_URL", raising=False)
    return Cli(tmp_path / "data", monkeypatch)



@pytest.fixture
def bare_cli(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, memory_keyring: MemoryKeyring) -> Cli:
    """The command line with no ROSTERGUI_DB_URL: for commands given their own --db-url, or
    refused before any database is opened."""
    monkeypatch.delenv("ROSTERGUI_DB_URL", raising=False)
    return Cli(tmp_path / "data", monkeypatch)

@contextmanager
def simulator_process(
    argv: Sequence[str], *, what: str = "the simulator"
) -> Iterator[tuple[subprocess.Popen[str], str]]:
    """A simulator started by ``argv`` in the repository; yields the process and what it printed
    up to "Press Ctrl+C", and kills it at the end if it is still running."""
    proc = subprocess.Popen(argv, cwd=REPO, stdout=subprocess.PIPE, text=True, encoding="utf-8")
    assert proc.stdout is not None
    try:
        lines: list[str] = []
        while not lines or not lines[-1].startswith("Press"):
            line = proc.stdout.readline()
            assert line, f"{what} exited early"
            lines.append(line)
        yield proc, "".join(lines)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
