"""The set-based diff between a course's staged and stored roster, and its application.

Staging (:mod:`rostergui.core.staging`) gets the fetched roster into the sync's private
temporary tables; this module is the other half of the write: under the course's lock it
compares the staged roster with the stored one in SQL, counts what would change and applies
it with a few ``INSERT … SELECT`` / ``UPDATE … FROM`` statements in one transaction. It reads
the staging tables by name (``rs_staging``, ``rs_rolemap``) and nothing else of staging.

The SQL is the common subset of SQLite (3.33+) and PostgreSQL; the one spelling that differs,
a NULL-safe "differs from", is chosen per dialect.
"""

# SQL assembled from fixed fragments and table definitions; every value is a bound parameter.
# ruff: noqa: S608

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, text

from rostergui.core.states import Change, MemberStatus
from rostergui.core.store import bulk

_ACTIVE = f"'{MemberStatus.ACTIVE}'"
_INACTIVE = f"'{MemberStatus.INACTIVE}'"
_ADDED = f"'{Change.ADDED}'"


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
            # joins below find either row. In user id order: two courses sharing new people
            # then wait for each other's inserts in one order, never in a cycle (deadlock).
            self._sql(
                f"""
                INSERT INTO people (platform_id, user_id, name, given_name, family_name, email)
                SELECT :plat, d.user_id, d.name, d.given_name, d.family_name, d.email
                FROM {source} WHERE {is_new} AND d.person_id IS NULL
                ORDER BY d.user_id
                ON CONFLICT (platform_id, user_id) DO NOTHING
                """
            )
        if diff.people_changed and self.conn.dialect.name == "postgresql":
            # The same for people whose name or email changed: lock their rows in id order
            # before the UPDATE below takes them in whatever order its join runs. (SQLite
            # has one writer at a time, so there is nothing to order.)
            self._sql(
                f"""
                SELECT p.id FROM people p
                WHERE p.id IN (
                    SELECT d.person_id FROM rs_diff d
                    WHERE d.had_membership AND NOT d.gone AND {self._person_changed("d.")}
                )
                ORDER BY p.id FOR NO KEY UPDATE
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
