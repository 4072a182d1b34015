"""The database: migrations, storage errors a user can act on, interrupted runs."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import insert, inspect, select

from rostergui.core import errors
from rostergui.core.store import repo
from rostergui.core.store.db import (
    SCHEMA_REVISION,
    describe_url,
    head_revision,
    open_database,
    translate,
)
from rostergui.core.store.schema import metadata, sync_runs


def test_migrations_build_exactly_the_declared_schema(db_url: str) -> None:
    engine = open_database(db_url)
    with engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), metadata)
        assert MigrationContext.configure(conn).get_current_revision() == head_revision()
    assert diff == []
    engine.dispose()


def test_the_schema_revision_constant_is_the_newest_migration() -> None:
    assert head_revision() == SCHEMA_REVISION


def test_opening_twice_is_harmless_and_keeps_rows(db_url: str) -> None:
    engine = open_database(db_url)
    with engine.begin() as conn:
        repo.add_course(
            conn, name="A", base_url="https://x", platform_id="p", auth_scheme="service_key"
        )
    engine.dispose()
    engine = open_database(db_url)
    with engine.connect() as conn:
        assert [c.name for c in repo.list_courses(conn)] == ["A"]
    assert "sync_runs" in inspect(engine).get_table_names()
    engine.dispose()


def test_sqlite_runs_in_wal_mode_with_a_busy_timeout(sqlite_url: str) -> None:
    engine = open_database(sqlite_url)
    with engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert conn.exec_driver_sql("PRAGMA busy_timeout").scalar() >= 5000
        assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
    engine.dispose()


def test_locked_database_message(tmp_path: Path) -> None:
    error = translate(sqlite3.OperationalError("database is locked"), doing="saving")
    assert isinstance(error, errors.DatabaseLockedError)
    assert "another RosterSync" in error.message


def test_disk_full_message() -> None:
    error = translate(sqlite3.OperationalError("database or disk is full"), doing="saving")
    assert isinstance(error, errors.DiskFullError)
    assert "free some space" in error.message


def test_read_only_database_message() -> None:
    error = translate(sqlite3.OperationalError("attempt to write a readonly database"), doing="x")
    assert "read-only" in error.message


def test_not_a_database_file(tmp_path: Path) -> None:
    bad = tmp_path / "bad.db"
    bad.write_bytes(b"this is not sqlite" * 100)
    with pytest.raises(errors.StorageError, match="damaged"):
        open_database(f"sqlite:///{bad}")


def test_bad_url_is_a_config_error() -> None:
    with pytest.raises(errors.ConfigError, match="not valid"):
        open_database("not a url")
    with pytest.raises(errors.ConfigError, match="driver"):
        open_database("postgresql+nosuchdriver://u@h/db")


def test_password_hidden_in_descriptions() -> None:
    assert "hunter2" not in describe_url("postgresql+psycopg://admin:hunter2@db/roster")


def test_interrupted_runs_are_marked_failed_but_live_ones_are_not(db_url: str) -> None:
    engine = open_database(db_url)
    with engine.begin() as conn:
        course = repo.add_course(
            conn, name="A", base_url="https://x", platform_id="p", auth_scheme="service_key"
        )
        base = {
            "context_pk": course.id,
            "started_at": repo.utcnow(),
            "outcome": "running",
            "trigger": "manual",
            "pages": 0,
            "fetched": 0,
            "added": 0,
            "updated": 0,
            "deactivated": 0,
            "reactivated": 0,
        }
        host = repo.process_handle().rpartition(":")[0]
        conn.execute(
            insert(sync_runs),
            [
                {**base, "holder": f"{host}:999999999"},  # that process is gone
                {**base, "holder": repo.process_handle()},  # this live process
                {**base, "holder": "other-machine:1"},  # a colleague's sync on a shared database
            ],
        )
        assert repo.mark_interrupted_runs(conn) == 1
        outcomes = sorted(conn.execute(select(sync_runs.c.outcome)).scalars())
    assert outcomes == ["failed", "running", "running"]
    engine.dispose()
