"""Opening a database: engine settings, migrations, and translating storage failures.

SQLite (the default) runs in WAL mode with a busy timeout, so the window can read while a sync
writes and a cron sync waits for a moment instead of failing. Any SQLAlchemy URL works; a shared
PostgreSQL is the tested alternative. The schema is always brought to the current Alembic head on
open, so an upgraded app never meets an old database.
"""

from __future__ import annotations

import logging
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection, Engine, create_engine, event, inspect, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, DBAPIError, NoSuchModuleError, SQLAlchemyError

from rostergui.core import errors, private_files

if TYPE_CHECKING:
    from alembic.config import Config

log = logging.getLogger(__name__)

#: The newest migration. Opening a database at this revision needs no Alembic at all, which
#: keeps it (and the template engine it loads) off the start-up path; a test checks this
#: constant against the migration scripts.
SCHEMA_REVISION = "0002"

MIGRATIONS_DIR = Path(__file__).with_name("migrations")
BUSY_TIMEOUT_MS = 15_000


def _alembic_config() -> Config:
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    return cfg


def head_revision() -> str:
    """The newest revision according to the migration scripts themselves."""
    from alembic.script import ScriptDirectory

    head = ScriptDirectory.from_config(_alembic_config()).get_current_head()
    assert head is not None
    return head


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    # Let SQLAlchemy, not the sqlite3 module, decide when transactions begin.
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
    cursor.execute("PRAGMA foreign_keys = ON")
    cursor.execute("PRAGMA journal_mode = WAL")
    cursor.execute("PRAGMA synchronous = NORMAL")
    cursor.close()


def _sqlite_begin(conn: Connection) -> None:
    conn.exec_driver_sql("BEGIN")


def describe_url(url: str) -> str:
    """The URL with any password hidden, for messages and logs."""
    try:
        return make_url(url).render_as_string(hide_password=True)
    except ArgumentError:
        return "<invalid database URL>"


def _private_sqlite_file(database: Path) -> None:
    """Create the database file user-only before SQLite opens it (SQLite gives its ``-wal``,
    ``-shm`` and ``-journal`` files the database file's mode), and tighten existing ones that
    are in our data folder (see :mod:`~rostergui.core.private_files`). An empty file is a new
    database to SQLite. Failures are left to SQLite to report when it opens the file."""
    if private_files.is_private_dir(database.parent):
        changed = private_files.tighten_all(private_files.sqlite_files(database))
        line = private_files.describe(changed, database.parent)
        if line:
            log.info("%s", line)
    try:
        private_files.create_private_file(database)
    except OSError as exc:
        log.debug("Could not create %s ahead of SQLite: %s", database, exc)


def create_db_engine(url: str) -> Engine:
    try:
        parsed = make_url(url)
    except ArgumentError as exc:
        raise errors.ConfigError(
            "The database URL is not valid; use a SQLAlchemy URL such as "
            "sqlite:///path/to/file.db or postgresql+psycopg://user@host/dbname"
        ) from exc
    if parsed.get_backend_name() == "sqlite":
        database = parsed.database
        if database and database != ":memory:" and not parsed.query.get("uri"):
            try:
                folder = Path(database).expanduser().parent
                if not folder.is_dir():
                    private_files.ensure_private_dir(folder)
            except OSError as exc:
                raise errors.StorageError(
                    f"Cannot create the folder for the database ({exc.strerror}); choose "
                    "another data directory with --data-dir"
                ) from exc
            _private_sqlite_file(Path(database))
        engine = create_engine(url, connect_args={"timeout": BUSY_TIMEOUT_MS / 1000})
        event.listen(engine, "connect", _sqlite_pragmas)
        event.listen(engine, "begin", _sqlite_begin)
        return engine
    try:
        return create_engine(url, pool_pre_ping=True)
    except (NoSuchModuleError, ImportError) as exc:
        raise errors.ConfigError(
            f"No database driver for {parsed.drivername}; for PostgreSQL install "
            "'rostergui[postgres]' and use postgresql+psycopg://…"
        ) from exc


def translate(exc: BaseException, *, doing: str) -> errors.StorageError:
    """Turn a database exception into a message the admin can act on."""
    text = str(getattr(exc, "orig", exc)).casefold()
    if "locked" in text or "busy" in text or "could not obtain lock" in text:
        return errors.DatabaseLockedError(
            f"The database is busy ({doing}); another RosterSync may be writing to it — "
            "wait a moment and try again",
            detail=str(exc),
        )
    if "disk is full" in text or "no space left" in text or "database or disk is full" in text:
        return errors.DiskFullError(
            f"The disk is full ({doing}); nothing was changed — free some space and try again",
            detail=str(exc),
        )
    if "readonly" in text or "read-only" in text:
        return errors.StorageError(
            f"The database is read-only ({doing}); check the file's permissions or choose "
            "another data directory",
            detail=str(exc),
        )
    if "unable to open" in text or "could not connect" in text or "connection refused" in text:
        return errors.StorageError(
            f"Cannot open the database ({doing}); check the data directory or database URL "
            "and that the database server is running",
            detail=str(exc),
        )
    if "malformed" in text or "not a database" in text:
        return errors.StorageError(
            f"The database file is damaged ({doing}); restore it from a backup or move it "
            "aside to start afresh",
            detail=str(exc),
        )
    return errors.StorageError(
        f"The database failed ({doing}); see the log for details", detail=str(exc)
    )


@contextmanager
def storage_errors(doing: str) -> Iterator[None]:
    """Translate database and file-system failures inside the block."""
    try:
        yield
    except (SQLAlchemyError, sqlite3.Error) as exc:
        raise translate(exc, doing=doing) from exc
    except OSError as exc:
        if exc.errno == 28:
            raise errors.DiskFullError(
                f"The disk is full ({doing}); nothing was changed — free some space"
            ) from exc
        raise


def _current_revision(conn: Connection) -> str | None:
    if not inspect(conn).has_table("alembic_version"):
        return None
    return conn.execute(text("SELECT version_num FROM alembic_version")).scalar()


def migrate(engine: Engine) -> None:
    """Bring the schema to the current head (creating it on an empty database)."""
    with storage_errors("upgrading the database"), engine.begin() as conn:
        current = _current_revision(conn)
        if current == SCHEMA_REVISION:
            return
        from alembic import command

        log.info("Upgrading database schema from %s to %s", current, SCHEMA_REVISION)
        cfg = _alembic_config()
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "head")


def open_database(url: str) -> Engine:
    """Create the engine and migrate. Raises only :class:`errors.RosterSyncError` subclasses."""
    engine = create_db_engine(url)
    try:
        migrate(engine)
    except errors.RosterSyncError:
        engine.dispose()
        raise
    except DBAPIError as exc:
        engine.dispose()
        raise translate(exc, doing="opening the database") from exc
    return engine
