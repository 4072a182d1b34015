"""Queries on the roster database: courses, members, history and role rules.

Everything that reads or writes tables outside the sync engine's apply step lives here, so the
command line and the window ask the same questions the same way. Functions take a
``Connection``; the caller owns the transaction.
"""

from __future__ import annotations

import os
import re
import socket
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import (
    Column,
    Connection,
    String,
    and_,
    bindparam,
    case,
    delete,
    func,
    insert,
    select,
    true,
    update,
)

from rostergui.core import errors
from rostergui.core.filtering import SearchQuery, fold
from rostergui.core.roles import RoleMapping, ToolRole
from rostergui.core.states import CourseStatus, MemberStatus, Outcome, StatusFilter
from rostergui.core.store.schema import (
    contexts,
    memberships,
    people,
    role_rules,
    sync_changes,
    sync_runs,
)

STALE_RUN_AFTER = timedelta(hours=12)


def utcnow() -> datetime:
    """Naive UTC, the form every timestamp column stores."""
    return datetime.now(UTC).replace(tzinfo=None)


@dataclass(frozen=True, slots=True)
class Course:
    """A configured course (an LTI context) with its roster counts."""

    id: int
    uid: str
    name: str
    base_url: str
    platform_id: str
    context_id: str | None
    title: str | None
    label: str | None
    resource_link_id: str | None
    auth_scheme: str
    roster_available: bool | None
    created_at: datetime
    last_synced_at: datetime | None
    last_status: str
    last_error: str | None
    archived_at: datetime | None
    member_count: int = 0
    active_count: int = 0


@dataclass(frozen=True, slots=True)
class MemberRow:
    """One member of a course as stored, ready to show or export."""

    user_id: str
    name: str | None
    given_name: str | None
    family_name: str | None
    email: str | None
    role: str
    lti_roles: tuple[str, ...]
    status: str
    test_user: bool
    first_seen_at: datetime
    last_seen_at: datetime
    deactivated_at: datetime | None

    @property
    def display_name(self) -> str:
        if self.name:
            return self.name
        joined = " ".join(p for p in (self.given_name, self.family_name) if p)
        return joined or ""


@dataclass(frozen=True, slots=True)
class SyncRun:
    id: int
    started_at: datetime
    finished_at: datetime | None
    outcome: str
    trigger: str
    pages: int
    fetched: int
    added: int
    updated: int
    deactivated: int
    reactivated: int
    active_count: int | None
    error: str | None
    warning: str | None = None


@dataclass(frozen=True, slots=True)
class Change:
    change: str
    user_id: str
    name: str | None
    email: str | None
    old_role: str | None
    new_role: str | None


def split_roles(text: str) -> tuple[str, ...]:
    return tuple(text.split("\n")) if text else ()


def join_roles(roles: Iterable[str]) -> str:
    return "\n".join(roles)


# --- courses -------------------------------------------------------------------------------


def _courses(conn: Connection, *where: Any) -> list[Course]:
    """Courses matching ``where``, each with its member counts. The counts are aggregated for
    the matching courses only, so looking up one course does not scan every roster."""
    m = memberships.c
    counts = (
        select(
            m.context_pk,
            func.count().label("member_count"),
            func.sum(case((m.status == MemberStatus.ACTIVE, 1), else_=0)).label("active_count"),
        )
        .where(m.context_pk.in_(select(contexts.c.id).where(*where)))
        .group_by(m.context_pk)
        .subquery()
    )
    query = (
        select(contexts, counts.c.member_count, counts.c.active_count)
        .select_from(contexts.outerjoin(counts, counts.c.context_pk == contexts.c.id))
        .where(*where)
        .order_by(func.lower(contexts.c.name))
    )
    out = []
    for row in conn.execute(query).mappings():
        data = dict(row)
        data["member_count"] = int(data["member_count"] or 0)
        data["active_count"] = int(data["active_count"] or 0)
        out.append(Course(**data))
    return out


def list_courses(conn: Connection, *, include_archived: bool = False) -> list[Course]:
    if include_archived:
        return _courses(conn, true())
    return _courses(conn, contexts.c.archived_at.is_(None))


def find_course(conn: Connection, name: str) -> Course | None:
    found = _courses(conn, contexts.c.name == name)
    return found[0] if found else None


def get_course(conn: Connection, name: str) -> Course:
    course = find_course(conn, name)
    if course is None:
        known = (
            conn.execute(
                select(contexts.c.name)
                .where(contexts.c.archived_at.is_(None))
                .order_by(func.lower(contexts.c.name))
            )
            .scalars()
            .all()
        )
        hint = f"; known courses: {', '.join(known)}" if known else "; add one with 'contexts add'"
        raise errors.CourseNotFoundError(f"No course named '{name}'{hint}")
    return course


def get_course_by_id(conn: Connection, pk: int) -> Course:
    found = _courses(conn, contexts.c.id == pk)
    if not found:
        raise errors.CourseNotFoundError(f"The course (#{pk}) no longer exists")
    return found[0]


#: Characters no name may contain: C0 and C1 controls (tab, line breaks, escape…), DEL, the
#: Unicode line and paragraph separators, bidirectional overrides and isolates (they reorder
#: what is shown around them), and lone surrogates (not text at all).
CONTROL_CHARACTERS = re.compile(
    "[\x00-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069\ud800-\udfff]"
)
#: What the course fields are called in messages.
_LABELS = {
    "name": "course name",
    "base_url": "LTIAAS address",
    "platform_id": "platform id",
    "context_id": "course (context) id",
    "resource_link_id": "resource link id",
}


def check_course_name(name: str) -> str:
    """The name as stored (trimmed), or :class:`ConfigError` saying what is wrong with it."""
    name = name.strip()
    if not name:
        raise errors.ConfigError("Give the course a name")
    if CONTROL_CHARACTERS.search(name):
        raise errors.ConfigError(
            "A course name cannot contain control characters (such as tabs, line breaks or "
            "text-direction marks)"
        )
    return fits(contexts.c.name, name, "The course name")


def fits(column: Column[Any], value: str, what: str) -> str:
    """``value`` if the column can hold it on every database (SQLite stores any length, while
    PostgreSQL refuses what is too long, and any text with a NUL character); else a
    :class:`ConfigError` naming ``what``."""
    length = column.type.length if isinstance(column.type, String) else None
    if length is not None and len(value) > length:
        raise errors.ConfigError(
            f"{what} is too long to store ({len(value)} characters; at most {length})"
        )
    if "\x00" in value:
        raise errors.ConfigError(f"{what} contains a NUL character, which cannot be stored")
    return value


def _course_values(values: dict[str, Any]) -> dict[str, Any]:
    """Course fields checked (and, for free text from the LMS, cleaned) before writing."""
    checked = dict(values)
    for key, value in values.items():
        if not isinstance(value, str):
            continue
        if key == "name":
            checked[key] = check_course_name(value)
        elif key in ("title", "label"):
            # The LMS's own words: shown, never matched on, so a NUL is just replaced.
            checked[key] = value.replace("\x00", "\ufffd")
        else:
            label = _LABELS.get(key, key.replace("_", " "))
            checked[key] = fits(contexts.c[key], value, f"The {label}")
    return checked


def check_name_free(conn: Connection, name: str) -> str:
    """The checked name (see :func:`check_course_name`) if no course, kept or not, has it."""
    name = check_course_name(name)
    existing = find_course(conn, name)
    if existing is not None and existing.archived_at is not None:
        raise errors.ConfigError(
            f"The removed course '{name}' is still kept for reference; choose another name, "
            f"or delete its roster with 'contexts remove \"{name}\"'"
        )
    if existing is not None:
        raise errors.ConfigError(
            f"A course named '{name}' already exists; choose another name or remove it first"
        )
    return name


def courses_on(conn: Connection, base_url: str) -> int:
    """How many courses (not kept-for-reference ones) use this LTIAAS origin."""
    query = select(func.count()).where(
        contexts.c.base_url == base_url, contexts.c.archived_at.is_(None)
    )
    return int(conn.execute(query).scalar() or 0)


def add_course(
    conn: Connection,
    *,
    name: str,
    base_url: str,
    platform_id: str,
    auth_scheme: str,
    context_id: str | None = None,
    title: str | None = None,
    label: str | None = None,
    resource_link_id: str | None = None,
    roster_available: bool | None = None,
) -> Course:
    values = _course_values(
        {
            "name": name,
            "base_url": base_url,
            "platform_id": platform_id,
            "context_id": context_id,
            "title": title,
            "label": label,
            "resource_link_id": resource_link_id,
            "auth_scheme": auth_scheme,
        }
    )
    name = values["name"]
    check_name_free(conn, name)
    conn.execute(
        insert(contexts).values(
            uid=str(uuid.uuid4()),
            roster_available=roster_available,
            created_at=utcnow(),
            last_status=CourseStatus.NEVER,
            **values,
        )
    )
    return get_course(conn, name)


def update_course(conn: Connection, pk: int, **values: Any) -> None:
    """Change a course's fields; a new name is checked like a new course's (and must be free)."""
    values = _course_values(values)
    if "name" in values:
        other = find_course(conn, values["name"])
        if other is not None and other.id != pk:
            raise errors.ConfigError(
                f"A course named '{values['name']}' already exists; choose another name"
            )
    conn.execute(update(contexts).where(contexts.c.id == pk).values(**values))


def remove_course(conn: Connection, pk: int, *, keep_roster: bool) -> None:
    """Forget a course. With ``keep_roster`` it stays readable (archived) but never syncs."""
    if keep_roster:
        conn.execute(update(contexts).where(contexts.c.id == pk).values(archived_at=utcnow()))
        return
    run_ids = select(sync_runs.c.id).where(sync_runs.c.context_pk == pk)
    conn.execute(delete(sync_changes).where(sync_changes.c.run_id.in_(run_ids)))
    conn.execute(delete(sync_runs).where(sync_runs.c.context_pk == pk))
    conn.execute(delete(memberships).where(memberships.c.context_pk == pk))
    conn.execute(delete(contexts).where(contexts.c.id == pk))


# --- members -------------------------------------------------------------------------------


def load_members(
    conn: Connection,
    course: Course,
    *,
    role: ToolRole | None = None,
    status: StatusFilter = StatusFilter.ACTIVE,
    search: str | None = None,
) -> list[MemberRow]:
    """The stored roster, filtered like the window's table filters it."""
    if status not in tuple(StatusFilter):
        raise errors.ConfigError("Status must be active, inactive or all")
    m = memberships.c
    last_seen = case(
        (m.present, func.coalesce(contexts.c.last_synced_at, m.last_seen_at)), else_=m.last_seen_at
    )
    query = (
        select(
            people.c.user_id,
            people.c.name,
            people.c.given_name,
            people.c.family_name,
            people.c.email,
            m.role,
            m.lti_roles,
            m.status,
            m.test_user,
            m.first_seen_at,
            last_seen,
            m.deactivated_at,
        )
        .select_from(
            memberships.join(people, people.c.id == m.person_id).join(
                contexts, contexts.c.id == m.context_pk
            )
        )
        .where(m.context_pk == course.id)
    )
    if status != StatusFilter.ALL:
        query = query.where(m.status == status)
    if role is not None:
        query = query.where(m.role == role.value)
    # The database sorts (by name, then user id) without holding Python's interpreter lock,
    # so a window loading 100,000 rows in the background stays responsive.
    display = func.coalesce(people.c.name, people.c.given_name, people.c.family_name, "")
    query = query.order_by(func.lower(display), people.c.user_id)
    rows = [
        MemberRow(
            r[0],
            r[1],
            r[2],
            r[3],
            r[4],
            r[5],
            split_roles(r[6]),
            r[7],
            bool(r[8]),
            r[9],
            r[10],
            r[11],
        )
        for r in conn.execute(query)
    ]
    if search:
        query_words = SearchQuery(search)
        rows = [r for r in rows if query_words.matches(member_haystack(r))]
    return rows


def member_haystack(row: MemberRow) -> str:
    """The text a search looks through: name, email and user id."""
    # Folding the parts one by one gives the same text as folding them joined (the separator
    # is a starter that decomposition never crosses), but only non-ASCII parts take the slow
    # path: most e-mail addresses and ids are ASCII even when the name is not.
    return f"{fold(row.display_name)}\x1f{fold(row.email or '')}\x1f{fold(row.user_id)}"


# --- history -------------------------------------------------------------------------------


def list_runs(conn: Connection, course: Course, *, limit: int = 200) -> list[SyncRun]:
    query = (
        select(
            sync_runs.c.id,
            sync_runs.c.started_at,
            sync_runs.c.finished_at,
            sync_runs.c.outcome,
            sync_runs.c.trigger,
            sync_runs.c.pages,
            sync_runs.c.fetched,
            sync_runs.c.added,
            sync_runs.c.updated,
            sync_runs.c.deactivated,
            sync_runs.c.reactivated,
            sync_runs.c.active_count,
            sync_runs.c.error,
            sync_runs.c.warning,
        )
        .where(sync_runs.c.context_pk == course.id)
        .order_by(sync_runs.c.started_at.desc(), sync_runs.c.id.desc())
        .limit(limit)
    )
    return [SyncRun(**row) for row in conn.execute(query).mappings()]


def run_changes(conn: Connection, run_id: int) -> list[Change]:
    query = (
        select(
            sync_changes.c.change,
            people.c.user_id,
            people.c.name,
            people.c.email,
            sync_changes.c.old_role,
            sync_changes.c.new_role,
        )
        .select_from(sync_changes.join(people, people.c.id == sync_changes.c.person_id))
        .where(sync_changes.c.run_id == run_id)
        .order_by(sync_changes.c.change, func.lower(func.coalesce(people.c.name, "")))
    )
    return [Change(*row) for row in conn.execute(query)]


def process_handle() -> str:
    """Identifies this process in ``sync_runs.holder`` (a very long host name is shortened
    to fit the column; the pid stays whole)."""
    pid = f":{os.getpid()}"
    length = sync_runs.c.holder.type.length or 200  # type: ignore[attr-defined]
    return socket.gethostname()[: length - len(pid)] + pid


def _holder_is_gone(holder: str | None, started_at: datetime, now: datetime) -> bool:
    if now - started_at > STALE_RUN_AFTER:
        return True
    host, _, pid = (holder or "").rpartition(":")
    if host != socket.gethostname() or not pid.isdigit():
        return False  # another machine's sync (shared database): leave it alone
    if int(pid) == os.getpid():
        return False
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return True
    except OSError:
        return False
    return False


def mark_interrupted_runs(conn: Connection) -> int:
    """Runs left ``running`` by a crashed or killed process are recorded as failed.

    Only runs whose process is known to be gone (same host, no such pid) or that started long
    ago are touched, so a colleague's live sync on a shared database is never disturbed.
    """
    now = utcnow()
    stale = [
        run_id
        for run_id, holder, started in conn.execute(
            select(sync_runs.c.id, sync_runs.c.holder, sync_runs.c.started_at).where(
                sync_runs.c.outcome == Outcome.RUNNING
            )
        )
        if _holder_is_gone(holder, started, now)
    ]
    if stale:
        conn.execute(
            update(sync_runs)
            .where(sync_runs.c.id.in_(stale))
            .values(
                outcome=Outcome.FAILED,
                finished_at=now,
                error="Interrupted: RosterSync stopped before the sync finished; nothing was "
                "changed",
            )
        )
    return len(stale)


# --- role rules ----------------------------------------------------------------------------


def load_role_mapping(conn: Connection) -> RoleMapping:
    overrides: dict[str, ToolRole] = {}
    for key, value in conn.execute(select(role_rules.c.lti_role, role_rules.c.tool_role)):
        try:
            overrides[key] = ToolRole(value)
        except ValueError:
            continue  # a role name from a newer version; keep the default for that key
    return RoleMapping(overrides)


def set_role_rule(conn: Connection, key: str, role: ToolRole) -> None:
    fits(role_rules.c.lti_role, key, "The LTI role")
    conn.execute(delete(role_rules).where(role_rules.c.lti_role == key))
    conn.execute(insert(role_rules).values(lti_role=key, tool_role=role.value))


def reset_role_rules(conn: Connection, keys: Sequence[str] | None = None) -> None:
    stmt = delete(role_rules)
    if keys:
        stmt = stmt.where(role_rules.c.lti_role.in_(list(keys)))
    conn.execute(stmt)


def remap_roles(conn: Connection, mapping: RoleMapping) -> int:
    """Recompute every stored member's tool role after the mapping changed; returns changes."""
    m = memberships.c
    rows = conn.execute(select(m.context_pk, m.person_id, m.lti_roles, m.role, m.test_user))
    changes = []
    for context_pk, person_id, raw, old_role, old_test in rows:
        mapped = mapping.map(split_roles(raw))
        if mapped.role.value != old_role or mapped.test_user != bool(old_test):
            changes.append(
                {"c": context_pk, "p": person_id, "r": mapped.role.value, "t": mapped.test_user}
            )
    if changes:
        conn.execute(
            update(memberships)
            .where(and_(m.context_pk == bindparam("c"), m.person_id == bindparam("p")))
            .values(role=bindparam("r"), test_user=bindparam("t")),
            changes,
        )
    return len(changes)
