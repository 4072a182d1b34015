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

if TYPE_CHECKING:
    from rostergui.core.store.repo import Course
    from rostergui.ui.main_window import MainWindow


class WindowDialogs:
    """What the window's dialog actions do when triggered."""

    def __init__(self, window: MainWindow) -> None:
        self.window = window

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

    def show_about(self) -> None:
        from rostergui.ui.course_actions import show_about

        show_about(self.window, self.window.service)

    def open_log_folder(self) -> None:
        from rostergui.ui.course_actions import open_log_folder

        open_log_folder(self.window.service)
