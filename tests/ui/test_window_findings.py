"""What a new admin meets first: filters that hide a roster, the failed-sync path, Esc, and
small or scaled screens."""

from __future__ import annotations

from collections.abc import Callable

from conftest import add_course, wait_idle
from pytestqt.qtbot import QtBot

from rostergui.core.service import RosterService
from rostergui.simulator import Simulator
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
