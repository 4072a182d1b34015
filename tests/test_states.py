"""States are types: no module compares or passes an outcome, status, trigger, phase or auth
scheme as a string literal; each is spelled once, in ``rostergui.core.states``."""

from __future__ import annotations

import ast
from pathlib import Path

from rostergui.core import states
from rostergui.core.states import MemberStatus, Outcome, StatusFilter

ROOT = Path(__file__).resolve().parent.parent / "rostergui"
#: Names of the fields and parameters that hold a state.
STATE_FIELDS = {"status", "outcome", "trigger", "phase", "scheme", "last_status", "auth_scheme"}
STATE_VALUES = {
    member.value
    for enum in (
        states.Outcome,
        states.CourseStatus,
        states.MemberStatus,
        states.Trigger,
        states.Phase,
        states.AuthScheme,
        states.StatusFilter,
    )
    for member in enum
}


def _name(node: ast.expr) -> str | None:
    if isinstance(node, ast.Attribute):
        return node.attr
    if isinstance(node, ast.Name):
        return node.id
    return None


def _state_literal(node: ast.expr) -> bool:
    return isinstance(node, ast.Constant) and node.value in STATE_VALUES


def literal_states(tree: ast.AST) -> list[int]:
    """Lines where a state field is compared with, or given, a string literal."""
    lines = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Compare):
            operands = [node.left, *node.comparators]
            named = any(_name(o) in STATE_FIELDS for o in operands)
            if named and any(_state_literal(o) for o in operands):
                lines.append(node.lineno)
        elif (
            isinstance(node, ast.keyword)
            and node.arg in STATE_FIELDS
            and _state_literal(node.value)
        ):
            lines.append(node.value.lineno)
    return lines


def test_no_module_spells_a_state_as_a_string_literal() -> None:
    found = {}
    for path in ROOT.rglob("*.py"):
        if path.name == "states.py" or "simulator" in path.parts:
            continue  # the definitions; the simulator speaks the LMS's vocabulary
        lines = literal_states(ast.parse(path.read_text(encoding="utf-8")))
        if lines:
            found[str(path.relative_to(ROOT))] = lines
    assert found == {}


def test_the_guard_notices_a_literal() -> None:
    tree = ast.parse('if row.status == "active": run(outcome="held")')
    assert literal_states(tree) == [1, 1]


def test_states_compare_equal_to_their_stored_text() -> None:
    # The database, JSON and SQL fragments hold the values; the enums must equal them.
    assert Outcome.HELD == "held" and f"{MemberStatus.ACTIVE}" == "active"
    assert StatusFilter("all") is StatusFilter.ALL
