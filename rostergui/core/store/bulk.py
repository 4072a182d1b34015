"""Bulk writes straight through the database driver's ``executemany``.

A sync stages every member it receives (100,000 rows for a large course). SQLAlchemy's per-row
parameter processing costs more than the database itself at that size, so the sync engine
hands plain tuples to the driver. Statements are still generated from the
table definitions (no hand-written table or column names), run on the caller's connection
inside its transaction, and work on SQLite and PostgreSQL alike: both speak
``INSERT … ON CONFLICT … DO UPDATE SET … = excluded.…``.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Table


def _placeholder(conn: Connection) -> str:
    return "?" if conn.dialect.paramstyle in ("qmark", "numeric") else "%s"


def _run(conn: Connection, sql: str, rows: Sequence[Sequence[Any]]) -> None:
    if not rows:
        return
    cursor = conn.connection.cursor()
    try:
        cursor.executemany(sql, rows)
    finally:
        cursor.close()


def insert_rows(
    conn: Connection,
    table: Table,
    columns: Sequence[str],
    rows: Sequence[Sequence[Any]],
    *,
    conflict: Sequence[str] = (),
    update: Sequence[str] = (),
    upsert: str = "",
) -> None:
    """``INSERT`` the rows; with ``conflict`` columns, update ``update`` columns instead, or
    end the statement with an ``upsert`` clause of the caller's own."""
    mark = _placeholder(conn)
    quote = conn.dialect.identifier_preparer.quote
    cols = ", ".join(quote(table.c[c].name) for c in columns)
    values = ", ".join([mark] * len(columns))
    sql = f"INSERT INTO {quote(table.name)} ({cols}) VALUES ({values})"
    if upsert:
        sql += f" {upsert}"
    elif conflict:
        keys = ", ".join(quote(table.c[c].name) for c in conflict)
        if update:
            sets = ", ".join(f"{quote(c)} = excluded.{quote(c)}" for c in update)
            sql += f" ON CONFLICT ({keys}) DO UPDATE SET {sets}"
        else:
            sql += f" ON CONFLICT ({keys}) DO NOTHING"
    _run(conn, sql, rows)


def timestamp(conn: Connection, value: datetime | None) -> Any:
    """A naive-UTC datetime as the driver should receive it, matching SQLAlchemy's storage.

    SQLAlchemy stores SQLite datetimes as fixed-width text with microseconds; the sqlite3
    module's own adapter drops zero microseconds (and is deprecated), so convert explicitly.
    """
    if value is None or conn.dialect.name != "sqlite":
        return value
    return value.strftime("%Y-%m-%d %H:%M:%S.%f")
