"""Opening a database: engine settings, migrations, and translating storage failures.

SQLite (the default) runs in WAL mode with a busy timeout, so the window can read while a sync
writes and a cron sync waits for a moment instead of failing. Any SQLAlchemy URL works; a shared
PostgreSQL is the tested alternative. The schema is always brought to the current Alembic head on
open, so an upgraded app never meets an old database.

No database keeps RosterSync waiting without bound (see :class:`Timeouts`; each can be changed
with an environment variable, in seconds):

* SQLite waits up to 15 s for another writer (``ROSTERGUI_DB_LOCK_TIMEOUT``), then says the
  database is locked.
* PostgreSQL (psycopg) connections give up after 10 s when the server does not answer
  (``connect_timeout``, ``ROSTERGUI_DB_CONNECT_TIMEOUT``; libpq waits at least 2 s) and use TCP
  keepalives, so a server that vanishes mid-sync is noticed. On the server side a statement may
  run 120 s (``statement_timeout``, ``ROSTERGUI_DB_STATEMENT_TIMEOUT``: a first sync of 100,000
  members writes in a few seconds, so this only stops a hung server) and may wait 30 s for a row
  or table lock (``lock_timeout``, ``ROSTERGUI_DB_LOCK_TIMEOUT``: another sync of the same course
  holds its row for a few seconds). Settings in the URL's query (``?connect_timeout=…``) win.
"""

from __future__ import annotations

import errno
import functools
import logging
import math
import os
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
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
SCHEMA_REVISION = "0003"

MIGRATIONS_DIR = Path(__file__).with_name("migrations")
BUSY_TIMEOUT_MS = 15_000
#: libpq options for psycopg connections: notice a server that went away within about a minute.
PG_KEEPALIVES = {
    "keepalives": 1,
    "keepalives_idle": 30,
    "keepalives_interval": 10,
    "keepalives_count": 3,
}


@dataclass(frozen=True, slots=True)
class Timeouts:
    """How long a database may keep RosterSync waiting, in seconds (see the module docstring).

    ``lock`` is SQLite's busy timeout and PostgreSQL's ``lock_timeout``; ``connect`` and
    ``statement`` apply to PostgreSQL only.
    """

    connect: float = 10.0
    lock: float = BUSY_TIMEOUT_MS / 1000
    pg_lock: float = 30.0
    statement: float = 120.0

    @classmethod
    def from_env(cls) -> Timeouts:
        """The defaults, changed by ``ROSTERGUI_DB_CONNECT_TIMEOUT``, ``…_LOCK_TIMEOUT`` (both
        SQLite's and PostgreSQL's) and ``…_STATEMENT_TIMEOUT``."""
        defaults = cls()
        lock = _env_seconds("ROSTERGUI_DB_LOCK_TIMEOUT")
        return cls(
            connect=_env_seconds("ROSTERGUI_DB_CONNECT_TIMEOUT") or defaults.connect,
            lock=lock or defaults.lock,
            pg_lock=lock or defaults.pg_lock,
            statement=_env_seconds("ROSTERGUI_DB_STATEMENT_TIMEOUT") or defaults.statement,
        )


def _env_seconds(name: str) -> float | None:
    raw = os.environ.get(name, "").strip()
    if not raw:
        return None
    try:
        value = float(raw)
    except ValueError:
        value = math.nan
    if not (0 < value <= 86_400):
        raise errors.ConfigError(f"{name} must be a number of seconds between 0 and 86400")
    return value


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


def _sqlite_pragmas(dbapi_connection: Any, _record: Any, *, busy_ms: int = BUSY_TIMEOUT_MS) -> None:
    # Let SQLAlchemy, not the sqlite3 module, decide when transactions begin.
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute(f"PRAGMA busy_timeout = {int(busy_ms)}")
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


def _pg_session_timeouts(dbapi_connection: Any, _record: Any, *, timeouts: Timeouts) -> None:
    """Server-side limits for every new PostgreSQL connection (kept by the pool)."""
    cursor = dbapi_connection.cursor()
    cursor.execute(f"SET statement_timeout = {int(timeouts.statement * 1000)}")
    cursor.execute(f"SET lock_timeout = {int(timeouts.pg_lock * 1000)}")
    cursor.close()
    dbapi_connection.commit()


def create_db_engine(url: str, timeouts: Timeouts | None = None) -> Engine:
    timeouts = timeouts or Timeouts.from_env()
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
                raise errors.DatabaseLocationError(
                    f"Cannot create the folder for the database ({exc.strerror}); choose "
                    "another data folder or database URL"
                ) from exc
            _private_sqlite_file(Path(database))
        engine = create_engine(url, connect_args={"timeout": timeouts.lock})
        pragmas = functools.partial(_sqlite_pragmas, busy_ms=int(timeouts.lock * 1000))
        event.listen(engine, "connect", pragmas)
        event.listen(engine, "begin", _sqlite_begin)
        return engine
    libpq = parsed.get_backend_name() == "postgresql" and parsed.get_driver_name() in (
        "psycopg",
        "psycopg2",
    )
    connect_args: dict[str, Any] = {}
    if libpq:
        # libpq counts whole seconds and waits at least 2.
        wanted = {"connect_timeout": max(2, math.ceil(timeouts.connect)), **PG_KEEPALIVES}
        connect_args = {k: v for k, v in wanted.items() if k not in parsed.query}
    try:
        engine = create_engine(url, pool_pre_ping=True, connect_args=connect_args)
    except (NoSuchModuleError, ImportError) as exc:
        raise errors.ConfigError(
            f"No database driver for {parsed.drivername}; for PostgreSQL install "
            "'rostergui[postgres]' and use postgresql+psycopg://…"
        ) from exc
    except (ArgumentError, TypeError, ValueError) as exc:
        raise errors.ConfigError(
            f"The database URL is not valid ({type(exc).__name__}); use a SQLAlchemy URL such "
            "as postgresql+psycopg://user@host/dbname"
        ) from exc
    if libpq:
        event.listen(engine, "connect", functools.partial(_pg_session_timeouts, timeouts=timeouts))
    return engine


def translate(exc: BaseException, *, doing: str) -> errors.StorageError:
    """Turn a database exception into a message the admin can act on."""
    text = str(getattr(exc, "orig", exc)).casefold()

    def has(*words: str) -> bool:
        return any(word in text for word in words)

    def error(
        message: str, cls: type[errors.StorageError] = errors.StorageError
    ) -> errors.StorageError:
        return cls(message, detail=str(exc))

    if has("locked", "busy", "could not obtain lock", "lock timeout", "deadlock"):
        return error(
            f"The database is locked by another program ({doing}); another RosterSync may be "
            "writing to it — wait until it has finished and try again",
            errors.DatabaseLockedError,
        )
    if has("disk is full", "no space left", "could not extend file"):
        return error(
            f"The disk is full ({doing}); nothing was changed — free some space and try again",
            errors.DiskFullError,
        )
    if has("readonly", "read-only"):
        return error(
            f"The database is read-only ({doing}); check the file's permissions or choose "
            "another data directory"
        )
    if has("statement timeout"):
        return error(
            f"The database took too long to answer ({doing}); nothing was changed — check the "
            "database server and try again"
        )
    if has("timeout expired", "timed out"):
        return error(
            f"The database server did not answer ({doing}); check that it is running and "
            "reachable, and the host and port in the database URL"
        )
    if has("translate host name", "resolve host", "name or service not known", "servname"):
        return error(
            f"Cannot find the database server ({doing}); check the host name in the database URL"
        )
    if has("invalid port", "invalid integer value", "bad value for", "invalid connection option"):
        return error(f"The database URL is not valid ({doing}); check its port and options")
    if has("authentication failed", "no password supplied", "password is required") or (
        has("role ") and has("does not exist")
    ):
        return error(
            f"The database server refused the login ({doing}); check the user name and "
            "password in the database URL"
        )
    if has("database ") and has("does not exist"):
        return error(
            f"The database named in the URL does not exist on the server ({doing}); create it "
            "or correct the database URL"
        )
    if has("unable to open"):
        return error(
            f"Cannot open the database file ({doing}); check that its folder exists and is "
            "writable, or choose another data folder or database URL",
            errors.DatabaseLocationError,
        )
    if has("could not connect", "connection refused", "connection failed"):
        return error(
            f"Cannot connect to the database server ({doing}); check that it is running and "
            "the host and port in the database URL"
        )
    if has("server closed the connection", "connection is closed", "terminating connection"):
        return error(f"The connection to the database server was lost ({doing}); try again")
    if has("value too long"):
        return error(
            f"A value is too long for the database ({doing}); nothing was changed — see the "
            "log for details"
        )
    if has("nul (0x00)", "nul character", "contain nul"):
        return error(
            f"A text contains a NUL character, which the database cannot store ({doing}); "
            "nothing was changed"
        )
    if has("malformed", "not a database"):
        return error(
            f"The database file is damaged ({doing}); restore it from a backup or move it "
            "aside to start afresh"
        )
    return error(f"The database failed ({doing}); see the log for details")


@contextmanager
def storage_errors(doing: str) -> Iterator[None]:
    """Translate database and file-system failures inside the block."""
    try:
        yield
    except (SQLAlchemyError, sqlite3.Error) as exc:
        raise translate(exc, doing=doing) from exc
    except OSError as exc:
        if exc.errno in (errno.ENOSPC, getattr(errno, "EDQUOT", errno.ENOSPC)):
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
    # The first connection is made here too: "opening" is what the user asked for.
    with storage_errors("opening the database"), engine.begin() as conn:
        current = _current_revision(conn)
        if current == SCHEMA_REVISION:
            return
        from alembic import command

        log.info("Upgrading database schema from %s to %s", current, SCHEMA_REVISION)
        cfg = _alembic_config()
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "head")


def open_database(url: str, timeouts: Timeouts | None = None) -> Engine:
    """Create the engine and migrate. Raises only :class:`errors.RosterSyncError` subclasses."""
    engine = create_db_engine(url, timeouts)
    try:
        migrate(engine)
    except errors.RosterSyncError:
        engine.dispose()
        raise
    except DBAPIError as exc:
        engine.dispose()
        raise translate(exc, doing="opening the database") from exc
    return engine
