"""The command line's presenter: how results are worded, line by line."""

from __future__ import annotations

import io

from rostergui.cli.output import Console, sync_lines, sync_summary
from rostergui.core.diff import DroppedMember
from rostergui.core.states import Outcome
from rostergui.core.sync import SyncResult


def synced(**values: object) -> SyncResult:
    result = SyncResult("Bio", outcome=Outcome.OK, pages=2, fetched=40, seconds=1.25)
    for key, value in values.items():
        setattr(result, key, value)
    return result


def test_a_sync_in_a_line() -> None:
    result = synced(added=3, deactivated=1, reactivated=2, updated=4, active_count=38)
    assert sync_summary(result) == (
        "Bio: 40 members on 2 pages; +3 added, −1 dropped, 2 returned, 4 updated; 38 active (1.2 s)"
    )
    assert sync_summary(synced(pages=1)).startswith("Bio: 40 members on 1 page;")


def test_failed_and_held_syncs() -> None:
    failed = SyncResult("Art", error="The roster service is not available")
    assert sync_summary(failed) == "Art: failed — The roster service is not available"
    dropping = [DroppedMember(str(i), f"P{i}", None, "Learner") for i in range(12)]
    held = synced(outcome=Outcome.HELD, deactivated=12, would_deactivate=dropping)
    lines = sync_lines(held)
    assert lines[0].startswith("Bio: held — 12 of the active members would be dropped")
    assert lines[1] == "    would drop: P0 (0)"
    assert lines[1:11] == [f"    would drop: P{i} ({i})" for i in range(10)]
    assert lines[11:] == ["    … and 2 more"]


def test_warnings_are_lines_of_their_own() -> None:
    """A warning is printed on its own line, not joined to the summary by a line break that
    the console would show escaped."""
    result = synced(warnings=["2 members were listed more than once", "another"])
    out = io.StringIO()
    console = Console(out, io.StringIO())
    for line in sync_lines(result):
        console.print(line)
    printed = out.getvalue().splitlines()
    assert printed[1:] == ["  warning: 2 members were listed more than once", "  warning: another"]
    assert "\\x0a" not in out.getvalue()
