"""Announcements to assistive technology: what a screen reader is told without moving the focus
when a sync ends, an export is written or a filter changes what the table shows."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from conftest import wait_idle
from pytestqt.qtbot import QtBot

from rostergui.core.service import RosterService
from rostergui.simulator import DEFAULT_API_KEY, Simulator
from rostergui.ui import announce, export_dialog, mass_drop
from rostergui.ui.export_dialog import ExportChoice
from rostergui.ui.main_window import MainWindow

Heard = list[tuple[str, bool]]
MakeWindow = Callable[..., MainWindow]


@pytest.fixture
def heard(qapp: object) -> Iterator[Heard]:
    """Every announcement made during the test: (text, assertive)."""
    said: Heard = []
    announcer = announce.announcer()
    announcer.last = ""

    def hear(text: str, assertive: bool) -> None:
        said.append((text, assertive))

    announcer.announced.connect(hear)
    yield said
    announcer.announced.disconnect(hear)


def texts(heard: Heard) -> list[str]:
    return [text for text, _assertive in heard]


def test_announcing_says_plain_text_once(qtbot: QtBot, heard: Heard) -> None:
    from PySide6.QtWidgets import QLabel

    source = QLabel()
    qtbot.addWidget(source)
    assert announce.announce(source, "<b>Biology 101</b>:\n  +3 added") == "Biology 101: +3 added"
    assert announce.announce(source, "Biology 101: +3 added") == ""  # the same line again
    assert announce.announce(source, "   ") == ""
    assert announce.announce(source, "x" * 1000, assertive=True).endswith("…")
    assert len(heard) == 2
    assert heard[0] == ("Biology 101: +3 added", False)
    assert heard[1][1] is True
    assert len(heard[1][0]) == announce.MAX_CHARACTERS


def test_the_same_line_later_is_said_again(
    qtbot: QtBot, heard: Heard, monkeypatch: pytest.MonkeyPatch
) -> None:
    from PySide6.QtWidgets import QLabel

    source = QLabel()
    qtbot.addWidget(source)
    clock = [100.0]
    monkeypatch.setattr(announce.time, "monotonic", lambda: clock[0])
    announce.announce(source, "Synced")
    clock[0] += announce.REPEAT_SECONDS + 0.1
    announce.announce(source, "Synced")
    assert texts(heard) == ["Synced", "Synced"]


def test_a_filter_announces_how_many_it_shows(
    qtbot: QtBot, bio_window: MainWindow, heard: Heard
) -> None:
    panel = bio_window.member_panel
    panel.filter_edit.setText("zzz-nobody-is-called-this")
    panel.flush_filters()
    assert panel.filters_hide_all
    assert texts(heard)[-1] == panel.message.text()  # "No members match …"
    panel.filter_edit.clear()
    panel.flush_filters()
    assert texts(heard)[-1] == panel.summary_label.text()
    panel.role_combo.setCurrentIndex(panel.role_combo.findData("Instructor"))
    assert texts(heard)[-1] == panel.summary_label.text()
    assert "shown" in texts(heard)[-1]


def test_a_finished_sync_is_announced(
    qtbot: QtBot, bio_window: MainWindow, heard: Heard
) -> None:
    bio_window.sync_selected()
    wait_idle(qtbot, bio_window)
    said = [t for t in texts(heard) if t.startswith("Biology 101:")]
    assert said, texts(heard)
    assert "active" in said[-1]
    assert len(said) == 1  # the round's summary repeats the line: said once


def test_a_failed_sync_is_announced(
    qtbot: QtBot, service: RosterService, sim: Simulator, make_window: MakeWindow, heard: Heard
) -> None:
    service.add_course("Art", sim.base_url, DEFAULT_API_KEY, ltik=sim.course("no-roster").ltik)
    window = make_window()
    window.select_course("Art")
    window.sync_selected()
    wait_idle(qtbot, window)
    said = [t for t in texts(heard) if t.startswith("Art:")]
    assert said and "sync failed" in said[-1], texts(heard)


def test_a_held_sync_is_announced(
    qtbot: QtBot,
    sim: Simulator,
    bio_window: MainWindow,
    heard: Heard,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    sim.drop("canvas-bio", count=100)
    monkeypatch.setattr(mass_drop, "ask_mass_drop", lambda _p, _r, answer: answer(False))
    bio_window.sync_selected()
    wait_idle(qtbot, bio_window)
    said = " | ".join(texts(heard))
    assert "Biology 101: held" in said
    assert "nothing was changed" in said


def test_a_finished_export_is_announced(
    qtbot: QtBot,
    bio_window: MainWindow,
    heard: Heard,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    target = tmp_path / "bio.csv"
    monkeypatch.setattr(
        export_dialog, "ask_export", lambda *a: a[-1](ExportChoice(target, whole_course=True))
    )
    bio_window.export_action.trigger()
    qtbot.waitUntil(lambda: any(t.startswith("Exported") for t in texts(heard)), timeout=5000)
    wait_idle(qtbot, bio_window)


def test_before_qt_6_8_the_source_is_a_live_region(
    qtbot: QtBot, heard: Heard, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Without announcement events the text becomes the source's accessible description (a
    description-changed event tells the screen reader)."""
    from PySide6 import QtGui
    from PySide6.QtWidgets import QStatusBar

    monkeypatch.delattr(QtGui, "QAccessibleAnnouncementEvent")
    bar = QStatusBar()
    qtbot.addWidget(bar)
    announce.announce(bar, "Exported 120 members")
    assert bar.accessibleDescription() == "Exported 120 members"
    assert texts(heard) == ["Exported 120 members"]


def test_the_mass_drop_question_says_what_it_asks(qtbot: QtBot) -> None:
    """Its explanation is a label the focus never reaches: it is the dialog's description,
    which a screen reader reads as the dialog opens."""
    from rostergui.core.diff import DroppedMember
    from rostergui.core.states import Outcome
    from rostergui.core.sync import SyncResult
    from rostergui.ui.mass_drop import MassDropDialog

    result = SyncResult(
        name="Biology 101",
        outcome=Outcome.HELD,
        fetched=10,
        deactivated=110,
        active_count=120,
        would_deactivate=[DroppedMember("u1", "Ana", None, "Learner")],
    )
    dialog = MassDropDialog(result)
    qtbot.addWidget(dialog)
    said = dialog.accessibleDescription()
    assert "110 of the 120 active members" in said
    assert "Nothing has been changed yet." in said
    assert "<" not in said
