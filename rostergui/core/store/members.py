"""A course's stored roster, read and filtered the way the window's table filters it.

The database filters by role and status and sorts; the search runs in Python over
:func:`member_haystack`, the same text the window's own index searches, so the command line
and the window find the same members.
"""

from __future__ import annotations

from sqlalchemy import Connection, case, func, select

from rostergui.core import errors
from rostergui.core.filtering import SearchQuery, fold
from rostergui.core.roles import ToolRole
from rostergui.core.states import StatusFilter
from rostergui.core.store.rows import Course, MemberRow, split_roles
from rostergui.core.store.schema import contexts, memberships, people


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
