"""Read one application's accessibility tree over AT-SPI, as a screen reader does.

Runs under the system Python (``/usr/bin/python3``), where Debian's ``python3-pyatspi`` lives;
the project's virtual environment does not have it. Called by ``test_accessibility_atspi``::

    /usr/bin/python3 tests/ui/atspi_reader.py PID "WINDOW TITLE"
    /usr/bin/python3 tests/ui/atspi_reader.py --listen SECONDS

It waits (up to ``--wait`` seconds) until process PID shows a top-level window with that title
(the platform may add the application's name to it) on the accessibility bus, then prints one
JSON object: every interactive control in that window (role, name, description, where it is,
its states), and for each table, list and tree the text of its first rows' cells. Tables are
read through their table interface, a few rows only: walking every cell of a 100,000-row
roster over D-Bus would take minutes.

With ``--listen`` it prints ``LISTENING`` once it is registered for announcements
(``object:announcement``, what Qt sends for ``QAccessibleAnnouncementEvent``), then the first
one any application makes, as JSON.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from typing import Any

import pyatspi

#: The roles a user operates, by their AT-SPI role names (what Orca announces).
INTERACTIVE = {
    "push button",
    "toggle button",
    "check box",
    "radio button",
    "combo box",
    "text",
    "entry",
    "password text",
    "list",
    "list box",
    "table",
    "tree",
    "tree table",
    "page tab",
    "menu item",
    "check menu item",
    "radio menu item",
    "menu",
    "spin button",
    "slider",
}
#: Roles whose children are rows and cells: read a few through the table interface.
ITEM_VIEWS = {"list", "list box", "table", "tree", "tree table"}
SAMPLE_ROWS = 3
SAMPLE_ITEMS = 5


def find_window(pid: int, title: str) -> Any | None:
    desktop = pyatspi.Registry.getDesktop(0)
    for app in desktop:
        if app is None:
            continue
        try:
            if app.get_process_id() != pid:
                continue
        except Exception:  # an application that left the bus meanwhile
            continue
        for window in app:
            # The platform adds the application's name to a window's title: " — RosterSync".
            if window is not None and (window.name or "").startswith(title):
                return window
    return None


def state_of(node: Any) -> set[str]:
    states = node.getState()
    return {
        name
        for name, state in (
            ("showing", pyatspi.STATE_SHOWING),
            ("editable", pyatspi.STATE_EDITABLE),
            ("focusable", pyatspi.STATE_FOCUSABLE),
            ("enabled", pyatspi.STATE_ENABLED),
        )
        if states.contains(state)
    }


def _text(node: Any | None) -> dict[str, str]:
    if node is None:
        return {"name": "", "description": ""}
    return {"name": node.name or "", "description": node.description or ""}


def sample_rows(node: Any) -> list[list[dict[str, str]]]:
    """The name and description of the first rows' cells (a table), or of the first items
    (a list)."""
    try:
        table = node.queryTable()
    except NotImplementedError:
        table = None
    if table is not None and table.nColumns > 0:
        return [
            [_text(table.getAccessibleAt(row, column)) for column in range(table.nColumns)]
            for row in range(min(table.nRows, SAMPLE_ROWS))
        ]
    return [[_text(node[index])] for index in range(min(node.childCount, SAMPLE_ITEMS))]


def walk(window: Any) -> dict[str, Any]:
    controls: list[dict[str, Any]] = []
    views: list[dict[str, Any]] = []
    stack: list[tuple[Any, str]] = [(window, window.getRoleName())]
    while stack:
        node, path = stack.pop()
        role = node.getRoleName()
        if role in INTERACTIVE:
            controls.append(
                {
                    "role": role,
                    "name": node.name or "",
                    "description": node.description or "",
                    "path": path,
                    "states": sorted(state_of(node)),
                }
            )
        if role in ITEM_VIEWS:
            views.append({"role": role, "name": node.name or "", "rows": sample_rows(node)})
            continue
        children = [node[i] for i in range(node.childCount)]
        for child in reversed(children):
            if child is not None:
                label = child.name or "?"
                stack.append((child, f"{path} > {child.getRoleName()} '{label}'"))
    return {"title": window.name, "controls": controls, "views": views}


def listen(seconds: float) -> int:
    """Print ``LISTENING``, then the announcements made by any application within
    ``seconds`` (stopping at the first), as JSON."""
    from gi.repository import GLib

    heard: list[dict[str, str]] = []

    def on_event(event: Any) -> None:
        heard.append({"type": str(event.type), "text": str(event.any_data or "")})
        pyatspi.Registry.stop()

    def ready() -> bool:
        print("LISTENING", flush=True)
        return False

    pyatspi.Registry.registerEventListener(on_event, "object:announcement")
    GLib.timeout_add(int(seconds * 1000), pyatspi.Registry.stop)
    GLib.idle_add(ready)
    pyatspi.Registry.start()
    print(json.dumps(heard))
    return 0


def main() -> int:
    if sys.argv[1:2] == ["--listen"]:
        return listen(float(sys.argv[2]))
    parser = argparse.ArgumentParser()
    parser.add_argument("pid", type=int)
    parser.add_argument("title")
    parser.add_argument("--wait", type=float, default=15.0)
    args = parser.parse_args()
    deadline = time.monotonic() + args.wait
    window = find_window(args.pid, args.title)
    while window is None and time.monotonic() < deadline:
        time.sleep(0.2)
        window = find_window(args.pid, args.title)
    if window is None:
        print(json.dumps({"error": f"no window {args.title!r} of process {args.pid}"}))
        return 1
    print(json.dumps(walk(window)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
