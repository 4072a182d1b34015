"""The administrator's role rules: the stored overrides of the LTI → tool role mapping.

Changing a rule remaps every stored membership at once (:func:`remap_roles`), so a roster
shows the new roles without waiting for its next sync.
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import Connection, and_, bindparam, delete, insert, select, update

from rostergui.core.roles import RoleMapping, ToolRole
from rostergui.core.store.courses import fits
from rostergui.core.store.rows import split_roles
from rostergui.core.store.schema import memberships, role_rules


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
