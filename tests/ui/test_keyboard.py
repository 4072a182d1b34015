"""Keyboard only: every toolbar action has a shortcut, shown in its tooltip and its menu; Tab
reaches every control of the main window and of each dialog; dialogs open with the focus in
their first field; and the focus is visible (3:1 against what it replaces) in the light and
the dark palette."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from conftest import add_course, wait_idle
from palettes import PALETTES
from PySide6.QtCore import Qt
from PySide6.QtGui import QAction, QColor, QImage, QKeySequence, QPalette
from PySide6.QtTest import QTest
from PySide6.QtWidgets import (
    QAbstractButton,
    QAbstractItemView,
    QAbstractSpinBox,
    QApplication,
    QComboBox,
    QDialog,
    QLineEdit,
    QMenu,
    QPushButton,
    QRadioButton,
    QSlider,
    QTabBar,
    QWidget,
)
from pytestqt.qtbot import QtBot

from rostergui.core.diff import DroppedMember
from rostergui.core.service import RosterService
from rostergui.core.states import Outcome
from rostergui.core.sync import SyncResult
from rostergui.simulator import Simulator
from rostergui.ui.contrast import LARGE_RATIO, ratio
from rostergui.ui.course_dialog import CourseDialog
from rostergui.ui.export_dialog import ExportDialog
from rostergui.ui.main_window import MainWindow
from rostergui.ui.mass_drop import MassDropDialog
from rostergui.ui.settings import Settings
from rostergui.ui.settings_dialog import SettingsDialog

INTERACTIVE = (
    QAbstractButton,
    QComboBox,
    QLineEdit,
    QAbstractItemView,
    QTabBar,
    QAbstractSpinBox,
    QSlider,
)


def tab_reachable(root: QWidget) -> list[QWidget]:
    """The controls Tab should reach: interactive, shown, enabled and taking Tab focus."""
    found = []
    for widget in root.findChildren(QWidget):
        if not isinstance(widget, INTERACTIVE) or widget.window() is not root:
            continue
        if not widget.isVisible() or not widget.isEnabled():
            continue
        if isinstance(widget.parentWidget(), QAbstractSpinBox | QComboBox):
            continue  # the text field inside a spin box: the box itself takes the focus
        if widget.focusPolicy() & Qt.FocusPolicy.TabFocus:
            found.append(widget)
    return found


def tab_walk(qtbot: QtBot, start: QWidget) -> list[QWidget]:
    """The focus chain as Tab walks it from ``start`` until it comes round again."""
    start.setFocus(Qt.FocusReason.TabFocusReason)
    qtbot.waitUntil(start.hasFocus, timeout=2000)
    visited: list[QWidget] = []
    stayed = 0
    for _ in range(300):
        focused = QApplication.focusWidget()
        assert focused is not None, "Tab lost the focus"
        if visited and focused is visited[-1]:
            # Tab moves within some controls first (the links of a label): not a trap
            # unless it never leaves.
            stayed += 1
            assert stayed < 20, f"Tab is trapped in {describe([focused])}"
        elif focused in visited:
            break
        else:
            stayed = 0
            visited.append(focused)
        QTest.keyClick(focused, Qt.Key.Key_Tab)
    return visited


def unreached(expected: list[QWidget], visited: list[QWidget]) -> list[QWidget]:
    """The controls Tab missed. Tab enters a set of radio buttons once and the arrows move
    between them, so one of the set reached counts for all of it."""
    missed = []
    for widget in expected:
        if widget in visited:
            continue
        if isinstance(widget, QRadioButton):
            group = widget.group()
            parent = widget.parentWidget()
            siblings = (
                group.buttons()
                if group is not None
                else parent.findChildren(QRadioButton)
                if parent is not None
                else []
            )
            if any(sibling in visited for sibling in siblings):
                continue
        missed.append(widget)
    return missed


def describe(widgets: list[QWidget]) -> str:
    return ", ".join(
        f"{type(w).__name__}({w.accessibleName() or w.objectName() or getattr(w, 'text', str)()})"
        for w in widgets
    )


def show_active(qtbot: QtBot, widget: QWidget) -> None:
    widget.show()
    widget.activateWindow()
    qtbot.waitExposed(widget)
    qtbot.waitUntil(lambda: QApplication.activeWindow() is widget, timeout=3000)


def test_every_toolbar_action_has_a_shortcut_in_its_tip_and_menu(
    bio_window: MainWindow,
) -> None:
    window = bio_window
    in_menus: list[QAction] = []
    for top in window.menuBar().actions():
        menu = top.menu()
        if isinstance(menu, QMenu):
            in_menus += menu.actions()
    toolbar_actions = [a for a in window.toolbar.actions() if not a.isSeparator()]
    assert len(toolbar_actions) >= 8
    for action in toolbar_actions:
        name = action.iconText()
        assert action.shortcuts(), f"{name} has no shortcut"
        keys = action.shortcuts()[0].toString(QKeySequence.SequenceFormat.NativeText)
        assert keys in action.toolTip(), f"{name}: the tooltip {action.toolTip()!r} lacks {keys}"
        assert action in in_menus, f"{name} is in no menu, where its shortcut would show"
        assert action.isShortcutVisibleInContextMenu() or action in in_menus


def test_tab_reaches_every_control_of_the_main_window(
    qtbot: QtBot, bio_window: MainWindow
) -> None:
    window = bio_window
    show_active(qtbot, window)
    expected = tab_reachable(window)
    assert len(expected) >= 5, describe(expected)
    visited = tab_walk(qtbot, window.course_view)
    missed = unreached(expected, visited)
    assert not missed, f"Tab never reaches: {describe(missed)}"
    # The member table hands Tab on instead of walking its cells (arrows move in it).
    assert window.member_panel.table in visited
    assert not window.member_panel.table.tabKeyNavigation()


def held_result() -> SyncResult:
    return SyncResult(
        name="Biology 101",
        outcome=Outcome.HELD,
        fetched=10,
        deactivated=110,
        active_count=120,
        would_deactivate=[DroppedMember("u1", "Ana", "ana@example.edu", "Learner")],
    )


DIALOGS = ("add-course", "settings", "export", "mass-drop")


def make_dialog(kind: str, window: MainWindow, service: RosterService) -> tuple[QDialog, QWidget]:
    """The dialog and the control that should have the focus when it opens."""
    if kind == "add-course":
        course = CourseDialog(service, window.runner, parent=window)
        return course, course.name_edit
    if kind == "settings":
        settings = SettingsDialog(Settings(), window)
        return settings, settings.schedule_combo
    if kind == "export":
        export = ExportDialog("Biology 101", 10, 20, parent=window)
        return export, export.view_radio
    drop = MassDropDialog(held_result(), window)
    return drop, drop.people


@pytest.mark.parametrize("kind", DIALOGS)
def test_dialogs_open_in_their_first_field_and_tab_reaches_all(
    qtbot: QtBot, make_window: object, service: RosterService, kind: str
) -> None:
    assert callable(make_window)
    window: MainWindow = make_window()
    dialog, first = make_dialog(kind, window, service)
    dialog.open()
    qtbot.waitExposed(dialog)
    qtbot.waitUntil(lambda: QApplication.activeWindow() is dialog, timeout=3000)
    assert QApplication.focusWidget() is first, describe([QApplication.focusWidget()])
    expected = tab_reachable(dialog)
    visited = tab_walk(qtbot, first)
    missed = unreached(expected, visited)
    assert not missed, f"Tab never reaches: {describe(missed)}"
    dialog.reject()


@pytest.fixture(params=["light", "dark"])
def palette(request: pytest.FixtureRequest, qapp: QApplication) -> Iterator[QPalette]:
    before = QApplication.palette()
    QApplication.setPalette(PALETTES[request.param]())
    yield QApplication.palette()
    QApplication.setPalette(before)


def focus_contrast(qtbot: QtBot, widget: QWidget, away: QWidget) -> float:
    """How strongly the focus shows on ``widget``: the highest contrast between a pixel with
    the focus and the same pixel without it."""
    away.setFocus()
    qtbot.waitUntil(away.hasFocus, timeout=2000)
    without = widget.grab().toImage().convertToFormat(QImage.Format.Format_RGB32)
    widget.setFocus(Qt.FocusReason.TabFocusReason)
    qtbot.waitUntil(widget.hasFocus, timeout=2000)
    with_focus = widget.grab().toImage().convertToFormat(QImage.Format.Format_RGB32)
    best = 1.0
    for y in range(0, with_focus.height(), 1):
        for x in range(0, with_focus.width(), 2):
            a, b = with_focus.pixel(x, y), without.pixel(x, y)
            if a != b:
                best = max(best, ratio(QColor(a), QColor(b)))
    return best


def test_focus_is_visible_in_both_palettes(
    qtbot: QtBot, palette: QPalette, bio_window: MainWindow
) -> None:
    window = bio_window
    show_active(qtbot, window)
    panel = window.member_panel
    away = window.course_view
    button = QPushButton("Try", panel)
    radio = QRadioButton("Either", panel)
    radio.move(0, 60)
    for extra in (button, radio):
        extra.show()
    for widget in (panel.filter_edit, panel.role_combo, button, radio, panel.table):
        shown = focus_contrast(qtbot, widget, away)
        assert shown >= LARGE_RATIO, f"{type(widget).__name__}: focus shows at {shown:.2f}:1"


@pytest.mark.parametrize("which", ["courses", "members"])
def test_lists_move_by_arrows_home_end_and_pages(
    qtbot: QtBot, bio_window: MainWindow, service: RosterService, sim: Simulator, which: str
) -> None:
    window = bio_window
    for slug, name in (("moodle-chem", "Chemistry"), ("bb-history", "History")):
        add_course(service, sim, slug, name)
    window.refresh_courses()
    qtbot.waitUntil(lambda: window.course_model.rowCount() >= 3, timeout=5000)
    wait_idle(qtbot, window)
    show_active(qtbot, window)
    view: QAbstractItemView = (
        window.course_view if which == "courses" else window.member_panel.table
    )
    model = view.model()
    assert model is not None
    view.setFocus(Qt.FocusReason.TabFocusReason)
    qtbot.waitUntil(view.hasFocus, timeout=2000)
    view.setCurrentIndex(model.index(0, 0))

    def row_after(key: Qt.Key) -> int:
        QTest.keyClick(view, key)
        return view.currentIndex().row()

    last = model.rowCount() - 1
    assert last >= 1
    assert row_after(Qt.Key.Key_Down) == 1
    assert row_after(Qt.Key.Key_End) == last
    assert row_after(Qt.Key.Key_Home) == 0
    assert row_after(Qt.Key.Key_PageDown) >= 1
    assert row_after(Qt.Key.Key_PageUp) == 0
    assert row_after(Qt.Key.Key_Up) == 0


def test_helpers_qt_adds_are_named_in_any_window(qtbot: QtBot) -> None:
    """A window built anywhere, knowing nothing of screen readers: the style names the clear
    button and the combo box's popup as they are polished."""
    from PySide6.QtWidgets import QToolButton, QVBoxLayout

    from rostergui.ui import focus_style

    focus_style.install()
    window = QWidget()
    qtbot.addWidget(window)
    search = QLineEdit(window)
    search.setAccessibleName("Search people")
    search.setClearButtonEnabled(True)
    combo = QComboBox(window)
    combo.setAccessibleName("Course")
    layout = QVBoxLayout(window)
    layout.addWidget(search)
    layout.addWidget(combo)
    window.show()
    qtbot.waitExposed(window)
    [clear] = search.findChildren(QToolButton)
    assert clear.accessibleName() == "Clear search people"
    assert combo.view().accessibleName() == "Course choices"
