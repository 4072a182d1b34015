"""Student data is private on disk: the data folder, the database and the log are user-only,
and ones left readable are tightened at start with a log line."""

from __future__ import annotations

import io
import logging
import os
import sqlite3
import stat
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from rostergui.cli import run
from rostergui.core import private_files
from rostergui.core.logs import LOG_FILE_NAME, setup_logging
from rostergui.core.secrets import MemoryKeyring, SecretStore
from rostergui.core.service import RosterService
from rostergui.core.store.db import open_database

pytestmark = pytest.mark.skipif(os.name != "posix", reason="POSIX permission bits")

DB = "rostersync.db"
TIGHTENED = "Made student data user-only"


def mode(path: Path) -> int:
    return stat.S_IMODE(os.lstat(path).st_mode)


@pytest.fixture(autouse=True)
def usual_umask() -> Iterator[None]:
    """The umask most systems start programs with: files 0644, folders 0755 by default."""
    previous = os.umask(0o022)
    yield
    os.umask(previous)


@pytest.fixture(autouse=True)
def stop_file_logging() -> Iterator[None]:
    yield
    setup_logging(None)


Cli = Callable[..., int]


@pytest.fixture
def cli(monkeypatch: pytest.MonkeyPatch, memory_keyring: MemoryKeyring) -> Cli:
    monkeypatch.delenv("ROSTERGUI_DB_URL", raising=False)

    def call(data: Path, *argv: str) -> int:
        return run(["--data-dir", str(data), *argv], out=io.StringIO(), err=io.StringIO())

    return call


def make_sqlite(path: Path) -> None:
    with sqlite3.connect(path) as conn:
        conn.execute("CREATE TABLE t (x)")
    conn.close()


def test_fresh_data_folder_database_and_log_are_user_only(cli: Cli, tmp_path: Path) -> None:
    data = tmp_path / "share" / "RosterSync"
    assert cli(data, "contexts", "list") == 0
    assert mode(data) == 0o700
    assert mode(data / DB) == 0o600
    assert mode(data / LOG_FILE_NAME) == 0o600
    assert mode(tmp_path / "share") == 0o755  # a parent is not ours to lock down
    assert TIGHTENED not in (data / LOG_FILE_NAME).read_text(encoding="utf-8")


def test_sqlite_side_files_follow_the_database(
    tmp_path: Path, memory_keyring: MemoryKeyring
) -> None:
    data = tmp_path / "data"
    setup_logging(data)
    service = RosterService.open(
        data_directory=data, db_url=f"sqlite:///{data / DB}", secrets=SecretStore(memory_keyring)
    )
    try:
        with service.engine.begin() as conn:  # a write: SQLite makes its -wal and -shm files
            conn.exec_driver_sql("CREATE TABLE scratch (x)")
        side = [p for p in private_files.sqlite_files(data / DB) if p.exists()]
        assert {p.name for p in side} >= {DB, f"{DB}-wal", f"{DB}-shm"}
        assert {p.name: mode(p) for p in side} == {p.name: 0o600 for p in side}
    finally:
        service.close()


def test_a_new_database_folder_outside_the_data_folder_is_private_too(tmp_path: Path) -> None:
    folder = tmp_path / "srv" / "db"
    engine = open_database(f"sqlite:///{folder / 'roster.db'}")
    engine.dispose()
    assert mode(folder) == 0o700
    assert mode(folder / "roster.db") == 0o600


def test_rotated_logs_are_user_only(tmp_path: Path) -> None:
    data = tmp_path / "data"
    setup_logging(data)
    logging.getLogger("test").info("before rotation")
    [handler] = [h for h in logging.getLogger().handlers if getattr(h, "_rostersync", False)]
    assert isinstance(handler, logging.handlers.RotatingFileHandler)
    handler.doRollover()
    logging.getLogger("test").info("after rotation")
    assert mode(data / LOG_FILE_NAME) == 0o600
    assert mode(data / f"{LOG_FILE_NAME}.1") == 0o600


def test_existing_readable_files_are_tightened_at_start_with_one_log_line(
    cli: Cli, tmp_path: Path
) -> None:
    data = tmp_path / "data"
    data.mkdir(mode=0o755)
    make_sqlite(data / DB)
    (data / f"{DB}-journal").write_bytes(b"")
    (data / LOG_FILE_NAME).write_text("old\n", encoding="utf-8")
    (data / f"{LOG_FILE_NAME}.1").write_text("older\n", encoding="utf-8")
    elsewhere = tmp_path / "notes.txt"
    elsewhere.write_text("not ours\n", encoding="utf-8")
    (data / "notes-link.log").symlink_to(elsewhere)
    for path in (data / DB, data / LOG_FILE_NAME, data / f"{LOG_FILE_NAME}.1"):
        path.chmod(0o644)
    (data / f"{DB}-journal").chmod(0o664)
    data.chmod(0o755)
    assert cli(data, "contexts", "list") == 0

    assert mode(data) == 0o700
    for name in (DB, LOG_FILE_NAME, f"{LOG_FILE_NAME}.1"):
        assert mode(data / name) == 0o600, name
    assert mode(elsewhere) == 0o644  # a link is never followed out of the data folder
    lines = [
        line
        for line in (data / LOG_FILE_NAME).read_text(encoding="utf-8").splitlines()
        if TIGHTENED in line
    ]
    assert len(lines) == 1
    assert str(data) in lines[0]
    for part in (
        "the folder 0755→0700",
        f"{DB} 0644→0600",
        f"{DB}-journal 0664→0600",  # SQLite then removes the empty journal
        f"{LOG_FILE_NAME} 0644→0600",
    ):
        assert part in lines[0]

    assert cli(data, "contexts", "list") == 0  # nothing left to tighten: no second line
    text = (data / LOG_FILE_NAME).read_text(encoding="utf-8")
    assert text.count(TIGHTENED) == 1


def test_database_in_our_data_folder_is_tightened_on_open(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    data = tmp_path / "data"
    private_files.ensure_private_dir(data)
    make_sqlite(data / "custom.db")
    (data / "custom.db").chmod(0o644)
    with caplog.at_level(logging.INFO, logger="rostergui.core.store.db"):
        open_database(f"sqlite:///{data / 'custom.db'}").dispose()
    assert mode(data / "custom.db") == 0o600
    assert any(
        TIGHTENED in r.getMessage() and "0644→0600" in r.getMessage() for r in caplog.records
    )


def test_a_database_outside_our_data_folder_is_left_as_the_admin_set_it(tmp_path: Path) -> None:
    shared = tmp_path / "shared"
    shared.mkdir(mode=0o755)
    make_sqlite(shared / "roster.db")
    (shared / "roster.db").chmod(0o640)
    open_database(f"sqlite:///{shared / 'roster.db'}").dispose()
    assert mode(shared / "roster.db") == 0o640
    assert mode(shared) == 0o755


def test_tighten_leaves_links_and_other_owners_alone(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    target = tmp_path / "target"
    target.write_text("x", encoding="utf-8")
    target.chmod(0o644)
    link = tmp_path / "link"
    link.symlink_to(target)
    assert private_files.tighten(link) is None
    assert mode(target) == 0o644
    monkeypatch.setattr(os, "geteuid", lambda: os.lstat(target).st_uid + 1)
    assert private_files.tighten(target) is None
    assert mode(target) == 0o644


def test_nothing_is_changed_on_windows(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(private_files, "POSIX", False)
    folder = tmp_path / "data"
    folder.mkdir(mode=0o755)
    folder.chmod(0o755)
    assert private_files.ensure_private_dir(folder) == []
    assert mode(folder) == 0o755
    assert private_files.use_private_umask() == 0


def test_private_umask_helpers(tmp_path: Path) -> None:
    with private_files.private_umask():
        (tmp_path / "made.txt").write_text("x", encoding="utf-8")
        (tmp_path / "made").mkdir()
    (tmp_path / "after.txt").write_text("x", encoding="utf-8")
    assert mode(tmp_path / "made.txt") == 0o600
    assert mode(tmp_path / "made") == 0o700
    assert mode(tmp_path / "after.txt") == 0o644


def test_create_private_file_never_touches_an_existing_one(tmp_path: Path) -> None:
    path = tmp_path / "x.db"
    assert private_files.create_private_file(path)
    assert mode(path) == 0o600
    path.chmod(0o640)
    assert not private_files.create_private_file(path)
    assert mode(path) == 0o640
