"""Everyone in every course, read in three wide selects for the people index.

Find person searches all courses at once, so it reads the catalogue in bulk rather than course
by course: the courses (a few thousand rows), the people (one row each, the same person being
the same ``platform_id`` and ``user_id`` whatever course they are in) and every membership,
ordered by person so each person's courses are one run of rows. "Last seen" is the course's
last sync for members that sync saw; the database sends NULL for those, so the common case
costs no timestamp parsing in Python.

The two large selects are built with SQLAlchemy but read through the driver's own cursor:
SQLAlchemy's result rows cost about three times what the database does for 500,000 rows, and
these queries bind no values. SQLite hands timestamps over as text, which is parsed here.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Select, and_, case, null, select

from rostergui.core.store.schema import contexts, memberships, people

#: Rows fetched from the database at a time: memory stays flat while 500,000 are read.
FETCH_ROWS = 20_000


@dataclass(frozen=True, slots=True)
class CourseRef:
    """What Find person shows of a course: its name, its last sync, whether it was removed
    (with its roster kept for reference)."""

    name: str
    last_synced_at: datetime | None
    archived: bool


def load_course_refs(conn: Connection) -> dict[int, CourseRef]:
    c = contexts.c
    query = select(c.id, c.name, c.last_synced_at, c.archived_at)
    return {row[0]: CourseRef(row[1], row[2], row[3] is not None) for row in conn.execute(query)}


def _driver_rows(conn: Connection, query: Select[Any]) -> Iterator[tuple[Any, ...]]:
    """The rows of ``query``, which binds no values, from the driver's cursor in batches."""
    compiled = query.compile(dialect=conn.dialect)
    assert not compiled.params, "only for queries without bound values"
    cursor = conn.connection.dbapi_connection.cursor()  # type: ignore[union-attr]
    try:
        cursor.execute(str(compiled))
        while batch := cursor.fetchmany(FETCH_ROWS):
            yield from batch
    finally:
        cursor.close()


def _timestamp(value: datetime | str | None) -> datetime | None:
    return datetime.fromisoformat(value) if isinstance(value, str) else value


def iter_people(conn: Connection) -> Iterator[Any]:
    """``(id, platform_id, user_id, name, given_name, family_name, email)`` per person."""
    p = people.c
    query = select(p.id, p.platform_id, p.user_id, p.name, p.given_name, p.family_name, p.email)
    return _driver_rows(conn, query)


def iter_memberships(conn: Connection) -> Iterator[Any]:
    """``(person_id, context_pk, role, status, last_seen_at or None)`` per membership, ordered
    by person; ``None`` means "the course's last sync saw them"."""
    m = memberships.c
    last_seen = case(
        (and_(m.present, contexts.c.last_synced_at.is_not(None)), null()), else_=m.last_seen_at
    )
    query = (
        select(m.person_id, m.context_pk, m.role, m.status, last_seen)
        .select_from(memberships.join(contexts, contexts.c.id == m.context_pk))
        .order_by(m.person_id)
    )
    for row in _driver_rows(conn, query):
        # Most members were seen by their course's last sync: NULL, nothing to parse.
        yield row if row[4] is None else (*row[:4], _timestamp(row[4]))
