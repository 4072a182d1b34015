"""The fetched roster, staged in a temporary table, and its diff applied with set-based SQL.

While pages arrive, each member is written to a temporary table on the sync's own database
connection. That writes nothing the rest of the database can see (temporary tables are private
to a connection and take no lock on the real tables). When the last page is in, the difference
to the stored roster is computed and applied by a handful of ``INSERT … SELECT`` /
``UPDATE … FROM`` statements inside one transaction: the database compares and writes 100,000
rows in a fraction of a second, where a row-by-row loop in Python takes several.

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

from dataclasses import dataclass
from datetime import datetime
from typing import Any

import orjson
from sqlalchemy import Boolean, Column, Connection, Integer, MetaData, String, Table, Text, text
from sqlalchemy.exc import DBAPIError

from rostergui.core.nrps import RosterPage
from rostergui.core.roles import RoleMapping
from rostergui.core.states import Change, MemberStatus
from rostergui.core.store import bulk

#: The states as SQL literals, for statements assembled from fixed fragments.
_ACTIVE = f"'{MemberStatus.ACTIVE}'"
_INACTIVE = f"'{MemberStatus.INACTIVE}'"
_ADDED = f"'{Change.ADDED}'"

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


def _merge(held: tuple[Any, ...] | None, row: tuple[Any, ...]) -> tuple[Any, ...]:
    """Two listings of one user, merged as :data:`_UPSERT` merges them in the database."""
    if held is None:
        return row
    active = held[7] == MemberStatus.ACTIVE
    roles = held[5] if held[5] == row[5] else f"{held[5]}{_ROLES_SEPARATOR}{row[5]}"
    return (
        *row[:5],
        roles,
        held[6] if active else row[6],
        MemberStatus.ACTIVE if active else row[7],
        held[8] + row[8],
    )


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
    """A temporary table of the members fetched so far: one row per user, the last copy of a
    member repeated across pages wins."""

    #: Rows per ``executemany`` where that is the way in: one per page of 100 costs twice as
    #: much per row.
    BATCH = 2000

    def __init__(self, conn: Connection, mapping: RoleMapping) -> None:
        self.conn = conn
        self.mapping = mapping
        self.json = conn.dialect.name == "sqlite" and sqlite_has_json(conn)
        self._pending: dict[str, tuple[Any, ...]] = {}
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
        rows: dict[str, tuple[Any, ...]] = {}
        for m in page.members:
            row = (
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
            rows[m.user_id] = _merge(rows.get(m.user_id), row)
        if self.json:
            self._execute(_SQLITE_ROWS, orjson.dumps(list(rows.values())).decode())
            return
        pending = self._pending
        for user_id, row in rows.items():
            pending[user_id] = _merge(pending.get(user_id), row)
        if len(pending) >= self.BATCH:
            self._flush()

    def _execute(self, sql: str, document: str | bytes) -> None:
        cursor = self.conn.connection.cursor()
        try:
            cursor.execute(sql, (document,))
        finally:
            cursor.close()

    def _flush(self) -> None:
        rows, self._pending = list(self._pending.values()), {}
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
            mapped = self.mapping.map(roles)
            rows.append((roles_json, "\n".join(roles), mapped.role.value, mapped.test_user))
        bulk.insert_rows(self.conn, ROLE_MAP, tuple(c.name for c in ROLE_MAP.columns), rows)


@dataclass(frozen=True, slots=True)
class DroppedMember:
    user_id: str
    name: str | None
    email: str | None
    role: str


@dataclass(slots=True)
class Diff:
    """Counts of what a sync would change; zero counts let :meth:`RosterDiff.write` skip
    statements (an unchanged re-sync writes almost nothing)."""

    added: int
    added_active: int
    updated: int
    reactivated: int
    deactivated: int
    active_before: int
    people_changed: int = 0
    memberships_changed: int = 0
    role_changed: int = 0
    lms_deactivated: int = 0
    absent: int = 0

    @property
    def active_after(self) -> int:
        return self.active_before + self.added_active + self.reactivated - self.deactivated


# Conditions on rs_diff rows, shared by counting and writing. ``kept``: a stored member the LMS
# still sends; ``gone``: a stored member it no longer sends; neither: new to the course.
_KEPT = "had_membership AND NOT gone"
_REACTIVATED = f"{_KEPT} AND status = {_ACTIVE} AND old_status <> {_ACTIVE}"
_DEACTIVATED = f"{_KEPT} AND status = {_INACTIVE} AND old_status = {_ACTIVE}"
_ROLE_CHANGED = f"{_KEPT} AND role <> old_role"
#: Stored as present, no longer sent: becomes inactive now.
_ABSENT = "gone AND old_present = TRUE"


def _membership_changed(alias: str = "") -> str:
    """A member the LMS still lists whose stored membership needs writing."""
    a = alias
    return (
        f"{a}had_membership AND NOT {a}gone AND ({a}role <> {a}old_role "
        f"OR {a}lti_roles <> {a}old_lti_roles OR {a}test_user <> {a}old_test_user "
        f"OR {a}lms_status <> {a}old_lms_status OR {a}status <> {a}old_status "
        f"OR {a}old_present = FALSE)"
    )


class RosterDiff:
    """The difference between the staged and the stored roster of one course.

    Create it inside the write transaction, after the course's lock is taken. It materialises
    once (``rs_diff``) only the members something happens to, joined with what is stored:
    stored members the LMS no longer sends or sends with other data, and members new to the
    course. Every later step reads from that small table.

    Stored members are read in one pass over the course's memberships, looking each up in the
    staging table by user id. Subtracting the members found from the staged count tells
    whether anyone is new; only then are staged members looked up among the stored people.
    So an unchanged re-sync reads the course once and writes nothing. On a course's first sync
    everyone staged is new, and the writes read them straight from the staging table.
    """

    _COLUMNS = (
        "user_id, name, given_name, family_name, email, lms_status, status, lti_roles, role, "
        "test_user, person_id, had_membership, gone, old_role, old_status, old_present, "
        "old_lti_roles, old_test_user, old_lms_status, old_name, old_given_name, "
        "old_family_name, old_email"
    )

    def __init__(self, conn: Connection, context_pk: int, platform_id: str) -> None:
        self.conn = conn
        self.params: dict[str, Any] = {"ctx": context_pk, "plat": platform_id}
        self.differs = "IS NOT" if conn.dialect.name == "sqlite" else "IS DISTINCT FROM"
        changed = " OR ".join(
            (
                "s.user_id IS NULL",
                "m.present = FALSE",
                "r.role <> m.role",
                "r.lti_roles <> m.lti_roles",
                "r.test_user <> m.test_user",
                "s.lms_status <> m.lms_status",
                "s.status <> m.status",
                *(
                    f"s.{column} {self.differs} p.{column}"
                    for column in ("name", "given_name", "family_name", "email")
                ),
            )
        )
        self._sql(
            f"""
            CREATE TEMPORARY TABLE rs_diff AS
            SELECT p.user_id, s.name, s.given_name, s.family_name, s.email, s.lms_status,
                   s.status, r.lti_roles, r.role, r.test_user, m.person_id,
                   TRUE AS had_membership, s.user_id IS NULL AS gone,
                   m.role AS old_role, m.status AS old_status, m.present AS old_present,
                   m.lti_roles AS old_lti_roles, m.test_user AS old_test_user,
                   m.lms_status AS old_lms_status,
                   p.name AS old_name, p.given_name AS old_given_name,
                   p.family_name AS old_family_name, p.email AS old_email
            FROM memberships m
            JOIN people p ON p.id = m.person_id
            LEFT JOIN rs_staging s ON s.user_id = p.user_id AND p.platform_id = :plat
            LEFT JOIN rs_rolemap r ON r.roles_json = s.roles_json
            WHERE m.context_pk = :ctx AND ({changed})
            """
        )
        self.stored, self.active_before = (
            int(v or 0)
            for v in self._sql(
                f"SELECT COUNT(*), SUM(CASE WHEN status = {_ACTIVE} THEN 1 ELSE 0 END) "
                "FROM memberships WHERE context_pk = :ctx"
            ).one()
        )
        staged, staged_active = (
            int(v or 0)
            for v in self._sql(
                f"SELECT COUNT(*), SUM(CASE WHEN status = {_ACTIVE} THEN 1 ELSE 0 END) "
                "FROM rs_staging"
            ).one()
        )
        #: Counts of staged members (all, active): on a first sync, everyone new.
        self.staged = (staged, staged_active)
        if self.first_sync:
            # Everyone staged is new: copying them into rs_diff would only duplicate the
            # staging table, so the writes read them from it (see new_members).
            return
        gone = int(self._sql("SELECT COUNT(*) FROM rs_diff WHERE gone").scalar_one())
        if staged > self.stored - gone:  # someone the course does not have yet
            self._sql(
                f"""
                INSERT INTO rs_diff ({self._COLUMNS})
                SELECT s.user_id, s.name, s.given_name, s.family_name, s.email, s.lms_status,
                       s.status, r.lti_roles, r.role, r.test_user, p.id, FALSE, FALSE,
                       NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL
                FROM rs_staging s
                JOIN rs_rolemap r ON r.roles_json = s.roles_json
                LEFT JOIN people p ON p.platform_id = :plat AND p.user_id = s.user_id
                WHERE NOT EXISTS (
                    SELECT 1 FROM memberships m WHERE m.context_pk = :ctx AND m.person_id = p.id
                )
                """
            )

    @property
    def first_sync(self) -> bool:
        """The course has no stored membership yet."""
        return self.stored == 0

    @property
    def new_members(self) -> tuple[str, str]:
        """Where members new to the course are read from (as ``d``), and which rows they are."""
        if self.first_sync:
            return (
                "(SELECT s.*, r.lti_roles, r.role, r.test_user, NULL AS person_id"
                " FROM rs_staging s JOIN rs_rolemap r ON r.roles_json = s.roles_json) d",
                "TRUE",
            )
        return "rs_diff d", "NOT d.had_membership"

    def _sql(self, sql: str, **params: Any) -> Any:
        return self.conn.execute(text(sql), {**self.params, **params})

    def _person_changed(self, alias: str = "") -> str:
        """Name or email differ (NULL-safe); ``alias`` qualifies the rs_diff columns."""
        return (
            "("
            + " OR ".join(
                f"{alias}{column} {self.differs} {alias}old_{column}"
                for column in ("name", "given_name", "family_name", "email")
            )
            + ")"
        )

    def _data_changed(self) -> str:
        return "(role <> old_role OR lti_roles <> old_lti_roles OR test_user <> old_test_user)"

    def summary(self) -> Diff:
        person = self._person_changed()
        conditions = (
            "NOT had_membership",
            f"NOT had_membership AND status = {_ACTIVE}",
            f"{_KEPT} AND ({person} OR {self._data_changed()})",
            _REACTIVATED,
            _DEACTIVATED,
            f"{_KEPT} AND {person}",
            _membership_changed(),
            _ROLE_CHANGED,
            _ABSENT,
            f"{_ABSENT} AND old_status = {_ACTIVE}",
        )
        sums = ", ".join(f"SUM(CASE WHEN {c} THEN 1 ELSE 0 END)" for c in conditions)
        row = self._sql(f"SELECT {sums} FROM rs_diff").one()  # one scan for every count
        (
            added,
            added_active,
            updated,
            reactivated,
            lms_deactivated,
            people_changed,
            memberships_changed,
            role_changed,
            absent,
            absent_active,
        ) = (int(v or 0) for v in row)
        if self.first_sync:
            added, added_active = self.staged
        return Diff(
            added=added,
            added_active=added_active,
            updated=updated,
            reactivated=reactivated,
            deactivated=absent_active + lms_deactivated,
            active_before=self.active_before,
            people_changed=people_changed,
            memberships_changed=memberships_changed,
            role_changed=role_changed,
            lms_deactivated=lms_deactivated,
            absent=absent,
        )

    def dropped(self) -> list[DroppedMember]:
        """Who would become inactive: gone from the LMS, or marked inactive there."""
        rows = self._sql(
            f"""
            SELECT user_id, old_name, old_email, old_role FROM rs_diff
            WHERE {_ABSENT} AND old_status = {_ACTIVE}
            UNION ALL
            SELECT user_id, name, email, old_role FROM rs_diff WHERE {_DEACTIVATED}
            """
        )
        return sorted(
            (DroppedMember(*row) for row in rows),
            key=lambda d: ((d.name or "").casefold(), d.user_id),
        )

    def write(
        self,
        diff: Diff,
        run_id: int | None,
        now: datetime,
        previous_sync: datetime | None,
    ) -> None:
        """Apply the difference; statements with nothing to do are skipped."""
        stamp = bulk.timestamp(self.conn, now)
        seen = bulk.timestamp(self.conn, previous_sync or now)
        run = {"run": run_id, "now": stamp, "prev": seen}
        source, is_new = self.new_members
        if diff.added:
            # People already known from another course of the platform are left as they are
            # (and one may be added by a concurrent sync on PostgreSQL), hence DO NOTHING; the
            # joins below find either row.
            self._sql(
                f"""
                INSERT INTO people (platform_id, user_id, name, given_name, family_name, email)
                SELECT :plat, d.user_id, d.name, d.given_name, d.family_name, d.email
                FROM {source} WHERE {is_new} AND d.person_id IS NULL
                ON CONFLICT (platform_id, user_id) DO NOTHING
                """
            )
        if diff.people_changed:
            self._sql(
                f"""
                UPDATE people SET name = d.name, given_name = d.given_name,
                       family_name = d.family_name, email = d.email
                FROM rs_diff d
                WHERE people.id = d.person_id AND d.had_membership AND NOT d.gone
                  AND {self._person_changed("d.")}
                """
            )
        # New members' person ids come from a join: the diff only has those who existed.
        new_members = f"""
            FROM {source} JOIN people p ON p.platform_id = :plat AND p.user_id = d.user_id
            WHERE {is_new}
        """
        # The history first: it reads the state before the memberships change.
        if run_id is not None:
            if diff.added and not self.first_sync:
                self._sql(
                    f"""
                    INSERT INTO sync_changes (run_id, person_id, change, old_role, new_role)
                    SELECT :run, p.id, {_ADDED}, NULL, d.role {new_members}
                    """,
                    **run,
                )
            changes = (
                (diff.role_changed, Change.ROLE_CHANGED, "old_role", "role", _ROLE_CHANGED),
                (diff.reactivated, Change.REACTIVATED, "NULL", "role", _REACTIVATED),
                (diff.lms_deactivated, Change.DEACTIVATED, "old_role", "NULL", _DEACTIVATED),
                (
                    diff.deactivated - diff.lms_deactivated,
                    Change.DEACTIVATED,
                    "old_role",
                    "NULL",
                    f"{_ABSENT} AND old_status = {_ACTIVE}",
                ),
            )
            for count, change, old, new, where in changes:
                if count:
                    self._sql(
                        f"""
                        INSERT INTO sync_changes (run_id, person_id, change, old_role, new_role)
                        SELECT :run, person_id, '{change}', {old}, {new}
                        FROM rs_diff WHERE {where}
                        """,
                        **run,
                    )
        if diff.absent:
            # Members who are gone: inactive, never deleted; last seen at the previous sync.
            self._sql(
                f"""
                UPDATE memberships SET present = FALSE, last_seen_at = :prev,
                       status = {_INACTIVE},
                       deactivated_at = CASE WHEN status = {_ACTIVE} THEN :now
                                             ELSE deactivated_at END
                WHERE context_pk = :ctx
                  AND person_id IN (SELECT person_id FROM rs_diff WHERE {_ABSENT})
                """,
                **run,
            )
        if diff.memberships_changed:
            # Members still there whose data or status changed.
            self._sql(
                f"""
                UPDATE memberships SET lti_roles = d.lti_roles, role = d.role,
                       test_user = d.test_user, lms_status = d.lms_status, status = d.status,
                       present = TRUE, last_seen_at = :now,
                       deactivated_at = CASE
                           WHEN d.status = d.old_status THEN memberships.deactivated_at
                           WHEN d.status = {_INACTIVE} THEN :now
                           ELSE NULL END
                FROM rs_diff d
                WHERE memberships.context_pk = :ctx AND memberships.person_id = d.person_id
                  AND {_membership_changed("d.")}
                """,
                **run,
            )
        if diff.added:
            self._sql(
                f"""
                INSERT INTO memberships (context_pk, person_id, lti_roles, role, test_user,
                                         lms_status, status, present, first_seen_at,
                                         last_seen_at, deactivated_at)
                SELECT :ctx, p.id, d.lti_roles, d.role, d.test_user, d.lms_status, d.status,
                       TRUE, :now, :now, CASE WHEN d.status = {_ACTIVE} THEN NULL ELSE :now END
                {new_members}
                """,
                **run,
            )
            if run_id is not None and self.first_sync:
                # Every membership of the course is new: read them back rather than look
                # everyone up among the people a second time.
                self._sql(
                    f"""
                    INSERT INTO sync_changes (run_id, person_id, change, old_role, new_role)
                    SELECT :run, person_id, {_ADDED}, NULL, role FROM memberships
                    WHERE context_pk = :ctx
                    """,
                    **run,
                )
