"""What a new admin meets first: filters that hide a roster, the failed-sync path, Esc, and
small or scaled screens."""

from __future__ import annotations

import csv
import json
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from conftest import add_course, wait_idle
from PySide6.QtCore import QItemSelectionModel, Qt
from PySide6.QtGui import QKeySequence
from PySide6.QtWidgets import QApplication, QPushButton, QToolButton
from pytestqt.qtbot import QtBot

from rostergui import APP_NAME
from rostergui.core.service import RosterService
from rostergui.simulator import Fault, Simulator
from rostergui.ui import course_actions, export_dialog, wording
from rostergui.ui.export_dialog import ExportChoice
from rostergui.ui.main_window import MainWindow
from rostergui.ui.message_bar import MessageBar
from rostergui.ui.roster_index import Column
from rostergui.ui.settings import Settings

MakeWindow = Callable[..., MainWindow]


def test_filters_that_hide_every_row_say_so_in_the_table(
    qtbot: QtBot, service: RosterService, sim: Simulator, bio_window: MainWindow
) -> None:
    window = bio_window
    panel = window.member_panel
    total = panel.model.rowCount()
    assert total > 0 and panel.stack.currentWidget() is panel.table

    panel.filter_edit.setText("zzqx")
    panel.flush_filters()
    assert panel.model.rowCount() == 0
    assert panel.filters_hide_all and panel.stack.currentWidget() is not panel.table
    assert "No members match “zzqx”" in panel.message.text()
    assert panel.message_button.text() == "Clear filters"
    panel.message_button.click()
    assert panel.filter_edit.text() == ""
    assert panel.model.rowCount() == total
    assert panel.stack.currentWidget() is panel.table

    # One member left the course: searching for them among the active ones says where they are.
    gone = sim.drop("canvas-bio", count=1)[0]
    window.sync_selected()
    wait_idle(qtbot, window)
    member = next(m for m in service.members("Biology 101", status="all") if m.user_id == gone)
    panel.filter_edit.setText(member.user_id)
    panel.flush_filters()
    assert panel.model.rowCount() == 0
    assert "1 inactive member matches" in panel.message.text()
    assert panel.message_button.text() == "Show inactive"
    panel.message_button.click()
    assert [panel.model.member(r).user_id for r in range(panel.model.rowCount())] == [gone]
    assert panel.current_filters().status == "all"
    assert panel.status_combo.currentText() == "All statuses"  # the filter that stays, visibly


def test_filter_text_stays_with_its_course_and_session(
    qtbot: QtBot, service: RosterService, sim: Simulator, make_window: MakeWindow
) -> None:
    add_course(service, sim, "canvas-bio", "Biology 101")
    add_course(service, sim, "bb-history", "History")
    window = make_window()
    window.select_course("Biology 101")
    panel = window.member_panel
    panel.filter_edit.setText("smith")
    panel.flush_filters()
    window.select_course("History")
    assert panel.filter_edit.text() == ""
    assert panel.current_filters().text == ""
    window.select_course("Biology 101")
    panel.filter_edit.setText("smith")
    window.close()
    Settings().sync()

    again = make_window()
    assert again.member_panel.filter_edit.text() == ""


def test_failed_sync_bar_offers_the_fix_and_the_list_has_a_menu(
    qtbot: QtBot, service: RosterService, sim: Simulator, make_window: MakeWindow
) -> None:
    add_course(service, sim, "canvas-bio", "Revoked")
    add_course(service, sim, "bb-history", "Flaky")
    service.secrets.set_course_secret(service.course("Revoked").uid, "service_key", "revoked")
    window = make_window()
    opened: list[str] = []
    window.course_actions.edit_course = lambda course: opened.append(course.name)  # type: ignore[method-assign]

    # A refused key: the bar's one button opens Edit course on that course.
    window.select_course("Revoked")
    window.sync_selected()
    wait_idle(qtbot, window)
    qtbot.waitUntil(lambda: "refused" in window.message_bar.text, timeout=5000)
    assert "re-add" not in window.message_bar.text
    assert [b.text() for b in window.message_bar.buttons] == ["Edit course…"]
    window.message_bar.buttons[0].click()
    assert opened == ["Revoked"]
    # The body agrees with the bar: no "Sync it to fetch its roster" under a failed first sync.
    panel = window.member_panel
    qtbot.waitUntil(lambda: not panel.loading, timeout=5000)
    assert "first sync failed" in panel.message.text()
    assert not panel.message_button.isVisibleTo(panel)

    # A server that keeps failing: the fix is to try again.
    sim.inject(Fault("server_error", course="bb-history", times=None))
    window.select_course("Flaky")
    window.sync_selected()
    wait_idle(qtbot, window)
    qtbot.waitUntil(lambda: "failed" in window.message_bar.text, timeout=5000)
    assert [b.text() for b in window.message_bar.buttons] == ["Try again"]
    sim.clear_faults()
    with qtbot.waitSignal(window.sync.finished, timeout=10_000) as finished:
        window.message_bar.buttons[0].click()
    assert finished.args[0].ok
    wait_idle(qtbot, window)
    qtbot.waitUntil(lambda: not window.message_bar.isVisible(), timeout=5000)

    # Edit course has a shortcut and a toolbar button; the course list has a context menu.
    assert QKeySequence("F2") in window.edit_action.shortcuts()
    assert window.edit_action in window.toolbar.actions()
    view = window.course_view
    rect = view.visualRect(window.course_model.index(window.course_model.row_of("Revoked")))
    assert view.contextMenuPolicy() == Qt.ContextMenuPolicy.CustomContextMenu
    menu = window.build_course_menu(rect.center())
    assert menu is not None and window.selected_name() == "Revoked"
    texts = [a.text().replace("&", "") for a in menu.actions() if not a.isSeparator()]
    assert texts == ["Sync now", "Edit course…", "History", "Export…", "Remove course…"]
    menu.close()


def test_escape_in_the_filter_box_clears_it_and_cancel_names_the_course(
    qtbot: QtBot, sim: Simulator, bio_window: MainWindow
) -> None:
    window = bio_window
    panel = window.member_panel
    sim.latency = 0.3
    window.sync_action.trigger()
    assert window.sync.busy
    assert "Biology 101" in window.cancel_action.text()
    assert "Biology 101" in window.cancel_action.toolTip()
    cancelled: list[bool] = []
    window.sync.finished.connect(lambda result: cancelled.append(result.cancelled))

    window.find_action.trigger()
    qtbot.keyClicks(panel.filter_edit, "smith")
    qtbot.keyClick(panel.filter_edit, Qt.Key.Key_Escape)
    assert panel.filter_edit.text() == ""
    assert window.sync.busy and not cancelled  # Esc cleared the filter, not the sync

    # With nothing left to clear, Esc reaches the window and stops the sync.
    with qtbot.waitSignal(window.sync.finished, timeout=10_000) as finished:
        qtbot.keyClick(panel.filter_edit, Qt.Key.Key_Escape)
    assert finished.args[0].cancelled
    wait_idle(qtbot, window)
    assert window.cancel_action.text().replace("&", "") == "Cancel sync"


def _visible_columns(window: MainWindow) -> set[Column]:
    table = window.member_panel.table
    header = table.horizontalHeader()
    width = table.viewport().width()
    shown = set()
    for column in Column:
        if header.isSectionHidden(column):
            continue
        left = header.sectionViewportPosition(column)
        if left >= 0 and left + min(header.sectionSize(column), 60) <= width:
            shown.add(column)
    return shown


def test_a_small_window_keeps_every_action_and_the_key_columns(
    qtbot: QtBot, bio_window: MainWindow
) -> None:
    window = bio_window
    window.resize(900, 600)
    qtbot.waitUntil(lambda: window.width() == 900 and window.height() == 600, timeout=3000)
    assert window.minimumSizeHint().width() <= 900
    toolbar = window.toolbar
    extension = toolbar.findChild(QToolButton, "qt_toolbar_ext_button")
    overflow = extension is not None and extension.isVisible()
    for action in toolbar.actions():
        if action.isSeparator():
            continue
        button = toolbar.widgetForAction(action)
        on_bar = button is not None and button.isVisible()
        inside = button is not None and button.geometry().right() <= toolbar.width()
        assert (on_bar and inside) or overflow, action.text()
    assert {Column.NAME, Column.ROLE, Column.STATUS} <= _visible_columns(window)


_SCALED_DRIVER = """
import json, sys
from PySide6.QtCore import QRect
from PySide6.QtWidgets import QApplication
from rostergui.ui.main_window import MainWindow
from rostergui.ui.settings import Settings

app = QApplication(sys.argv[:1])
available = app.primaryScreen().availableGeometry()
first = MainWindow()
first.show()
app.processEvents()
seen = {"available": available.getRect(), "first": first.geometry().getRect()}
# A geometry saved on a larger screen or at another scale.
first.setGeometry(QRect(-300, -200, 2560, 1600))
first.save_state()
first.close()
again = MainWindow(settings=Settings())
again.show()
app.processEvents()
seen["restored"] = again.geometry().getRect()
print(json.dumps(seen))
"""


@pytest.mark.parametrize(("scale", "screen"), [(2, (1600, 1000)), (1, (900, 600))])
def test_first_and_restored_geometry_fit_the_screen(
    tmp_path: Path, scale: int, screen: tuple[int, int]
) -> None:
    config = tmp_path / "screens.json"
    config.write_text(
        json.dumps(
            {
                "screens": [
                    {
                        "name": "test",
                        "x": 0,
                        "y": 0,
                        "width": screen[0],
                        "height": screen[1],
                        "logicalDpi": 96,
                        "logicalBaseDpi": 96,
                        "dpr": 1,
                    }
                ]
            }
        )
    )
    env = dict(
        os.environ,
        QT_QPA_PLATFORM=f"offscreen:configfile={config}",
        QT_SCALE_FACTOR=str(scale),
        XDG_CONFIG_HOME=str(tmp_path / "config"),
        LANG="C.UTF-8",
    )
    done = subprocess.run(
        [sys.executable, "-c", _SCALED_DRIVER],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    seen = json.loads(done.stdout.strip().splitlines()[-1])
    ax, ay, aw, ah = seen["available"]
    assert (aw, ah) == (screen[0] // scale, screen[1] // scale)
    for key in ("first", "restored"):
        x, y, w, h = seen[key]
        assert ax <= x and x + w <= ax + aw, (key, seen)
        assert ay < y and y + h <= ay + ah, (key, seen)  # room for the title bar above


def test_about_names_the_keyring_and_the_title_does_not_repeat_the_product(
    qtbot: QtBot, bio_window: MainWindow
) -> None:
    window = bio_window
    box = course_actions.show_about(window, window.service)
    text = box.informativeText()
    assert "Keyring: in memory only" in text
    assert "rostergui.core.secrets" not in text
    box.close()
    assert wording.keyring_name("keyring.backends.SecretService.Keyring") == (
        "GNOME Keyring (Secret Service)"
    )
    assert wording.keyring_name("keyring.backends.Windows.WinVaultKeyring") == (
        "Windows Credential Manager"
    )
    assert wording.keyring_name("acme.vault.Safe (cannot be loaded)") == (
        "Safe (acme.vault) (cannot be loaded)"
    )
    # The platform appends the application's display name; the title itself names the course.
    assert window.windowTitle() == "Biology 101"
    demo = MainWindow(title_note="demo (simulated LTIAAS)")
    qtbot.addWidget(demo)
    assert APP_NAME not in demo.windowTitle() and "demo" in demo.windowTitle()


def test_export_selection_writes_the_selected_members(
    qtbot: QtBot, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, bio_window: MainWindow
) -> None:
    window = bio_window
    table = window.member_panel.table
    table.selectRow(0)
    table.selectionModel().select(
        window.member_panel.model.index(2, 0),
        QItemSelectionModel.SelectionFlag.Select | QItemSelectionModel.SelectionFlag.Rows,
    )
    chosen = [m.user_id for m in table.selected_members()]
    assert len(chosen) == 2
    target = tmp_path / "selection.csv"
    asked: list[tuple[int, bool]] = []

    def ask(*args: Any, selected: bool = False) -> None:
        asked.append((args[2], selected))
        args[-1](ExportChoice(target, whole_course=False))

    monkeypatch.setattr(export_dialog, "ask_export", ask)
    table.export_selection_action.trigger()
    qtbot.waitUntil(target.exists, timeout=5000)
    wait_idle(qtbot, window)
    assert asked == [(2, True)]
    with target.open(encoding="utf-8-sig", newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert len(rows) == 2


def test_history_of_a_new_course_is_one_line(
    qtbot: QtBot, service: RosterService, sim: Simulator, make_window: MakeWindow
) -> None:
    add_course(service, sim, "canvas-bio", "Biology 101")
    window = make_window()
    window.history_action.trigger()
    history = window.history_panel
    qtbot.waitUntil(lambda: history.runs_label.text() == "No syncs yet.", timeout=5000)
    assert not history.runs_view.isVisibleTo(history)
    assert not history.changes_label.isVisibleTo(history)
    window.sync_selected()
    wait_idle(qtbot, window)
    qtbot.waitUntil(lambda: history.runs_model.rowCount() == 1, timeout=5000)
    assert history.runs_view.isVisibleTo(history) and history.changes_label.isVisibleTo(history)


def test_a_first_sync_shows_its_progress_in_the_roster_pane(
    qtbot: QtBot, service: RosterService, sim: Simulator, make_window: MakeWindow
) -> None:
    add_course(service, sim, "canvas-bio", "Biology 101")
    window = make_window()
    panel = window.member_panel
    qtbot.waitUntil(lambda: "Sync it to fetch" in panel.message.text(), timeout=5000)
    sim.latency = 0.2
    window.sync_selected()
    qtbot.waitUntil(lambda: "page" in panel.message.text(), timeout=10_000)
    assert "Fetching the roster" in panel.message.text() and "member" in panel.message.text()
    assert not panel.message_button.isVisibleTo(panel)
    wait_idle(qtbot, window)
    qtbot.waitUntil(lambda: panel.stack.currentWidget() is panel.table, timeout=5000)


def test_columns_fit_their_content_and_spare_width_goes_to_name_and_email(
    qtbot: QtBot, bio_window: MainWindow
) -> None:
    window = bio_window
    table = window.member_panel.table
    header = table.horizontalHeader()
    window.resize(header.length() + 800, 800)
    qtbot.waitUntil(lambda: table.viewport().width() > header.length() - 100, timeout=3000)
    assert not header.stretchLastSection()
    # Fitted to the content shown on first show: no column cuts its first rows short.
    for column in (Column.USER_ID, Column.ROLE, Column.STATUS, Column.LAST_SEEN):
        assert header.sectionSize(column) >= table.sizeHintForColumn(column), column
    # Spare width went to name and e-mail; "Last seen" stays as wide as its content.
    assert header.sectionSize(Column.LAST_SEEN) <= max(
        table.sizeHintForColumn(Column.LAST_SEEN), header.sectionSizeHint(Column.LAST_SEEN)
    ) + 4
    assert header.length() >= table.viewport().width() - 2
    assert header.sectionSize(Column.NAME) > table.sizeHintForColumn(Column.NAME)


def test_the_message_bar_shows_only_its_current_buttons(qtbot: QtBot) -> None:
    bar = MessageBar()
    qtbot.addWidget(bar)
    bar.show()
    bar.show_message("one", actions=[("Try again", lambda: None), ("Edit course…", lambda: None)])
    bar.show_message("two", actions=[("Edit course…", lambda: None)])
    # Posted events run (the new button shows) but deferred deletions wait for the event
    # loop, as in a script that renders the window: the replaced buttons are gone already.
    QApplication.processEvents()
    shown = [b.text() for b in bar.findChildren(QPushButton) if b.isVisible()]
    assert shown == ["Edit course…"]
