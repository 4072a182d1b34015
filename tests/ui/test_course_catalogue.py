"""The course list for a whole catalogue: grouping, the filter, the counts header, the removed
courses' section, the keyboard and the duplicate warning."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import palettes
from conftest import add_course, wait_idle
from PySide6.QtCore import QItemSelectionModel, Qt
from PySide6.QtWidgets import QApplication
from pytestqt.modeltest import ModelTester
from pytestqt.qtbot import QtBot
from sqlalchemy import update
from test_badges import NOW, course

from rostergui.core.service import RosterService
from rostergui.core.states import CourseStatus
from rostergui.core.store.repo import Course
from rostergui.core.store.schema import contexts
from rostergui.simulator import Simulator
from rostergui.ui.app import sync_when_listed
from rostergui.ui.badges import Activity, ActivityState
from rostergui.ui.course_delegate import CourseDelegate
from rostergui.ui.course_groups import CourseGroup, duplicates, group_of, spoken
from rostergui.ui.course_list import DUPLICATE_ROLE, SECTION_ROLE, CourseListModel
from rostergui.ui.main_window import MainWindow
from rostergui.ui.roles import COURSE_ROLE

FRESH = NOW - timedelta(minutes=5)
OLD = NOW - timedelta(days=3)


def catalogue() -> list[Course]:
    """One course of every kind, given out of order."""
    return [
        course(id=1, name="Zoology", last_synced_at=FRESH, last_status="ok", context_id="z"),
        course(id=2, name="Art", last_status="failed", last_error="No roster", context_id="a"),
        course(
            id=3,
            name="Économie",
            title="Macro",
            last_synced_at=OLD,
            last_status="ok",
            context_id="e",
        ),
        course(id=4, name="Biology", context_id="b"),
        course(
            id=5,
            name="Chemistry",
            last_synced_at=FRESH,
            last_status="ok",
            context_id="c",
            base_url="https://chem.ltiaas.example",
            platform_id="https://moodle.school.edu",
        ),
        course(
            id=6,
            name="Old Latin",
            last_synced_at=OLD,
            last_status="ok",
            archived_at=OLD,
            context_id="l",
        ),
        course(id=7, name="Drama", last_status="failed", last_error="Refused", context_id="d"),
    ]


def model_at_now(courses: list[Course] | None = None) -> CourseListModel:
    model = CourseListModel()
    model.now = NOW
    model.set_courses(courses if courses is not None else catalogue())
    model.tick(NOW)
    return model


def test_groups_failed_held_stale_never_then_up_to_date() -> None:
    model = model_at_now()
    model.set_activity("Zoology", Activity(ActivityState.HELD, would_drop=40))
    assert model.visible_names() == ["Art", "Drama", "Zoology", "Économie", "Biology", "Chemistry"]
    # The removed course is in its own section, closed: only its header row is shown.
    section = model.section_row()
    assert section == model.rowCount() - 1
    assert model.index(section).data(SECTION_ROLE) is False
    assert "1 removed course" in model.index(section).data(Qt.ItemDataRole.DisplayRole)
    assert model.index(section).data(COURSE_ROLE) is None
    counts = model.counts
    assert (counts[CourseGroup.FAILED], counts[CourseGroup.HELD]) == (2, 1)
    assert (counts[CourseGroup.STALE], counts[CourseGroup.NEVER]) == (1, 1)
    assert counts[CourseGroup.SYNCED] == 1
    # No longer held: back among the up-to-date courses, in name order.
    model.set_activity("Zoology", None)
    assert model.visible_names()[-2:] == ["Chemistry", "Zoology"]


def test_group_rules() -> None:
    week = timedelta(days=7)
    assert group_of(course(last_synced_at=OLD, last_status="ok"), NOW, week, None) is (
        CourseGroup.SYNCED
    )
    assert group_of(course(last_synced_at=OLD, last_status="ok"), NOW, timedelta(days=1), None) is (
        CourseGroup.STALE
    )
    # A held sync is newer than a stored failure: the course waits for its question.
    failed_then_held = Activity(ActivityState.HELD)
    assert group_of(course(last_status="failed"), NOW, week, failed_then_held) is CourseGroup.HELD
    assert spoken("sync failed · synced 1 min ago") == "sync failed, synced 1 minute ago"
    assert spoken("synced 3 h ago") == "synced 3 hours ago"


def test_filter_matches_words_in_any_order_without_accents_and_by_host() -> None:
    model = model_at_now()
    model.set_filter("economie")
    assert model.visible_names() == ["Économie"]
    model.set_filter("macro ÉCON")
    assert model.visible_names() == ["Économie"]
    model.set_filter("moodle.school")  # the LMS's host
    assert model.visible_names() == ["Chemistry"]
    model.set_filter("chem.ltiaas")  # the LTIAAS host
    assert model.visible_names() == ["Chemistry"]
    model.set_filter("latin")  # a removed course: counted in its section, which stays closed
    assert model.visible_names() == []
    assert model.section_row() == 0
    assert model.counts[CourseGroup.ARCHIVED] == 1
    model.set_filter("")
    assert len(model.visible_names()) == 6


def test_filter_and_sections_keep_the_model_consistent(qtmodeltester: ModelTester) -> None:
    model = model_at_now()
    qtmodeltester.check(model)
    model.set_filter("o")
    model.set_archived_open(True)
    model.set_group_filter(CourseGroup.FAILED)
    model.set_group_filter(None)
    model.set_courses(catalogue()[:3])
    qtmodeltester.check(model)


def test_filter_keeps_the_selection_and_says_when_it_is_hidden(qtbot: QtBot) -> None:
    window = MainWindow()
    qtbot.addWidget(window)
    model, view, panel = window.course_model, window.course_view, window.course_panel
    model.set_courses(catalogue())
    view.selectionModel().setCurrentIndex(
        model.index(model.row_of("Chemistry")), QItemSelectionModel.SelectionFlag.ClearAndSelect
    )
    panel.filter_box.setText("chem")
    assert view.currentIndex().data(COURSE_ROLE).name == "Chemistry"
    with qtbot.waitSignal(view.currentLost):
        panel.filter_box.setText("zoo")
    assert not view.currentIndex().isValid()
    panel.filter_box.setText("nothing like it")
    assert "No course matches" in view.placeholder
    panel.filter_box.clear()
    assert view.placeholder == ""
    # The filter cleared: the course it hid is selected again.
    assert view.currentIndex().data(COURSE_ROLE).name == "Chemistry"
    # Unless another was chosen meanwhile.
    panel.filter_box.setText("zoo")
    view.setCurrentIndex(model.index(model.row_of("Zoology")))
    panel.filter_box.clear()
    assert view.currentIndex().data(COURSE_ROLE).name == "Zoology"


def test_counts_header_words_and_clicks_to_filter(qtbot: QtBot) -> None:
    window = MainWindow()
    qtbot.addWidget(window)
    model, panel = window.course_model, window.course_panel
    model.set_courses(catalogue())
    model.tick(NOW)
    text = panel.counts_label.text().replace("&nbsp;", " ")  # kept whole when wrapping
    for part in ("2 failed", "1 stale", "1 never synced", "2 up to date"):
        assert part in text
    assert "held" not in text  # no held course: no count for it
    panel.counts_label.linkActivated.emit(str(int(CourseGroup.FAILED)))
    assert model.visible_names() == ["Art", "Drama"]
    assert model.section_row() < 0  # a group shown alone hides the removed section
    assert "show all" in panel.counts_label.text()
    panel.counts_label.linkActivated.emit(str(int(CourseGroup.FAILED)))  # again: all
    assert len(model.visible_names()) == 6
    panel.counts_label.linkActivated.emit(str(int(CourseGroup.STALE)))
    panel.counts_label.linkActivated.emit("all")
    assert len(model.visible_names()) == 6


def test_removed_section_opens_from_its_header(qtbot: QtBot) -> None:
    window = MainWindow()
    qtbot.addWidget(window)
    model, view = window.course_model, window.course_view
    model.set_courses(catalogue())
    assert "Old Latin" not in model.visible_names()
    view.clicked.emit(model.index(model.section_row()))
    assert model.visible_names()[-1] == "Old Latin"
    assert model.index(model.section_row()).data(SECTION_ROLE) is True
    view.activated.emit(model.index(model.section_row()))  # Enter closes it again
    assert "Old Latin" not in model.visible_names()
    # Selecting a removed course (from Find person, say) opens the section.
    assert window.select_course("Old Latin")
    assert window.selected_name() == "Old Latin"
    # The header row takes no selection: the window never takes it for a course.
    assert not model.flags(model.index(model.section_row())) & Qt.ItemFlag.ItemIsSelectable


def test_keyboard_jumps_to_the_filter_and_steps_through_failed_courses(qtbot: QtBot) -> None:
    window = MainWindow()
    qtbot.addWidget(window)
    with qtbot.waitActive(window):
        window.show()
        window.activateWindow()
    model, panel = window.course_model, window.course_panel
    model.set_courses(catalogue())
    assert panel.filter_action.shortcut().toString() == "Ctrl+L"
    assert panel.next_failed_action.shortcut().toString() == "F8"
    assert panel.previous_failed_action.shortcut().toString() == "Shift+F8"
    window.course_view.setFocus()
    qtbot.keyClick(window.course_view, Qt.Key.Key_L, Qt.KeyboardModifier.ControlModifier)
    assert QApplication.focusWidget() is panel.filter_box
    qtbot.keyClicks(panel.filter_box, "r")  # Art, Drama, Chemistry, Zoology, Économie
    qtbot.keyClick(panel.filter_box, Qt.Key.Key_Escape)
    assert panel.filter_box.text() == ""
    qtbot.keyClick(panel.filter_box, Qt.Key.Key_F8)
    assert window.selected_name() == "Art"
    qtbot.keyClick(window.course_view, Qt.Key.Key_F8)
    assert window.selected_name() == "Drama"
    qtbot.keyClick(window.course_view, Qt.Key.Key_F8)  # wraps around
    assert window.selected_name() == "Art"
    qtbot.keyClick(window.course_view, Qt.Key.Key_F8, Qt.KeyboardModifier.ShiftModifier)
    assert window.selected_name() == "Drama"
    # Down from the filter goes into the list.
    panel.focus_filter()
    qtbot.keyClick(panel.filter_box, Qt.Key.Key_Down)
    assert QApplication.focusWidget() is window.course_view
    # Failed courses hidden by the filter: the status bar says how to see them.
    panel.filter_box.setText("zoology")
    with qtbot.waitSignal(panel.message) as said:
        panel.step_failed(forward=True)
    assert "hidden by the course list's filter" in said.args[0]
    panel.filter_box.clear()
    # With no failed course, the status bar says so.
    model.set_courses([c for c in catalogue() if c.last_status != "failed"])
    with qtbot.waitSignal(panel.message) as said:
        panel.step_failed(forward=True)
    assert said.args == ["No course failed its last sync."]


def test_the_same_lms_course_twice_is_marked_on_both(qtbot: QtBot) -> None:
    twin = replace(catalogue()[0], id=9, name="Zoology (copy)")
    gone = replace(catalogue()[0], id=10, name="Zoology old", archived_at=OLD)
    courses = [*catalogue(), twin, gone]
    assert duplicates(courses) == {"Zoology": ("Zoology (copy)",), "Zoology (copy)": ("Zoology",)}
    model = model_at_now(courses)
    index = model.index(model.row_of("Zoology"))
    assert index.data(DUPLICATE_ROLE) == ("Zoology (copy)",)
    assert "Same LMS course as Zoology (copy)" in index.data(Qt.ItemDataRole.ToolTipRole)
    assert "Same LMS course" in index.data(Qt.ItemDataRole.AccessibleTextRole)
    assert model.index(model.row_of("Art")).data(DUPLICATE_ROLE) == ()
    # The delegate paints the warning pill beside the badge, and the section header.
    window = MainWindow()
    qtbot.addWidget(window)
    window.course_model.set_courses(courses)
    window.course_model.set_archived_open(True)
    window.resize(900, 700)
    window.show()
    qtbot.waitExposed(window)
    assert isinstance(window.course_view.itemDelegate(), CourseDelegate)
    assert not window.course_view.grab().isNull()


def test_duplicates_follow_the_services_rule(
    service: RosterService, sim: Simulator, memory_keyring: object
) -> None:
    """The list marks the same courses as :meth:`RosterService.duplicate_courses`."""
    add_course(service, sim, "canvas-bio", "Biology")
    add_course(service, sim, "moodle-chem", "Chemistry")
    add_course(service, sim, "bb-history", "History")
    bio = service.course("Biology")
    chem = service.course("Chemistry")
    with service.engine.begin() as conn:  # a database from before duplicates were refused
        conn.execute(
            update(contexts)
            .where(contexts.c.id == chem.id)
            .values(context_id=bio.context_id, platform_id=bio.platform_id)
        )
    marked = duplicates(service.courses(include_archived=True))
    assert {name: others[0] for name, others in marked.items()} == service.duplicate_courses()
    assert set(marked) == {"Biology", "Chemistry"}


def test_the_demo_catalogue_syncs_once_the_courses_are_listed(
    qtbot: QtBot, service: RosterService, sim: Simulator
) -> None:
    add_course(service, sim, "canvas-bio", "Biology")
    add_course(service, sim, "moodle-chem", "Chemistry")
    window = MainWindow(service)
    qtbot.addWidget(window)
    sync_when_listed(window, ["Biology", "Chemistry"])  # before the list has loaded
    qtbot.waitUntil(lambda: service.course("Chemistry").last_synced_at is not None, timeout=15_000)
    wait_idle(qtbot, window)
    assert service.course("Biology").last_status == CourseStatus.OK
    window.close()


def test_typing_more_letters_keeps_what_a_fresh_filter_keeps() -> None:
    """Narrowing searches only the courses the last query kept: the result is the same."""
    typed, fresh = model_at_now(), model_at_now()
    for text in ("o", "ol", "olo", "olo z", "olo", "b", "bio", "", "at"):
        typed.set_filter(text)
        fresh.set_filter("")
        fresh.tick(NOW)  # forgets what it kept
        fresh.set_filter(text)
        assert typed.visible_names() == fresh.visible_names(), text
        assert typed.counts == fresh.counts, text


def test_the_counts_follow_a_palette_change(qtbot: QtBot) -> None:
    """The header's counts are coloured by the palette's tones: a dark palette recolours them
    (they were unreadable when they kept the light palette's colours)."""
    window = MainWindow()
    qtbot.addWidget(window)
    window.course_model.set_courses(catalogue())
    window.course_model.tick(NOW)
    panel = window.course_panel
    light_text = panel.counts_label.text()
    panel.setPalette(palettes.dark())
    assert panel.counts_label.text() != light_text
