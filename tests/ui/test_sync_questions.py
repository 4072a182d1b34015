"""A question asked in the middle of the sync queue does not let the queue run over it.

The mass-drop question used to run a nested event loop (``exec()``). While it waited, the
schedule timer could start "Sync all", which took the held course off the review list and
synced it again; confirming then queued the same course a second time. Now the question opens
window-modal, the course counts as pending while it is open, and the answer arrives by a
callback.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

import pytest
from conftest import wait_idle
from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot

from rostergui.core.service import RosterService
from rostergui.simulator import Simulator
from rostergui.ui import mass_drop
from rostergui.ui.main_window import MainWindow
from rostergui.ui.mass_drop import MassDropDialog

COURSE = "Biology 101"


def active_and_runs(service: RosterService) -> tuple[int, int]:
    """The course's active members and its runs so far, to compare with after a sync."""
    return len(service.members(COURSE, status="active")), len(service.history(COURSE))


def open_question() -> MassDropDialog | None:
    for widget in QApplication.topLevelWidgets():
        if isinstance(widget, MassDropDialog) and widget.isVisible():
            return widget
    return None


def test_scheduled_sync_all_while_the_mass_drop_question_is_open(
    qtbot: QtBot, service: RosterService, sim: Simulator, bio_window: MainWindow
) -> None:
    window = bio_window
    before, runs_before = active_and_runs(service)
    sim.drop("canvas-bio", count=100)
    started: list[str] = []
    window.sync.started.connect(started.append)
    steps: list[str] = []
    pending_while_asked: list[bool] = []

    def drive() -> None:
        # Runs from the event loop, whichever loop is running: the window's, or one nested in
        # the question.
        dialog = open_question()
        if dialog is None:
            return
        if not steps:
            steps.append("asked")
            started.clear()
            # The schedule fires while the admin reads the list.
            window.schedule_timer.timeout.emit()
            pending_while_asked.append(window.sync.is_pending(COURSE))
        elif steps == ["asked"]:
            steps.append("confirmed")
            driver.stop()
            dialog.apply_button.click()

    driver = QTimer()
    driver.timeout.connect(drive)
    driver.start(20)
    try:
        window.sync_action.trigger()  # held: would drop 100 of 120
        qtbot.waitUntil(lambda: steps == ["asked", "confirmed"], timeout=20_000)
    finally:
        driver.stop()
    wait_idle(qtbot, window)

    # Only the confirmed sync ran after the question opened: the schedule left the course
    # alone, and confirming queued it once.
    assert started == [COURSE]
    assert pending_while_asked == [True]
    history = service.history(COURSE)  # newest first
    assert len(history) == runs_before + 2  # the held sync and the confirmed one
    confirmed, held = history[0], history[1]
    assert (held.outcome, held.trigger) == ("held", "manual")
    assert (confirmed.outcome, confirmed.trigger) == ("ok", "manual")
    assert len(service.members(COURSE, status="active")) == before - confirmed.deactivated
    assert COURSE not in window.sync.held
    assert not window.sync.asking


def test_a_notice_stays_until_dismissed(qtbot: QtBot, bio_window: MainWindow) -> None:
    window = bio_window
    assert not window.message_bar.isVisible()
    window.show_notice("RosterSync ended unexpectedly last time.")
    assert "ended unexpectedly" in window.message_bar.text
    window.select_course(COURSE)
    assert "ended unexpectedly" in window.message_bar.text
    assert [b.text() for b in window.message_bar.buttons] == ["Dismiss"]
    window.message_bar.buttons[0].click()
    assert not window.message_bar.isVisible()


def test_closing_during_a_sync_cancels_it_and_waits(
    qtbot: QtBot, service: RosterService, sim: Simulator, bio_window: MainWindow
) -> None:
    window = bio_window
    before, runs_before = active_and_runs(service)
    sim.enroll("canvas-bio", count=10)
    sim.latency = 0.3  # three pages: the sync is still fetching when the window closes
    window.sync_action.trigger()
    qtbot.waitUntil(lambda: window.sync.current_name == COURSE, timeout=5000)
    started = time.monotonic()
    window.close()
    assert time.monotonic() - started < 5  # bounded: cancelled between pages, not waited out
    assert not window.runner.busy
    assert not any(t.name == f"sync {COURSE}" for t in threading.enumerate())
    history = service.history(COURSE)
    assert len(history) == runs_before + 1 and history[0].outcome == "cancelled"
    assert len(service.members(COURSE, status="active")) == before


def test_an_open_question_is_asked_once_and_answered_once(
    qtbot: QtBot,
    service: RosterService,
    sim: Simulator,
    bio_window: MainWindow,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    window = bio_window
    sim.drop("canvas-bio", count=100)
    answers: list[Callable[[bool], None]] = []
    monkeypatch.setattr(mass_drop, "ask_mass_drop", lambda _p, _r, answer: answers.append(answer))
    window.sync_action.trigger()
    qtbot.waitUntil(lambda: bool(answers), timeout=10_000)
    wait_idle(qtbot, window)
    sync = window.sync
    assert sync.asking == {COURSE} and sync.is_pending(COURSE) and not sync.busy
    assert not window.sync_action.isEnabled() and not window.remove_action.isEnabled()
    assert sync.review(COURSE) is False  # no second question
    assert sync.sync(COURSE) is False
    assert sync.sync_all([COURSE]) == 0
    assert len(answers) == 1

    started: list[str] = []
    sync.started.connect(started.append)
    answers[0](True)
    answers[0](True)  # a second answer changes nothing
    wait_idle(qtbot, window)
    assert started == [COURSE]
    assert service.history(COURSE)[0].outcome == "ok"
    assert not sync.asking and COURSE not in sync.held
