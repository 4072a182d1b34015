"""The shape of the package: no import cycles between its modules, and no module too long.

Only imports that run when a module is loaded count: those at module level, in a class body,
or in an ``if``/``try``/``with`` block at module level. Imports inside functions are deferred
on purpose (the window starts before the core is imported) and those under
``if TYPE_CHECKING:`` never run.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import rostergui

PACKAGE = Path(rostergui.__file__).parent
ROOT = PACKAGE.parent

#: Known cycles between modules (each as the set of its modules, with who removes it). A cycle
#: found that is not exactly one of these fails the test. Empty: keep it so.
KNOWN_CYCLES: dict[frozenset[str], str] = {}

#: Modules allowed to be longer than :data:`MAX_LINES` while they are being split. Empty: keep
#: it so.
LONG_MODULES_BEING_SPLIT: set[str] = set()
MAX_LINES = 500


def module_files() -> dict[str, Path]:
    """Every module of the package by dotted name (a package by its ``__init__``)."""
    modules: dict[str, Path] = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        parts = list(path.relative_to(ROOT).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        modules[".".join(parts)] = path
    return modules


def _type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def load_time_imports(body: list[ast.stmt]) -> Iterator[ast.Import | ast.ImportFrom]:
    """The import statements that run when a module with this body is loaded."""
    for node in body:
        if isinstance(node, ast.Import | ast.ImportFrom):
            yield node
        elif isinstance(node, ast.If):
            if not _type_checking(node.test):
                yield from load_time_imports(node.body)
            yield from load_time_imports(node.orelse)
        elif isinstance(node, ast.Try):
            for block in (node.body, node.orelse, node.finalbody):
                yield from load_time_imports(block)
            for handler in node.handlers:
                yield from load_time_imports(handler.body)
        elif isinstance(node, ast.With | ast.ClassDef):
            yield from load_time_imports(node.body)


def _known(name: str, modules: dict[str, Path]) -> str | None:
    """``name`` if it is one of ours, else the nearest enclosing package of ours, if any."""
    while name:
        if name in modules:
            return name
        name = name.rpartition(".")[0]
    return None


def imports_of(name: str, path: Path, modules: dict[str, Path]) -> set[str]:
    """The package's modules that ``name`` imports when loaded."""
    tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found: set[str] = set()
    for node in load_time_imports(tree.body):
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        else:
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - (node.level - 1)]
                base = ".".join([*anchor, base] if base else anchor)
            # ``from pkg import mod`` loads pkg.mod; ``from pkg import name`` loads pkg.
            targets = [
                f"{base}.{alias.name}" if f"{base}.{alias.name}" in modules else base
                for alias in node.names
            ]
        found.update(t for t in (_known(target, modules) for target in targets) if t)
    found.discard(name)
    return found


def import_graph() -> dict[str, set[str]]:
    modules = module_files()
    return {name: imports_of(name, path, modules) for name, path in modules.items()}


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components with more than one module (Tarjan), sorted."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for nxt in sorted(graph.get(node, ())):
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return sorted(found)


def one_cycle(graph: dict[str, set[str]], component: list[str]) -> list[str]:
    """A shortest path from the component's first module back to itself, to print."""
    members, start = set(component), component[0]
    paths = {start: [start]}
    queue = [start]
    while queue:
        node = queue.pop(0)
        for nxt in sorted(graph[node] & members):
            if nxt == start:
                return [*paths[node], start]
            if nxt not in paths:
                paths[nxt] = [*paths[node], nxt]
                queue.append(nxt)
    return component


def test_no_import_cycles() -> None:
    graph = import_graph()
    unknown = [c for c in cycles(graph) if frozenset(c) not in KNOWN_CYCLES]
    shown = "\n".join(" → ".join(one_cycle(graph, c)) for c in unknown)
    assert not unknown, f"import cycles between modules of the package:\n{shown}"


def test_the_cycle_finder_finds_cycles() -> None:
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}, "e": set()}
    assert cycles(graph) == [["a", "b", "c"]]
    assert one_cycle(graph, ["a", "b", "c"]) == ["a", "b", "c", "a"]


def test_imports_that_count(tmp_path: Path) -> None:
    """Deferred and type-checking imports do not count; class bodies and try blocks do."""
    source = """
from typing import TYPE_CHECKING
import rostergui.core.errors
from rostergui.core import states
from rostergui.cli import output as out
if TYPE_CHECKING:
    from rostergui.core.service import RosterService
else:
    from rostergui.core import paths
try:
    from rostergui.core import redact
except ImportError:
    from rostergui import demo
class X:
    from rostergui.core import roles
def f():
    from rostergui.core import sync
"""
    path = tmp_path / "probe.py"
    path.write_text(source, encoding="utf-8")
    found = imports_of("rostergui.probe", path, module_files())
    assert found == {
        "rostergui.core.errors",
        "rostergui.core.states",
        "rostergui.cli.output",
        "rostergui.core.paths",
        "rostergui.core.redact",
        "rostergui.demo",
        "rostergui.core.roles",
    }


def every_import(path: Path, modules: dict[str, Path]) -> set[str]:
    """The package's modules a file imports anywhere: in functions and for type checking too."""
    tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            names.update(f"{node.module}.{alias.name}" for alias in node.names)
            names.add(node.module)
    return {m for m in (_known(n, modules) for n in names) if m}


#: Who may not import whom, at all (not even inside a function or for type checking): the core,
#: the simulator and the demo know no front end, and the window does not know the command line.
#: The two front ends meet in ``RosterService``; the command line only starts the window.
FORBIDDEN = {
    "rostergui.core": ("rostergui.cli", "rostergui.ui"),
    "rostergui.simulator": ("rostergui.cli", "rostergui.ui"),
    "rostergui.demo": ("rostergui.cli", "rostergui.ui"),
    "rostergui.ui": ("rostergui.cli",),
}


def test_layers_import_only_downwards() -> None:
    modules = module_files()
    wrong = {
        name: sorted(t for t in every_import(path, modules) if t.startswith(forbidden))
        for name, path in modules.items()
        for layer, forbidden in FORBIDDEN.items()
        if name == layer or name.startswith(layer + ".")
    }
    assert not {name: found for name, found in wrong.items() if found}


def test_no_module_is_too_long() -> None:
    too_long = {
        str(path.relative_to(ROOT).as_posix()): count
        for path in PACKAGE.rglob("*.py")
        if (count := len(path.read_text(encoding="utf-8").splitlines())) > MAX_LINES
    }
    unexpected = {p: n for p, n in too_long.items() if p not in LONG_MODULES_BEING_SPLIT}
    assert not unexpected, f"modules over {MAX_LINES} lines: {unexpected}"
