"""The fetched roster, staged page by page in a temporary table on the sync's connection.

While pages arrive, each member is written to a temporary table on the sync's own database
connection. That writes nothing the rest of the database can see (temporary tables are private
to a connection and take no lock on the real tables). When the last page is in,
:mod:`rostergui.core.diff` compares the staged roster with the stored one and applies the
difference with set-based SQL; this module only gets the roster into the database.

Staging is built so the database does the per-member work, off the interpreter lock:

* On SQLite, a page whose members all have the common shape (``RosterPage.plain``) goes in as
  the JSON the LMS sent: one ``INSERT … SELECT … FROM json_each(…)`` per page extracts the
  fields in C while the fetching thread already waits for the next page. (The body is cast to
  text in SQL: newer SQLite reads a blob as its binary JSONB.) Other pages are normalised in
  Python (:func:`~rostergui.core.nrps.parse_member`) and handed over as one JSON array per
  page. Either way it is one statement per page: the ``sqlite3`` module releases the
  interpreter lock around every row of an ``executemany``, and with the fetching thread busy
  each of those hand-overs can wait milliseconds.
* Elsewhere (PostgreSQL, or an SQLite built without JSON functions) normalised rows are
  written with ``executemany`` in batches.
* Roles are staged as received (a JSON array) and mapped once per distinct role list at the
  end: a roster of 100,000 repeats a handful of role lists.

The SQL is the common subset of SQLite (3.33+) and PostgreSQL; the one spelling that differs,
a NULL-safe "differs from", is chosen per dialect.
"""

from __future__ import annotations

from typing import Any

import orjson
from sqlalchemy import Boolean, Column, Connection, Integer, MetaData, String, Table, Text
from sqlalchemy.exc import DBAPIError

from rostergui.core import errors
from rostergui.core.diff import DroppedMember, RosterDiff
from rostergui.core.nrps import RosterPage, role_problem
from rostergui.core.roles import RoleMapping
from rostergui.core.states import MemberStatus
from rostergui.core.store import bulk

__all__ = [
    "ROLE_MAP",
    "ROLE_MAP_UNKEYED",
    "STAGING",
    # The diff had its home here before it got a module of its own; sync.py imports it from
    # here still.
    "DroppedMember",
    "RosterDiff",
    "StagedRoster",
    "sqlite_has_json",
]

#: The states as SQL literals, for statements assembled from fixed fragments.
_ACTIVE = f"'{MemberStatus.ACTIVE}'"
_INACTIVE = f"'{MemberStatus.INACTIVE}'"

_META = MetaData()
STAGING = Table(
    "rs_staging",
    _META,
    Column("user_id", String(255), primary_key=True),
    Column("name", Text),
    Column("given_name", Text),
    Column("family_name", Text),
    Column("email", Text),
    Column("roles_json", Text, nullable=False),
    Column("lms_status", String(20), nullable=False),
    Column("status", String(10), nullable=False),
    #: How often the LMS listed this user; above 1 the role lists were joined (see finish).
    Column("copies", Integer, nullable=False),
    prefixes=["TEMPORARY"],
)
ROLE_MAP = Table(
    "rs_rolemap",
    _META,
    Column("roles_json", Text, primary_key=True),
    Column("lti_roles", Text, nullable=False),
    Column("role", String(40), nullable=False),
    Column("test_user", Boolean, nullable=False),
    prefixes=["TEMPORARY"],
)
ROLE_MAP_UNKEYED = Table(
    "rs_rolemap",
    MetaData(),
    *(Column(c.name, c.type, nullable=False) for c in ROLE_MAP.columns),
    prefixes=["TEMPORARY"],
)
_COLUMNS = tuple(c.name for c in STAGING.columns)
#: Between the role lists of a user listed more than once, until :meth:`StagedRoster.finish`
#: joins them. JSON text never holds a raw control character, so it cannot clash.
_ROLES_SEPARATOR = "\x1e"
#: A user listed again (across pages, or twice on one page) keeps the latest name and email,
#: is active if any listing is, and collects every listing's roles.
_UPSERT = f"""ON CONFLICT (user_id) DO UPDATE SET
    name = excluded.name, given_name = excluded.given_name,
    family_name = excluded.family_name, email = excluded.email,
    lms_status = CASE WHEN rs_staging.status = {_ACTIVE} THEN rs_staging.lms_status
                      ELSE excluded.lms_status END,
    status = CASE WHEN rs_staging.status = {_ACTIVE} THEN {_ACTIVE} ELSE excluded.status END,
    roles_json = CASE WHEN rs_staging.roles_json = excluded.roles_json THEN rs_staging.roles_json
                      ELSE rs_staging.roles_json || '{_ROLES_SEPARATOR}' || excluded.roles_json END,
    copies = rs_staging.copies + excluded.copies"""
#: A plain page: the members as parsed, re-encoded; their fields need no normalising.
_SQLITE_PLAIN = f"""
    INSERT INTO rs_staging ({", ".join(_COLUMNS)})
    SELECT json_extract(value, '$.userId'), json_extract(value, '$.name'),
           json_extract(value, '$.givenName'), json_extract(value, '$.familyName'),
           json_extract(value, '$.email'), json_extract(value, '$.roles'), lms_status,
           CASE lms_status WHEN 'Active' THEN {_ACTIVE} ELSE {_INACTIVE} END, 1
    FROM (SELECT value, COALESCE(json_extract(value, '$.status'), 'Active') AS lms_status
          FROM json_each(CAST(? AS TEXT)))
    WHERE true {_UPSERT}
"""
#: Rows normalised in Python, as one JSON array of arrays.
_SQLITE_ROWS = f"""
    INSERT INTO rs_staging ({", ".join(_COLUMNS)})
    SELECT {", ".join(f"json_extract(value, '$[{i}]')" for i in range(len(_COLUMNS)))}
    FROM json_each(?) WHERE true {_UPSERT}
"""


def _joined_roles(roles_json: str) -> str:
    """One role list from the lists of every listing, each role once, in first-seen order."""
    roles: dict[str, None] = {}
    for part in roles_json.split(_ROLES_SEPARATOR):
        roles.update(dict.fromkeys(orjson.loads(part)))
    return orjson.dumps(list(roles)).decode()


def sqlite_has_json(conn: Connection) -> bool:
    """Whether this SQLite has its JSON functions (built in since 3.38, optional before)."""
    try:
        conn.exec_driver_sql("SELECT json_extract('[1]', '$[0]')")
    except DBAPIError:
        return False
    return True


class StagedRoster:
    """A temporary table of the members fetched so far: one row per user, a user listed more
    than once merged as :data:`_UPSERT` says."""

    #: Rows per ``executemany`` where that is the way in: one per page of 100 costs twice as
    #: much per row.
    BATCH = 2000

    def __init__(self, conn: Connection, mapping: RoleMapping) -> None:
        self.conn = conn
        self.mapping = mapping
        self.json = conn.dialect.name == "sqlite" and sqlite_has_json(conn)
        self._pending: list[tuple[Any, ...]] = []
        #: Users the LMS listed more than once, and how often (known after ``finish``).
        self.repeated: list[tuple[str, int]] = []
        # A fresh table on every sync: the sync's connection is closed afterwards, and its
        # temporary tables with it.
        STAGING.create(conn)

    def add_page(self, page: RosterPage) -> None:
        """Stage one page's members (raises ``MalformedResponseError`` for a bad member)."""
        if self.json and page.plain:
            # The members as parsed, not the body as sent: a member that repeats a key is
            # read the one way the checks read it.
            self._execute(_SQLITE_PLAIN, orjson.dumps(page.raw_members))
            return
        # A user listed twice is merged by the database, as :data:`_UPSERT` says.
        rows = [
            (
                m.user_id,
                m.name,
                m.given_name,
                m.family_name,
                m.email,
                orjson.dumps(m.roles).decode(),
                m.status,
                MemberStatus.ACTIVE if m.status == "Active" else MemberStatus.INACTIVE,
                1,
            )
            for m in page.members
        ]
        if self.json:
            self._execute(_SQLITE_ROWS, orjson.dumps(rows).decode())
            return
        self._pending.extend(rows)
        if len(self._pending) >= self.BATCH:
            self._flush()

    def _execute(self, sql: str, document: str | bytes) -> None:
        cursor = self.conn.connection.cursor()
        try:
            cursor.execute(sql, (document,))
        finally:
            cursor.close()

    def _flush(self) -> None:
        rows, self._pending = self._pending, []
        bulk.insert_rows(self.conn, STAGING, _COLUMNS, rows, upsert=_UPSERT)

    def finish(self) -> None:
        """Write what is still held back, join the role lists of users listed more than once
        and map every distinct role list (call once the last page is in)."""
        self._flush()
        repeated = self.conn.exec_driver_sql(
            "SELECT user_id, roles_json, copies FROM rs_staging WHERE copies > 1"
        ).all()
        self.repeated = [(user_id, copies) for user_id, _roles, copies in repeated]
        joined = [
            (_joined_roles(roles_json), user_id)
            for user_id, roles_json, _copies in repeated
            if _ROLES_SEPARATOR in roles_json
        ]
        if joined:
            mark = "?" if self.conn.dialect.paramstyle == "qmark" else "%s"
            cursor = self.conn.connection.cursor()
            try:
                cursor.executemany(
                    f"UPDATE rs_staging SET roles_json = {mark} WHERE user_id = {mark}", joined
                )
            finally:
                cursor.close()
        # On PostgreSQL a long role list would not fit a b-tree key; the map is small and is
        # hash-joined, so it needs no key there.
        (ROLE_MAP if self.conn.dialect.name == "sqlite" else ROLE_MAP_UNKEYED).create(self.conn)
        role_lists = self.conn.exec_driver_sql("SELECT DISTINCT roles_json FROM rs_staging")
        rows = []
        for (roles_json,) in role_lists.all():
            roles = tuple(orjson.loads(roles_json))
            problem = role_problem(roles)
            if problem is not None:
                raise errors.MalformedResponseError(
                    f"LTIAAS returned {problem} ({_shown_roles(roles)}); nothing was changed "
                    "— try again later or contact LTIAAS support"
                )
            mapped = self.mapping.map(roles)
            rows.append((roles_json, "\n".join(roles), mapped.role.value, mapped.test_user))
        bulk.insert_rows(self.conn, ROLE_MAP, tuple(c.name for c in ROLE_MAP.columns), rows)


def _shown_roles(roles: tuple[str, ...]) -> str:
    """The first role that cannot be stored, short and escaped, for the error message."""
    shown = next(r for r in roles if role_problem((r,)) is not None)
    return ascii(shown if len(shown) <= 60 else shown[:60] + "…")
