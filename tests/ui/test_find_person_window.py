"""Find person in the window: Ctrl+Shift+F opens it without a modal loop, the index loads in
the background, results come as one types, and opening one selects the course and member."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import add_course, wait_idle
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot

from rostergui.core import errors
from rostergui.core.filtering import fold
from rostergui.core.service import RosterService
from rostergui.simulator import Simulator
from rostergui.ui.find_person import COLUMNS, FindPersonWindow
from rostergui.ui.main_window import MainWindow


def open_find_person(qtbot: QtBot, window: MainWindow) -> FindPersonWindow:
    assert window.dialogs.find_person_action.shortcut().toString() == "Ctrl+Shift+F"
    window.dialogs.find_person_action.trigger()
    found = window.dialogs.find_person_window
    assert found is not None
    assert found.isVisible() and not found.isModal()
    qtbot.waitUntil(lambda: found.index is not None, timeout=10_000)
    return found


def search(qtbot: QtBot, found: FindPersonWindow, text: str) -> None:
    found.search_box.setText(text)
    qtbot.waitUntil(lambda: found._shown_text == text and not found._searching, timeout=5000)


def test_find_person_across_courses_and_open_the_member(
    qtbot: QtBot, bio_window: MainWindow, service: RosterService, sim: Simulator
) -> None:
    window = bio_window
    add_course(service, sim, "moodle-chem", "Chimie")
    window.refresh_courses()
    qtbot.waitUntil(lambda: window.course_model.row_of("Chimie") >= 0)
    window.select_course("Chimie")
    window.sync_selected()
    wait_idle(qtbot, window)
    found = open_find_person(qtbot, window)
    # Someone in Biology: name words in any order, without the accents.
    member = next(
        m
        for m in service.members("Biology 101")
        if m.name and not m.name.isascii() and fold(m.name).isascii() and " " in m.name
    )
    first, *_rest, last = fold(member.name).split()
    search(qtbot, found, f"{last} {first}")
    model = found.model
    assert model.rowCount() >= 1
    courses = {model.result(r).course.course for r in range(model.rowCount())}
    assert "Biology 101" in courses
    assert model.headerData(3, Qt.Orientation.Horizontal) == COLUMNS[3]
    ids = [model.result(r).person.user_id for r in range(model.rowCount())]
    row = ids.index(member.user_id)
    assert "Biology 101" in model.index(row, 0).data(Qt.ItemDataRole.AccessibleTextRole)
    assert "found" in found.status.text()
    # Nobody: a clear line, no rows.
    search(qtbot, found, "zzzz-nobody")
    assert model.rowCount() == 0 and "Nobody matches" in found.status.text()
    # Opening a result selects the course (hidden by the list filter) and the member.
    search(qtbot, found, member.user_id)
    window.select_course("Chimie")
    window.course_panel.filter_box.setText("chimie")
    found.table.activated.emit(model.index(0, 3))
    assert window.selected_name() == "Biology 101"
    panel = window.member_panel
    qtbot.waitUntil(lambda: not panel.loading and bool(panel.table.selectionModel().selectedRows()))
    chosen = panel.table.selectionModel().selectedRows()[0].row()
    assert panel.model.member(chosen).user_id == member.user_id
    # Down in the search box goes to the results.
    found.search_box.setFocus()
    qtbot.keyClick(found.search_box, Qt.Key.Key_Down)
    assert found.table.currentIndex().row() == 0
    # Ctrl+Shift+F again raises the same window.
    window.dialogs.find_person_action.trigger()
    assert window.dialogs.find_person_window is found


def test_an_inactive_member_is_shown_by_widening_the_member_filters(
    qtbot: QtBot, bio_window: MainWindow, service: RosterService, sim: Simulator
) -> None:
    window = bio_window
    gone = sim.drop("canvas-bio", count=1)[0]
    window.sync_selected()
    wait_idle(qtbot, window)
    found = open_find_person(qtbot, window)
    search(qtbot, found, gone)
    assert found.model.result(0).course.status == "inactive"
    found._open_first()
    panel = window.member_panel
    qtbot.waitUntil(lambda: bool(panel.table.selectionModel().selectedRows()))
    chosen = panel.table.selectionModel().selectedRows()[0].row()
    assert panel.model.member(chosen).user_id == gone


def test_searching_keeps_the_gui_thread_free_and_the_index_follows_syncs(
    qtbot: QtBot, bio_window: MainWindow, sim: Simulator, tmp_path: Path
) -> None:
    window = bio_window
    found = open_find_person(qtbot, window)
    before = len(found.index or [])
    # Typing fast: every keystroke returns at once; only the newest text is shown.
    for text in ("a", "an", "ann", "anna", "an"):
        found.search_box.setText(text)
    qtbot.waitUntil(lambda: found._shown_text == "an" and not found._searching, timeout=5000)
    # A sync that adds people reloads the index while the window is open.
    sim.enroll("canvas-bio", count=5)
    window.sync_selected()
    wait_idle(qtbot, window)
    qtbot.waitUntil(lambda: len(found.index or []) == before + 5, timeout=10_000)
    found.close()
    assert QApplication.activeModalWidget() is None


def test_a_database_that_fails_is_said_under_the_table(
    qtbot: QtBot, bio_window: MainWindow, service: RosterService, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken() -> None:
        raise errors.StorageError("The database is locked by another program")

    monkeypatch.setattr(service, "people_index", broken)
    bio_window.dialogs.find_person()
    found = bio_window.dialogs.find_person_window
    assert found is not None
    qtbot.waitUntil(lambda: "Could not search" in found.status.text(), timeout=5000)
    assert "locked by another program" in found.status.text()
    assert found.index is None
