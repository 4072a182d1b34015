"""The course list model and its badge delegate."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

from PySide6.QtCore import Qt
from PySide6.QtGui import QColor, QPalette
from pytestqt.modeltest import ModelTester
from pytestqt.qtbot import QtBot
from test_badges import NOW, course

from rostergui.ui.badges import Activity, Badge, Tone
from rostergui.ui.course_list import CourseListModel, CourseListView
from rostergui.ui.roles import BADGE_ROLE, COURSE_ROLE, tone_colour


def courses() -> list:
    return [
        course(name="Art", last_status="failed", last_error="No roster service"),
        course(name="Biology", last_synced_at=NOW - timedelta(minutes=5), last_status="ok"),
        course(name="Chemistry"),
    ]


def test_model_passes_qtmodeltester(qtmodeltester: ModelTester) -> None:
    model = CourseListModel()
    model.set_courses(courses())
    qtmodeltester.check(model)
    model.set_activity("Biology", Activity("syncing", pages=2, fetched=200))
    model.set_courses(courses()[:2])
    qtmodeltester.check(model)


def test_rows_carry_course_badge_and_accessible_text() -> None:
    model = CourseListModel()
    model.set_courses(courses())
    model.tick(NOW)
    # Grouped: failed (Art), never synced (Chemistry), then up to date (Biology).
    assert model.visible_names() == ["Art", "Chemistry", "Biology"]
    index = model.index(model.row_of("Biology"))
    assert index.data(Qt.ItemDataRole.DisplayRole) == "Biology"
    assert index.data(COURSE_ROLE).name == "Biology"
    badge = index.data(BADGE_ROLE)
    assert isinstance(badge, Badge)
    assert badge.text == "synced 5 min ago"
    # Said as a screen reader should: the name, then the state in full words.
    spoken = index.data(Qt.ItemDataRole.AccessibleTextRole)
    assert spoken.startswith("Biology, synced 5 minutes ago, Intro to Biology")
    assert "No roster service" in model.index(0).data(Qt.ItemDataRole.ToolTipRole)


def test_tick_refreshes_relative_times(qtbot: QtBot) -> None:
    model = CourseListModel()
    model.set_courses(courses())
    model.tick(NOW)
    with qtbot.waitSignal(model.dataChanged):
        model.tick(NOW + timedelta(hours=2))
    assert model.index(model.row_of("Biology")).data(BADGE_ROLE).text == "synced 2 h ago"


def test_same_names_keep_rows_and_refresh_data(qtbot: QtBot) -> None:
    model = CourseListModel()
    model.set_courses(courses())
    with qtbot.assertNotEmitted(model.modelReset), qtbot.waitSignal(model.dataChanged):
        model.set_courses([replace(c, title="New") for c in courses()])


def test_badge_colours_read_on_light_and_dark() -> None:
    light, dark = QPalette(QColor("#f6f6f6")), QPalette(QColor("#1e1e1e"))
    for tone in Tone:
        for palette in (light, dark):
            colour = tone_colour(tone, palette)
            background = palette.color(QPalette.ColorRole.Window)
            assert abs(colour.lightness() - background.lightness()) > 60, (tone, colour.name())


def test_delegate_paints_every_state(qtbot: QtBot) -> None:
    model = CourseListModel()
    model.set_courses(courses())
    model.set_activity("Chemistry", Activity("syncing", pages=12, fetched=1200))
    view = CourseListView()
    qtbot.addWidget(view)
    view.setModel(model)
    view.resize(300, 400)
    view.show()
    view.setCurrentIndex(model.index(0))
    assert not view.grab().isNull()
    assert view.sizeHintForRow(0) >= 50
