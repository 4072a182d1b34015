"""What a new admin meets first: filters that hide a roster, the failed-sync path, Esc, and
small or scaled screens."""

from __future__ import annotations

from collections.abc import Callable

from conftest import add_course, wait_idle
from PySide6.QtCore import Qt
from PySide6.QtGui import QKeySequence
from pytestqt.qtbot import QtBot

from rostergui.core.service import RosterService
from rostergui.simulator import Fault, Simulator
from rostergui.ui.main_window import MainWindow
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
