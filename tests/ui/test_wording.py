"""What the window says about syncs and courses (Qt-free)."""

from __future__ import annotations

import ast
from dataclasses import replace
from datetime import timedelta
from pathlib import Path

import pytest
from test_badges import NOW, course

from rostergui.core.states import Outcome
from rostergui.core.sync import SyncResult
from rostergui.ui import wording
from rostergui.ui.badges import Tone
from rostergui.ui.wording import BarAction


def result(outcome: Outcome = Outcome.OK, **fields: object) -> SyncResult:
    return SyncResult(name="Bio", outcome=outcome, **fields)  # type: ignore[arg-type]


def test_the_module_needs_no_qt() -> None:
    tree = ast.parse(Path(wording.__file__).read_text(encoding="utf-8"))
    imported = {
        node.module or "" for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)
    } | {
        alias.name
        for node in ast.walk(tree)
        if isinstance(node, ast.Import)
        for alias in node.names
    }
    assert not any(name.startswith("PySide6") for name in imported)


def test_a_good_result() -> None:
    line = wording.describe_result(
        result(added=1200, deactivated=3, reactivated=2, updated=0, active_count=1500)
    )
    assert line == "Bio: +1,200 added, −3 dropped, 2 returned · 1,500 active"
    line = wording.describe_result(result(updated=4, warnings=["u1 was listed twice."]))
    assert ", 4 updated · 0 active — u1 was listed twice." in line


@pytest.mark.parametrize(
    ("outcome", "fields", "text"),
    [
        (Outcome.CANCELLED, {}, "Bio: cancelled; the stored roster was left as it was."),
        (
            Outcome.HELD,
            {"deactivated": 90, "active_count": 100},
            "Bio: held — 90 of 100 active members would be dropped; nothing was changed.",
        ),
        (Outcome.FAILED, {"error": "LTIAAS refused"}, "Bio: sync failed — LTIAAS refused"),
    ],
)
def test_results_that_changed_nothing(
    outcome: Outcome, fields: dict[str, object], text: str
) -> None:
    assert wording.describe_result(result(outcome, **fields)) == text


def test_batch_summary() -> None:
    one = result(added=1)
    assert wording.batch_summary([one]) == wording.describe_result(one)
    many = [result(), result(), result(Outcome.FAILED), result(Outcome.HELD)]
    many.append(result(Outcome.CANCELLED))
    assert wording.batch_summary(many) == (
        "1 failed: Bio — 2 synced, 1 held for confirmation, 1 cancelled."
    )
    named = [replace(result(Outcome.FAILED), name=n) for n in ("A", "B", "C", "D")]
    assert wording.batch_summary([*named, result()]) == "4 failed: A, B, C, … — 1 synced."
    assert wording.batch_summary([result(), result()]) == "Synced 2 courses: 2 synced."


def test_message_bar_rules_in_order() -> None:
    assert wording.course_message(None, None, NOW) is None
    assert wording.course_message(course(last_status="ok"), None, NOW) is None

    held = result(Outcome.HELD, fetched=10, deactivated=90, active_count=100)
    failed = course(last_status="failed", last_error="<refused> & gone", archived_at=NOW)
    message = wording.course_message(failed, held, NOW)
    assert message is not None and message.action is BarAction.REVIEW
    assert message.tone is Tone.HELD and "sent 10 members and 90 of 100" in message.text

    message = wording.course_message(failed, None, NOW)  # removed beats failed
    assert message is not None and message.tone is Tone.MUTED and message.action is None

    message = wording.course_message(course(last_status="failed", last_error="<x> & y"), None, NOW)
    assert message is not None  # the kind was not seen in this session: either may fix it
    assert message.actions == (BarAction.TRY_AGAIN, BarAction.EDIT)
    assert "&lt;x&gt; &amp; y" in message.text and "No roster has been stored yet." in message.text

    synced = course(last_status="failed", last_error=None, last_synced_at=NOW - timedelta(hours=2))
    message = wording.course_message(synced, None, NOW)
    assert message is not None
    assert "No reason was recorded." in message.text
    assert "from the last good sync (synced 2 h ago)" in message.text

    message = wording.course_message(course(roster_available=False), None, NOW)
    assert message is not None and message.tone is Tone.HELD
    assert message.actions == (BarAction.EDIT,)
    assert "Names and Roles" in message.text and "add the course again" not in message.text


@pytest.mark.parametrize(
    ("kind", "actions"),
    [
        ("auth", (BarAction.EDIT,)),
        ("secret_missing", (BarAction.EDIT,)),
        ("no_keyring", (BarAction.EDIT,)),
        ("unreachable", (BarAction.TRY_AGAIN,)),
        ("timeout", (BarAction.TRY_AGAIN,)),
        ("upstream", (BarAction.TRY_AGAIN,)),
        ("rate_limited", (BarAction.TRY_AGAIN,)),
    ],
)
def test_failed_sync_offers_the_fix_for_its_kind(
    kind: str, actions: tuple[BarAction, ...]
) -> None:
    failed = course(last_status="failed", last_error="It failed.")
    message = wording.course_message(failed, None, NOW, kind)
    assert message is not None and message.actions == actions


def test_an_empty_roster_page_agrees_with_the_course_state() -> None:
    text, button = wording.empty_roster(course(last_status="failed"))
    assert "first sync failed" in text and not button
    text, button = wording.empty_roster(course())
    assert "Sync it to fetch its roster" in text and button


def test_other_lines() -> None:
    assert wording.kept_everyone("Bio").startswith("Bio: kept everyone; nothing was changed.")
    assert wording.schedule_changed(0) == "Scheduled syncs are off."
    assert "every 15 minutes" in wording.schedule_changed(15)
    assert wording.notice("x") == wording.BarMessage("x", Tone.FAILED, BarAction.DISMISS)
