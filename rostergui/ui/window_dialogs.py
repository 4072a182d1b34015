"""The window's entry points to its dialogs: each action of the menus and the toolbar checks
that it applies now (the service is open, a course is selected and not waiting on a sync
question, its roster is not loading) and hands over to
:class:`~rostergui.ui.course_actions.CourseActions`, which runs the dialog.

The checks live here rather than on the actions' enabled state alone because a shortcut, a
message-bar button or a queued signal can arrive after the state changed. The window owns one
:class:`WindowDialogs` from its first frame; the dialog modules are imported only when used,
after the service is open.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtGui import QKeySequence

from rostergui.ui.course_panel import add_to_menu

if TYPE_CHECKING:
    from PySide6.QtGui import QAction

    from rostergui.core.store.repo import Course
    from rostergui.ui.find_person import FindPersonWindow
    from rostergui.ui.main_window import MainWindow


class WindowDialogs:
    """What the window's dialog actions do when triggered."""

    def __init__(self, window: MainWindow) -> None:
        self.window = window
        self.find_person_window: FindPersonWindow | None = None
        #: The catalogue's actions (see :meth:`build_actions`), enabled once attached.
        self.actions: tuple[QAction, ...] = ()

    def build_actions(self) -> None:
        """Find person (Ctrl+Shift+F, in the View menu) and Import courses (in the Course menu,
        after Add course), added to the window's frame."""
        w = self.window
        self.find_person_action = w._action(
            "Find &person…",
            "members",
            [QKeySequence("Ctrl+Shift+F")],
            "Find someone in every course",
        )
        add_to_menu(w.find_action, self.find_person_action, before=w.course_panel.filter_action)
        self.import_action = w._action(
            "&Import courses…", "add", None, "Add many courses from a CSV file or launch tokens"
        )
        add_to_menu(w.add_action, self.import_action, before=w.edit_action)
        self.find_person_action.triggered.connect(self.find_person)
        self.import_action.triggered.connect(self.import_courses)
        self.actions = (self.find_person_action, self.import_action)

    def _idle_course(self) -> Course | None:
        """The selected course when it may be edited or removed (not waiting on a sync)."""
        w = self.window
        course = w.selected_course()
        if not w.attached or course is None or w.sync.is_pending(course.name):
            return None
        return course

    def _exportable(self) -> Course | None:
        w = self.window
        course = w.selected_course()
        if not w.attached or course is None or w.member_panel.loading:
            return None
        return course

    def add_course(self) -> None:
        if self.window.attached:
            self.window.course_actions.add_course()

    def edit_course(self) -> None:
        course = self._idle_course()
        if course is not None and course.archived_at is None:
            self.window.course_actions.edit_course(course)

    def remove_course(self) -> None:
        course = self._idle_course()
        if course is not None:
            self.window.course_actions.remove_course(course)

    def export_roster(self) -> None:
        course = self._exportable()
        if course is not None:
            self.window.course_actions.export_roster(course)

    def export_selection(self) -> None:
        """Export the selected members (the member table's context menu)."""
        course = self._exportable()
        if course is not None:
            rows = self.window.member_panel.table.selected_members()
            if rows:
                self.window.course_actions.export_roster(course, selection=rows)

    def open_settings(self) -> None:
        if self.window.attached:
            self.window.course_actions.open_settings()

    def find_person(self) -> None:
        """Open (or raise) the Find person window; it is not modal."""
        if not self.window.attached:
            return
        if self.find_person_window is None:
            from rostergui.ui.find_person import FindPersonWindow

            self.find_person_window = FindPersonWindow(self.window)
        self.find_person_window.open_window()

    def roster_changed(self) -> None:
        """A sync ended: who is where may have changed."""
        if self.find_person_window is not None:
            self.find_person_window.roster_changed()

    def import_courses(self) -> None:
        """Course → Import courses…: the preview dialog (window-modal, opened with ``open()``)."""
        if not self.window.attached:
            return
        from rostergui.ui.import_dialog import open_import_dialog

        open_import_dialog(self.window)

    def show_about(self) -> None:
        from rostergui.ui.course_actions import show_about

        show_about(self.window, self.window.service)

    def open_log_folder(self) -> None:
        from rostergui.ui.course_actions import open_log_folder

        open_log_folder(self.window.service)
