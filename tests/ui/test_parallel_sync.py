"""The window's "Sync all" runs several courses at once (the "Courses at once" setting), each
with its own badge and progress; the status bar counts running, waiting and done; Cancel stops
one course or all; closing the window leaves no sync thread behind."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator

import pytest
from conftest import add_course, wait_idle
from PySide6.QtCore import QPoint
from pytestqt.qtbot import QtBot

from rostergui.core.service import RosterService
from rostergui.core.states import Outcome
from rostergui.core.sync import SyncResult
from rostergui.simulator import Simulator
from rostergui.ui import settings as opts
from rostergui.ui.badges import ActivityState
from rostergui.ui.course_actions import course_menu
from rostergui.ui.main_window import MainWindow
from rostergui.ui.roles import COURSE_ROLE
from rostergui.ui.settings import Settings
from rostergui.ui.settings_dialog import SettingsDialog
from tests.test_sync_round import courses

NAMES = [f"Course {i}" for i in range(5)]


@pytest.fixture
def slow() -> Iterator[Simulator]:
    """Five courses of 2,000 members, 100 a page, 30 ms a page: about 0.6 s each."""
    with Simulator(courses=courses("c", 5, 2000), latency=0.03) as sim:
        yield sim


@pytest.fixture
def five(
    service: RosterService, slow: Simulator, make_window: Callable[..., MainWindow]
) -> MainWindow:
    for i, name in enumerate(NAMES):
        add_course(service, slow, f"c{i}", name)
    settings = Settings()
    settings.set(opts.SYNC_JOBS, 3)
    return make_window(settings)


def test_sync_all_runs_three_at_once_each_with_its_own_progress(
    qtbot: QtBot, five: MainWindow, slow: Simulator, service: RosterService
) -> None:
    window = five
    messages: list[str] = []
    window.sync.message.connect(messages.append)
    slow.reset_log()
    window.sync_all_action.trigger()
    assert window.sync.counts == (3, 2, 0)
    assert window.sync.running_names == NAMES[:3]
    qtbot.waitUntil(
        lambda: all(
            (a := window.course_model.activity(n)) is not None and a.pages >= 2 for n in NAMES[:3]
        ),
        timeout=10_000,
    )
    states = [window.course_model.activity(n) for n in NAMES]
    assert [s.state for s in states if s is not None][3:] == [ActivityState.QUEUED] * 2
    wait_idle(qtbot, window)
    assert 2 <= slow.in_flight.peak <= 3
    assert any("3 running, 2 waiting, 0 done" in m for m in messages)
    assert any("done" in m and "1 waiting" in m for m in messages)
    assert [r.outcome for r in window.sync.last_batch] == [Outcome.OK] * 5
    assert [len(service.members(n, status="all")) for n in NAMES] == [2000] * 5


def test_cancel_one_course_then_all(qtbot: QtBot, five: MainWindow) -> None:
    window = five
    results: list[SyncResult] = []
    window.sync.finished.connect(results.append)
    window.sync_all_action.trigger()
    qtbot.waitUntil(
        lambda: (a := window.course_model.activity("Course 1")) is not None and a.pages >= 2,
        timeout=10_000,
    )
    assert window.cancel_action.text().startswith("&Cancel all")  # Esc stops the round
    menu = course_menu(window, row_centre(window, "Course 1"))
    assert menu is not None
    (stop,) = [a for a in menu.actions() if a.text() == "Cancel sync of Course 1"]
    stop.trigger()  # the course list's menu stops that course alone
    wait_idle(qtbot, window)
    outcomes = {r.name: r.outcome for r in results}
    assert outcomes.pop("Course 1") is Outcome.CANCELLED
    assert set(outcomes.values()) == {Outcome.OK}

    results.clear()
    window.sync_all_action.trigger()
    qtbot.waitUntil(lambda: window.sync.counts[0] == 3, timeout=5_000)
    qtbot.waitUntil(
        lambda: (a := window.course_model.activity("Course 0")) is not None and a.pages >= 1,
        timeout=10_000,
    )
    window.cancel_action.trigger()  # Esc: every running course, and the waiting ones
    assert window.sync.counts[1] == 0
    wait_idle(qtbot, window)
    assert len(results) == 3  # the two waiting never started
    assert {r.outcome for r in results} <= {Outcome.CANCELLED, Outcome.OK}
    assert any(r.cancelled for r in results)


def row_centre(window: MainWindow, name: str) -> QPoint:
    """Where the course list shows ``name`` (viewport coordinates)."""
    model = window.course_view.model()
    for row in range(model.rowCount()):
        index = model.index(row, 0)
        course = index.data(COURSE_ROLE)
        if course is not None and course.name == name:
            return window.course_view.visualRect(index).center()
    raise AssertionError(f"{name} is not listed")


def test_closing_the_window_cancels_every_sync_and_leaves_no_thread(
    qtbot: QtBot, five: MainWindow
) -> None:
    window = five
    window.sync_all_action.trigger()
    qtbot.waitUntil(lambda: window.sync.counts[0] == 3, timeout=5_000)
    window.close()
    assert not window.runner.busy
    assert not [t for t in threading.enumerate() if t.name.startswith("sync ")]


def test_the_settings_dialog_sets_courses_at_once(qtbot: QtBot) -> None:
    settings = Settings()
    assert settings.sync_jobs == 4
    dialog = SettingsDialog(settings)
    qtbot.addWidget(dialog)
    assert dialog.jobs_spin.maximum() == 12
    dialog.jobs_spin.setValue(6)
    dialog.apply()
    assert settings.sync_jobs == 6
    settings.set(opts.SYNC_JOBS, 99)  # a hand-edited file: kept within the bounds
    assert settings.sync_jobs == 12


def test_a_refused_api_key_leaves_the_origins_waiting_courses_unstarted(
    qtbot: QtBot, five: MainWindow, slow: Simulator
) -> None:
    window = five
    results: list[SyncResult] = []
    window.sync.finished.connect(results.append)
    slow.api_key = "revoked"
    slow.reset_log()
    window.sync_all_action.trigger()
    wait_idle(qtbot, window)
    by_name = {r.name: r for r in results}
    assert sorted(by_name) == NAMES
    assert all(r.error_kind == "auth" for r in results)
    refusal = by_name["Course 0"].error
    assert by_name["Course 3"].error == by_name["Course 4"].error == f"Not synced: {refusal}"
    assert len(slow.requests) <= 3  # at most the three that had started, once each
