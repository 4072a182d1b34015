"""The configured courses: looked up with their member counts, checked, added, changed, removed.

Every course field is checked here before it is written (names, lengths every database can
hold, no control characters), so the command line and the window refuse the same values with
the same words. Functions take a ``Connection``; the caller owns the transaction.
"""

from __future__ import annotations

import re
import uuid
from typing import Any

from sqlalchemy import (
    Column,
    Connection,
    String,
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
from rostergui.core.states import CourseStatus, MemberStatus, Outcome
from rostergui.core.store.rows import Course, utcnow
from rostergui.core.store.schema import contexts, memberships, sync_changes, sync_runs


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
    # The latest finished run of each course: a held one keeps the course held across
    # restarts and machines until a sync applies or fails (cancelled runs change nothing).
    r = sync_runs.c
    latest = (
        select(r.context_pk, func.max(r.id).label("run_id"))
        .where(
            r.context_pk.in_(select(contexts.c.id).where(*where)),
            r.outcome.in_([Outcome.OK, Outcome.FAILED, Outcome.HELD]),
        )
        .group_by(r.context_pk)
        .subquery()
    )
    run = sync_runs.alias("latest_run")
    held_drops = case((run.c.outcome == Outcome.HELD, run.c.deactivated), else_=None)
    query = (
        select(
            contexts,
            counts.c.member_count,
            counts.c.active_count,
            held_drops.label("held_drops"),
        )
        .select_from(
            contexts.outerjoin(counts, counts.c.context_pk == contexts.c.id)
            .outerjoin(latest, latest.c.context_pk == contexts.c.id)
            .outerjoin(run, run.c.id == latest.c.run_id)
        )
        .where(*where)
        .order_by(func.lower(contexts.c.name))
    )
    out = []
    for row in conn.execute(query).mappings():
        data = dict(row)
        data["member_count"] = int(data["member_count"] or 0)
        data["active_count"] = int(data["active_count"] or 0)
        held = data["held_drops"]
        data["held_drops"] = None if held is None else int(held)
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
        if not known:
            raise errors.NoCoursesError(f"No course named '{name}': no courses are stored yet")
        raise errors.CourseNotFoundError(
            f"No course named '{name}'; known courses: {', '.join(known)}"
        )
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


#: Built once: a bulk import asks these for every row, and building a statement costs more
#: than running it.
_NAME_HOLDER = select(contexts.c.id, contexts.c.archived_at).where(
    contexts.c.name == bindparam("name")
)
_COURSE_HOLDER = (
    select(contexts.c.name)
    .where(
        contexts.c.platform_id == bindparam("platform_id"),
        contexts.c.context_id == bindparam("context_id"),
        contexts.c.archived_at.is_(None),
        contexts.c.id != bindparam("except_pk"),
    )
    .order_by(contexts.c.id)
    .limit(1)
)


def check_name_free(conn: Connection, name: str) -> str:
    """The checked name (see :func:`check_course_name`) if no course, kept or not, has it."""
    name = check_course_name(name)
    existing = conn.execute(_NAME_HOLDER, {"name": name}).first()
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


def duplicate_message(name: str, existing: str) -> str:
    """The words of :class:`DuplicateCourseError`, also used for an import row skipped."""
    return (
        f"'{name}' is the same LMS course as '{existing}', which is already stored; sync "
        f"'{existing}', or remove it first to store the course under another name"
    )


def course_holder(
    conn: Connection, platform_id: str, context_id: str, *, except_pk: int | None = None
) -> str | None:
    """The name of a course (not a removed one kept for reference) that holds this LMS course:
    the same platform and context. Kept-for-reference courses never sync, so the same LMS
    course may be added again after its removal."""
    values = {"platform_id": platform_id, "context_id": context_id, "except_pk": except_pk or 0}
    return conn.execute(_COURSE_HOLDER, values).scalar()


def check_course_free(
    conn: Connection,
    name: str,
    platform_id: str,
    context_id: str | None,
    *,
    except_pk: int | None = None,
) -> None:
    """:class:`DuplicateCourseError` when another course already holds this LMS course. A
    course whose context is not known yet (added with a service key LTIAAS did not name a
    course for) is checked once it is: :func:`duplicate_courses` reports it then."""
    if not context_id:
        return
    holder = course_holder(conn, platform_id, context_id, except_pk=except_pk)
    if holder is not None:
        raise errors.DuplicateCourseError(duplicate_message(name, holder), existing=holder)


def duplicate_courses(conn: Connection) -> dict[str, str]:
    """Courses stored twice, as a database from before the check may hold them, or as a first
    sync may find when it learns a course's context: each name → the other course's name (the
    first other one, by name, when there are more). Removed courses kept for reference are
    left out, as in :func:`course_holder`."""
    c = contexts.c
    query = (
        select(c.name, c.platform_id, c.context_id)
        .where(c.context_id.is_not(None), c.archived_at.is_(None))
        .order_by(func.lower(c.name), c.name)
    )
    groups: dict[tuple[str, str], list[str]] = {}
    for name, platform_id, context_id in conn.execute(query):
        groups.setdefault((platform_id, context_id), []).append(name)
    out: dict[str, str] = {}
    for names in groups.values():
        for name in names if len(names) > 1 else ():
            out[name] = next(other for other in names if other != name)
    return out


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
    check_course_free(conn, name, values["platform_id"], values["context_id"])
    row = {
        "uid": str(uuid.uuid4()),
        "roster_available": roster_available,
        "created_at": utcnow(),
        "last_status": CourseStatus.NEVER,
        **values,
    }
    key = conn.execute(insert(contexts), row).inserted_primary_key
    assert key is not None
    pk = key[0]
    # A new course: no sync, no members yet (no aggregate query needed to say so).
    return Course(
        id=pk,
        last_synced_at=None,
        last_error=None,
        archived_at=None,
        **row,
    )


def update_course(conn: Connection, pk: int, **values: Any) -> None:
    """Change a course's fields; a new name is checked like a new course's (and must be free)."""
    values = _course_values(values)
    if "name" in values:
        other = find_course(conn, values["name"])
        if other is not None and other.id != pk:
            raise errors.ConfigError(
                f"A course named '{values['name']}' already exists; choose another name"
            )
    if values.get("context_id") or values.get("platform_id"):
        current = conn.execute(
            select(contexts.c.name, contexts.c.platform_id, contexts.c.context_id).where(
                contexts.c.id == pk
            )
        ).one()
        check_course_free(
            conn,
            values.get("name", current.name),
            values.get("platform_id") or current.platform_id,
            values.get("context_id") or current.context_id,
            except_pk=pk,
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
