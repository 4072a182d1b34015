"""The main window against the simulator over real HTTP: sync, cancel, failures, held syncs,
filtering, export, history and remembered state."""

from __future__ import annotations

import csv
import gc
from collections.abc import Callable
from pathlib import Path

import pytest
from conftest import add_course, wait_idle
from PySide6.QtCore import Qt
from PySide6.QtGui import QKeySequence
from pytestqt.qtbot import QtBot

from rostergui.core.service import RosterService
from rostergui.core.states import Outcome
from rostergui.core.sync import SyncResult
from rostergui.simulator import Simulator
from rostergui.ui import course_dialog, export_dialog, mass_drop, runtime
from rostergui.ui import settings as opts
from rostergui.ui.export_dialog import ExportChoice
from rostergui.ui.main_window import MainWindow
from rostergui.ui.member_view import HEADER_KEY
from rostergui.ui.roles import BADGE_ROLE
from rostergui.ui.roster_index import Column
from rostergui.ui.settings import Settings

MakeWindow = Callable[..., MainWindow]


def badge_text(window: MainWindow, name: str) -> str:
    model = window.course_model
    return str(model.index(model.row_of(name)).data(BADGE_ROLE).text)


def active_count(service: RosterService, name: str) -> int:
    return len(service.members(name, status="active"))


def test_empty_state_offers_to_add_a_course(make_window: MakeWindow) -> None:
    window = make_window()
    assert window.pages.currentWidget() is window.empty_page
    assert window.empty_button.isVisible()
    assert not window.sync_action.isEnabled()
    assert not window.export_action.isEnabled()


def test_sync_updates_table_badge_status_and_history(
    qtbot: QtBot, service: RosterService, sim: Simulator, make_window: MakeWindow
) -> None:
    add_course(service, sim, "canvas-bio", "Biology 101")
    window = make_window()
    assert window.pages.currentWidget() is window.splitter
    assert window.selected_name() == "Biology 101"
    assert badge_text(window, "Biology 101") == "never synced"
    started: list[str] = []
    window.sync.started.connect(started.append)
    with qtbot.waitSignal(window.sync.finished, timeout=10_000) as finished:
        window.sync_action.trigger()
    result: SyncResult = finished.args[0]
    assert result.ok and started == ["Biology 101"]
    wait_idle(qtbot, window)
    panel = window.member_panel
    active = active_count(service, "Biology 101")
    assert panel.model.rowCount() == active > 100
    assert badge_text(window, "Biology 101") == "synced just now"
    status = window.statusBar().currentMessage()
    assert f"+{result.added} added, −0 dropped, 0 returned" in status
    assert not window.message_bar.isVisible()
    assert window.export_action.isEnabled()
    assert f"{active} active" in window.course_details.text()

    # History tab: one run, and who was added in it.
    window.history_action.trigger()
    history = window.history_panel
    qtbot.waitUntil(lambda: history.runs_model.rowCount() == 1, timeout=5000)
    assert history.runs_model.index(0, 1).data() == "Synced"
    qtbot.waitUntil(lambda: history.changes_model.rowCount() == result.added, timeout=5000)
    assert history.changes_model.index(0, 0).data() == "Added"

    # A second sync after changes on the LMS side shows the differences.
    sim.enroll("canvas-bio", count=3)
    dropped = sim.drop("canvas-bio", count=1)
    with qtbot.waitSignal(window.sync.finished, timeout=10_000) as finished:
        window.sync_action.trigger()
    wait_idle(qtbot, window)
    assert "+3 added, −1 dropped, 0 returned" in window.statusBar().currentMessage()
    qtbot.waitUntil(lambda: history.runs_model.rowCount() == 2, timeout=5000)
    qtbot.waitUntil(lambda: history.changes_model.rowCount() == 4, timeout=5000)
    kinds = {history.changes_model.index(r, 0).data() for r in range(4)}
    assert kinds == {"Added", "Dropped"}
    assert dropped


def test_cancel_leaves_the_roster_intact(
    qtbot: QtBot, service: RosterService, sim: Simulator, bio_window: MainWindow
) -> None:
    window = bio_window
    before = active_count(service, "Biology 101")
    rows_before = window.member_panel.model.total
    sim.enroll("canvas-bio", count=10)
    sim.latency = 0.3  # three pages of 50: plenty of time to cancel after the first
    window.sync_action.trigger()
    qtbot.waitUntil(lambda: "page" in badge_text(window, "Biology 101"), timeout=5000)
    assert window.cancel_action.isEnabled()
    with qtbot.waitSignal(window.sync.finished, timeout=10_000) as finished:
        window.cancel_action.trigger()
    result: SyncResult = finished.args[0]
    assert result.cancelled
    wait_idle(qtbot, window)
    assert badge_text(window, "Biology 101").startswith("cancelled")
    assert "cancelled" in window.statusBar().currentMessage()
    assert active_count(service, "Biology 101") == before
    assert window.member_panel.model.total == rows_before
    assert not window.cancel_action.isEnabled()


def test_escape_cancels_a_sync(qtbot: QtBot, sim: Simulator, bio_window: MainWindow) -> None:
    window = bio_window
    sim.latency = 0.3
    window.sync_action.trigger()
    assert QKeySequence("Esc") in window.cancel_action.shortcuts()
    with qtbot.waitSignal(window.sync.finished, timeout=10_000) as finished:
        qtbot.keyClick(window, Qt.Key.Key_Escape)
    assert finished.args[0].cancelled


def test_failed_sync_badge_and_message_bar(
    qtbot: QtBot, service: RosterService, sim: Simulator, make_window: MakeWindow
) -> None:
    service.add_course(
        "Art", sim.base_url, "sim-ltiaas-api-key-0000", ltik=sim.course("no-roster").ltik
    )
    add_course(service, sim, "canvas-bio", "Revoked")
    course = service.course("Revoked")
    service.secrets.set_course_secret(course.uid, "service_key", "revoked-service-key")
    window = make_window()
    window.sync_all_action.trigger()
    wait_idle(qtbot, window)
    assert badge_text(window, "Art") == "sync failed"
    assert badge_text(window, "Revoked") == "sync failed"
    assert window.statusBar().currentMessage() == "2 failed: Art, Revoked — 0 synced."
    # The summary is on the message bar too, with each failed course one click away.
    assert "2 failed: Art, Revoked" in window.message_bar.text
    buttons = [b.text() for b in window.message_bar.buttons]
    assert buttons == ["Show Art", "Show Revoked", "Dismiss"]
    window.message_bar.buttons[1].click()
    assert window.selected_name() == "Revoked"

    window.select_course("Revoked")
    qtbot.waitUntil(window.message_bar.isVisible, timeout=5000)
    assert "refused" in window.message_bar.text
    assert "No roster has been stored yet" in window.message_bar.text
    assert [b.text() for b in window.message_bar.buttons] == ["Edit course…"]
    tip = window.course_model.index(window.course_model.row_of("Revoked")).data(
        Qt.ItemDataRole.ToolTipRole
    )
    assert "refused" in tip

    window.select_course("Art")
    qtbot.waitUntil(lambda: "not available" in window.message_bar.text, timeout=5000)
    assert "re-add" not in window.message_bar.text
    assert [b.text() for b in window.message_bar.buttons] == ["Edit course…"]
    # The roster-service failure is fixed with a new launch token, not by trying again.
    window.sync_action.trigger()
    wait_idle(qtbot, window)
    assert len(service.history("Art")) == 2


def test_mass_drop_is_confirmed_first(
    qtbot: QtBot,
    service: RosterService,
    sim: Simulator,
    bio_window: MainWindow,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    window = bio_window
    before = active_count(service, "Biology 101")
    sim.drop("canvas-bio", count=100)
    asked: list[SyncResult] = []

    def refuse(_parent: object, result: SyncResult, answer: Callable[[bool], None]) -> None:
        asked.append(result)
        answer(False)

    monkeypatch.setattr(mass_drop, "ask_mass_drop", refuse)
    window.sync_action.trigger()
    qtbot.waitUntil(lambda: bool(asked), timeout=10_000)
    wait_idle(qtbot, window)
    held = asked[0]
    assert held.held and held.deactivated > before // 2
    assert len(held.would_deactivate) == held.deactivated
    assert active_count(service, "Biology 101") == before  # nothing changed
    assert badge_text(window, "Biology 101").startswith("held:")
    assert "held" in window.message_bar.text
    assert [b.text() for b in window.message_bar.buttons] == ["Review…"]

    # Reviewing again and confirming applies the drops.
    monkeypatch.setattr(mass_drop, "ask_mass_drop", lambda _p, _r, answer: answer(True))
    with qtbot.waitSignal(window.sync.finished, timeout=10_000) as finished:
        window.message_bar.buttons[0].click()
    assert finished.args[0].ok
    wait_idle(qtbot, window)
    after = active_count(service, "Biology 101")
    assert after == before - held.deactivated
    qtbot.waitUntil(lambda: window.member_panel.model.rowCount() == after, timeout=5000)
    assert badge_text(window, "Biology 101") == "synced just now"
    assert not window.message_bar.isVisible()


def test_mass_drop_dialog_lists_who_would_go(qtbot: QtBot) -> None:
    from rostergui.core.sync import DroppedMember

    result = SyncResult(
        name="Big", outcome=Outcome.HELD, fetched=10, deactivated=250, active_count=260
    )
    result.would_deactivate = [
        DroppedMember(f"u{n}", f"Person {n}", f"p{n}@x.edu", "Learner") for n in range(250)
    ]
    dialog = mass_drop.MassDropDialog(result)
    qtbot.addWidget(dialog)
    assert dialog.people.topLevelItemCount() == 201
    assert dialog.people.topLevelItem(200).text(0) == "… and 50 more"
    assert dialog.people.topLevelItem(0).text(0) == "Person 0"
    assert dialog.people.topLevelItem(0).text(1) == "p0@x.edu"
    assert dialog.keep_button.isDefault()
    assert "250" in dialog.apply_button.text()


def test_filter_as_you_type_and_status(
    qtbot: QtBot, service: RosterService, bio_window: MainWindow
) -> None:
    panel = bio_window.member_panel
    everyone = service.members("Biology 101", status="all")
    target = next(r for r in everyone if r.status == "active" and " " in r.display_name)
    first, last = target.display_name.split()[0], target.display_name.split()[-1]
    bio_window.find_action.trigger()
    assert panel.filter_edit.hasFocus()
    qtbot.keyClicks(panel.filter_edit, f"{last.lower()} {first.upper()}")
    panel.flush_filters()
    names = [panel.model.member(r).display_name for r in range(panel.model.rowCount())]
    assert target.display_name in names
    assert all(first.casefold() in n.casefold() for n in names)
    assert panel.summary_label.text().startswith(f"{len(names)} of")

    panel.filter_edit.clear()
    panel.flush_filters()
    panel.status_combo.setCurrentIndex(panel.status_combo.findData("all"))
    assert panel.model.rowCount() == len(everyone)
    panel.role_combo.setCurrentIndex(panel.role_combo.findData("Instructor"))
    assert {panel.model.member(r).role for r in range(panel.model.rowCount())} == {"Instructor"}


def test_export_rows_in_view_and_whole_course(
    qtbot: QtBot,
    service: RosterService,
    bio_window: MainWindow,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    window = bio_window
    panel = window.member_panel
    panel.role_combo.setCurrentIndex(panel.role_combo.findData("Learner"))
    shown = panel.model.rowCount()
    target = tmp_path / "view.csv"
    monkeypatch.setattr(
        export_dialog, "ask_export", lambda *a: a[-1](ExportChoice(target, whole_course=False))
    )
    window.export_action.trigger()
    qtbot.waitUntil(lambda: "Exported" in window.statusBar().currentMessage(), timeout=5000)
    data = target.read_bytes()
    assert data.startswith(b"\xef\xbb\xbf")
    with target.open(encoding="utf-8-sig", newline="") as handle:
        rows = list(csv.reader(handle))
    assert len(rows) == shown + 1
    assert {r[5] for r in rows[1:]} == {"Learner"}
    assert f"Exported {shown:,} members" in window.statusBar().currentMessage()

    whole = tmp_path / "all.csv"
    monkeypatch.setattr(
        export_dialog, "ask_export", lambda *a: a[-1](ExportChoice(whole, whole_course=True))
    )
    window.export_action.trigger()
    qtbot.waitUntil(whole.exists, timeout=5000)
    wait_idle(qtbot, window)
    total = len(service.members("Biology 101", status="all"))
    with whole.open(encoding="utf-8-sig", newline="") as handle:
        assert len(list(csv.reader(handle))) == total + 1


def test_export_error_is_a_message(
    qtbot: QtBot, bio_window: MainWindow, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    shown: list[str] = []
    monkeypatch.setattr(
        "rostergui.ui.course_actions.show_error", lambda _p, _t, text: shown.append(text)
    )
    monkeypatch.setattr(
        export_dialog,
        "ask_export",
        lambda *a: a[-1](ExportChoice(tmp_path / "missing" / "x.csv", whole_course=False)),
    )
    bio_window.export_action.trigger()
    qtbot.waitUntil(lambda: bool(shown), timeout=5000)
    assert "does not exist" in shown[0]


def test_export_dialog_defaults(qtbot: QtBot, tmp_path: Path) -> None:
    from datetime import date

    dialog = export_dialog.ExportDialog(
        "Bio/Chem 101", 412, 5000, folder=tmp_path, today=date(2024, 5, 1)
    )
    qtbot.addWidget(dialog)
    choice = dialog.choice()
    assert choice == ExportChoice(tmp_path / "Bio_Chem 101-roster-2024-05-01.csv", False)
    assert "412" in dialog.view_radio.text() and "5,000" in dialog.whole_radio.text()


def test_remove_course_keeping_the_roster(
    qtbot: QtBot,
    service: RosterService,
    bio_window: MainWindow,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(course_dialog, "confirm_remove", lambda _p, _c, answer: answer(True, True))
    window = bio_window
    uid = service.course("Biology 101").uid
    window.remove_action.trigger()
    qtbot.waitUntil(
        lambda: badge_text(window, "Biology 101") == "removed · roster kept", timeout=5000
    )
    wait_idle(qtbot, window)
    assert service.secrets.get_course_secret(uid, "service_key") is None
    assert window.member_panel.model.total > 0  # still readable
    assert not window.sync_action.isEnabled()
    assert "kept for reference" in window.message_bar.text

    monkeypatch.setattr(course_dialog, "confirm_remove", lambda _p, _c, answer: answer(True, False))
    window.remove_action.trigger()
    qtbot.waitUntil(lambda: window.pages.currentWidget() is window.empty_page, timeout=5000)


def test_scheduled_sync(
    qtbot: QtBot, service: RosterService, sim: Simulator, make_window: MakeWindow
) -> None:
    add_course(service, sim, "bb-history", "History")
    settings = Settings()
    settings.set(opts.SCHEDULE_MINUTES, 15)
    window = make_window(settings)
    assert window.schedule_timer.isActive()
    assert window.schedule_timer.interval() == 15 * 60_000
    with qtbot.waitSignal(window.sync.finished, timeout=10_000):
        window.schedule_timer.timeout.emit()
    wait_idle(qtbot, window)
    assert service.history("History")[0].trigger == "schedule"
    settings.set(opts.SCHEDULE_MINUTES, 0)
    window.settings_changed()
    assert not window.schedule_timer.isActive()


def test_settings_dialog_applies_values(qtbot: QtBot) -> None:
    from rostergui.ui.settings_dialog import SettingsDialog

    settings = Settings()
    dialog = SettingsDialog(settings)
    qtbot.addWidget(dialog)
    assert dialog.schedule_combo.currentData() == 0  # off by default
    dialog.schedule_combo.setCurrentIndex(dialog.schedule_combo.findData(60))
    dialog.stale_spin.setValue(6)
    dialog.apply()
    assert settings.schedule_minutes == 60
    assert settings.stale_after.total_seconds() == 6 * 3600


def test_state_is_remembered(
    qtbot: QtBot, service: RosterService, sim: Simulator, make_window: MakeWindow
) -> None:
    add_course(service, sim, "canvas-bio", "Biology 101")
    add_course(service, sim, "bb-history", "History")
    window = make_window()
    window.select_course("History")
    panel = window.member_panel
    panel.filter_edit.setText("smith")
    panel.status_combo.setCurrentIndex(panel.status_combo.findData("all"))
    panel.table.horizontalHeader().resizeSection(Column.EMAIL, 333)
    panel.table.sortByColumn(Column.EMAIL, Qt.SortOrder.DescendingOrder)
    window.resize(700, 500)  # fits the offscreen screen
    window.close()
    assert Settings().get_bytes(HEADER_KEY) is not None

    again = make_window()
    panel = again.member_panel
    assert again.selected_name() == "History"
    assert panel.filter_edit.text() == ""  # the text was for that session only
    assert panel.current_filters().status == "all"
    header = panel.table.horizontalHeader()
    assert header.sectionSize(Column.EMAIL) == 333
    assert header.sortIndicatorSection() == Column.EMAIL
    assert header.sortIndicatorOrder() == Qt.SortOrder.DescendingOrder
    assert (again.width(), again.height()) == (700, 500)


def test_shortcuts_and_accessible_names(make_window: MakeWindow) -> None:
    window = make_window()
    keys = {
        window.find_action: "Ctrl+F",
        window.sync_action: "F5",
        window.export_action: "Ctrl+E",
        window.cancel_action: "Esc",
        window.add_action: "Ctrl+N",
    }
    for action, key in keys.items():
        assert QKeySequence(key) in action.shortcuts(), key
    sync_all = window.sync_all_action.shortcuts()
    assert QKeySequence("Shift+F5") in sync_all and QKeySequence("Ctrl+Shift+F5") in sync_all
    for widget in (
        window.course_view,
        window.member_panel.table,
        window.member_panel.filter_edit,
        window.member_panel.role_combo,
        window.member_panel.status_combo,
    ):
        assert widget.accessibleName()


def test_bug_dialog_has_copyable_details(qtbot: QtBot) -> None:
    from PySide6.QtGui import QGuiApplication

    from rostergui.ui.bug_dialog import BugDialog

    try:
        raise ValueError("boom")
    except ValueError as exc:
        dialog = BugDialog(exc)
    qtbot.addWidget(dialog)
    assert "Traceback" in dialog.details_text and "ValueError: boom" in dialog.details_text
    assert not dialog.details_view.isVisible()
    dialog.copy_details()
    assert "ValueError: boom" in QGuiApplication.clipboard().text()


def test_a_sync_runs_with_the_cyclic_collector_paused(
    qtbot: QtBot,
    service: RosterService,
    sim: Simulator,
    make_window: MakeWindow,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    add_course(service, sim, "canvas-bio", "Biology 101")
    window = make_window()
    seen: list[bool] = []
    real_sync = service.sync

    def sync(*args: object, **kwargs: object) -> SyncResult:
        seen.append(runtime.is_paused())
        return real_sync(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(service, "sync", sync)
    assert not gc.isenabled()  # collected on the GUI thread only, never automatically
    with qtbot.waitSignal(window.sync.finished, timeout=10_000) as finished:
        window.sync_action.trigger()
    assert finished.args[0].ok
    assert seen == [True]  # no full collection can stop the window mid-sync
    wait_idle(qtbot, window)  # the roster reload after the sync pauses collection too
    assert not runtime.is_paused()  # and the GUI thread's collections are whole again
    assert not gc.isenabled()


def test_a_storm_of_refreshes_still_shows_the_courses(
    qtbot: QtBot,
    service: RosterService,
    sim: Simulator,
    make_window: Callable[..., MainWindow],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A round of many syncs asks for the list after every course; each request arriving
    while a slow load runs must not throw that load away, or the list never changes."""
    import time

    from PySide6.QtCore import QTimer

    add_course(service, sim, "canvas-bio", "Biology 101")
    window = make_window()
    add_course(service, sim, "moodle-chem", "Chimie")
    listed = service.courses

    def slow_courses(*, include_archived: bool = False) -> list:
        time.sleep(0.05)
        return listed(include_archived=include_archived)

    monkeypatch.setattr(service, "courses", slow_courses)
    storm = QTimer()
    storm.timeout.connect(window.refresh_courses)
    storm.start(10)  # faster than a load
    qtbot.waitUntil(lambda: window.course_model.row_of("Chimie") >= 0, timeout=3000)
    storm.stop()
    qtbot.waitUntil(lambda: not window.runner.busy)
