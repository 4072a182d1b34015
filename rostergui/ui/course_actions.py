"""What the window's course actions do: add, edit and remove a course, export its roster, the
settings, About and the log folder.

Every dialog here opens window-modal with ``open()`` and continues on its ``finished`` or
``accepted`` signal; none nests an event loop, so the sync queue, the schedule and background
results carry on normally while a dialog waits. The work behind a dialog runs as a background
:class:`~rostergui.ui.operation.Operation`.

Loaded by :meth:`MainWindow.attach <rostergui.ui.main_window.MainWindow.attach>`, never before
the first frame.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QPoint, Qt
from PySide6.QtWidgets import QDialog, QMenu, QMessageBox, QWidget

from rostergui import APP_NAME, __version__
from rostergui.core import errors
from rostergui.core.states import StatusFilter
from rostergui.ui import crash, icons, wording
from rostergui.ui.roles import COURSE_ROLE

if TYPE_CHECKING:
    from rostergui.core.service import RosterService
    from rostergui.core.store.repo import Course, MemberRow
    from rostergui.ui.export_dialog import ExportChoice
    from rostergui.ui.main_window import MainWindow


class CourseActions:
    """The dialog flows of ``window`` (attached: it has a service)."""

    def __init__(self, window: MainWindow, service: RosterService) -> None:
        self.window = window
        self.service = service

    def add_course(self) -> None:
        self._course_dialog(None)

    def edit_course(self, course: Course) -> None:
        self._course_dialog(course)

    def _course_dialog(self, editing: Course | None) -> None:
        """Open the add dialog, or the edit dialog of ``editing``; select the result."""
        from rostergui.ui import course_dialog

        window = self.window
        courses = window.course_model.courses
        dialog = course_dialog.CourseDialog(
            self.service,
            window.runner,
            existing=[c.name for c in courses],
            base_url=courses[0].base_url if courses and editing is None else "",
            editing=editing,
            parent=window,
        )

        def finished(_code: int) -> None:
            course = dialog.added
            if course is None or window.closed:
                return
            if editing is None:
                window.show_status(f"Added {course.name}. Press Sync now (F5) to fetch its roster.")
            else:
                window.show_status(f"Saved {course.name}.")
            window.refresh_courses(select=course.name)

        self._open(dialog, finished)

    def remove_course(self, course: Course) -> None:
        from rostergui.ui import course_dialog

        window, service, name = self.window, self.service, course.name

        def answered(remove: bool, keep: bool) -> None:
            # Asked window-modal: the course may have started syncing meanwhile.
            if not remove or window.closed or window.sync.is_pending(name):
                return

            def done(_result: None) -> None:
                window.show_status(
                    f"Removed {name}" + ("; its roster is kept for reference." if keep else ".")
                )
                window.refresh_courses()

            window.runner.run(
                lambda: service.remove_course(name, keep_roster=keep),
                done,
                self.background_failed,
                name="remove course",
            )

        course_dialog.confirm_remove(window, course, answered)

    def export_roster(self, course: Course, selection: list[MemberRow] | None = None) -> None:
        """Export the rows in view or the whole course; with ``selection``, those rows stand
        for the rows in view."""
        from rostergui.core import export
        from rostergui.ui import export_dialog

        window, service, name = self.window, self.service, course.name
        panel = window.member_panel
        panel.flush_filters()
        shown_rows: list[MemberRow] = (
            selection if selection is not None else panel.model.shown_rows()
        )

        def chosen(choice: ExportChoice) -> None:
            if window.closed:
                return

            def job() -> int:
                if choice.whole_course:
                    return service.export(name, choice.path, status=StatusFilter.ALL)
                return export.write_csv(shown_rows, choice.path)

            def done(count: int) -> None:
                window.show_status(f"Exported {count:,} members of {name} to {choice.path}")

            window.show_status(f"Exporting {name}…")
            window.runner.run(job, done, self._export_failed, name="export")

        if selection is not None:
            export_dialog.ask_export(
                window, name, len(shown_rows), panel.model.total, chosen, selected=True
            )
        else:
            export_dialog.ask_export(window, name, len(shown_rows), panel.model.total, chosen)

    def _export_failed(self, exc: BaseException) -> None:
        self._failed(exc, "Export failed", "Export failed.")

    def background_failed(self, exc: BaseException) -> None:
        self._failed(exc, APP_NAME, None)

    def _failed(self, exc: BaseException, title: str, status: str | None) -> None:
        """A known failure in a box titled ``title`` (and ``status``, else its message, in the
        status bar); anything else is a bug report."""
        window = self.window
        if window.closed:
            return
        if isinstance(exc, errors.RosterSyncError):
            window.show_status(status or exc.message)
            show_error(window, title, exc.message)
            return
        crash.report_bug(exc, window)

    def open_settings(self) -> None:
        from rostergui.ui.settings_dialog import SettingsDialog

        window = self.window
        dialog = SettingsDialog(window.settings, window)

        def accepted() -> None:
            dialog.apply()
            if not window.closed:
                window.settings_changed()

        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.accepted.connect(accepted)
        dialog.open()

    @staticmethod
    def _open(dialog: QDialog, finished: Callable[[int], None]) -> None:
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.finished.connect(finished)
        dialog.open()


def show_error(parent: QWidget, title: str, text: str) -> QMessageBox:
    """A non-blocking warning box (the window keeps running, tests are not stuck)."""
    box = QMessageBox(QMessageBox.Icon.Warning, title, text, QMessageBox.StandardButton.Ok, parent)
    box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    box.open()
    return box


def show_about(parent: QWidget, service: RosterService | None) -> QMessageBox:
    box = QMessageBox(parent)
    box.setWindowTitle(f"About {APP_NAME}")
    box.setIconPixmap(icons.app_icon().pixmap(64, 64))
    box.setText(f"<h3>{APP_NAME} {__version__}</h3>")
    text = (
        "Keeps LTI course rosters in sync with your learning management systems through "
        "LTIAAS, shows how fresh each roster is, and exports them to CSV."
    )
    if service is not None:
        url = service.engine.url.render_as_string(hide_password=True)
        text += (
            f"<br><br>Database: {wording.html(url)}"
            f"<br>Keyring: {wording.html(wording.keyring_name(service.secrets.describe()))}"
        )
    box.setInformativeText(text)
    box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    box.open()
    return box


def open_log_folder(service: RosterService | None) -> None:
    from PySide6.QtCore import QUrl
    from PySide6.QtGui import QDesktopServices

    log_file = crash.log_file()
    folder = log_file.parent if log_file is not None else None
    if folder is None and service is not None and service.data_directory is not None:
        folder = Path(service.data_directory)
    if folder is not None:
        QDesktopServices.openUrl(QUrl.fromLocalFile(str(folder)))


def course_menu(window: MainWindow, position: QPoint) -> QMenu | None:
    """Select the course under ``position`` (viewport coordinates of the course list) and
    build the menu of what can be done with it: the window's own actions, so that their state,
    shortcuts and icons are the toolbar's."""
    index = window.course_view.indexAt(position)
    if not index.isValid() or not window.attached:
        return None
    course = index.data(COURSE_ROLE)
    if course is not None and course.name != window.selected_name():
        window.select_course(course.name)
    window._update_actions()
    menu = QMenu(window.course_view)
    menu.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    if course is not None and window.sync.is_pending(course.name):
        # Esc stops the whole round; this stops only the course asked about.
        name = course.name
        stop = menu.addAction(f"Cancel sync of {name}")
        stop.triggered.connect(lambda: window.syncing.cancel_course(name))
    for action in (
        window.sync_action,
        window.edit_action,
        None,
        window.history_action,
        window.export_action,
        None,
        window.remove_action,
    ):
        if action is None:
            menu.addSeparator()
        else:
            menu.addAction(action)
    return menu
