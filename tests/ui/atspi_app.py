"""The demo window, shown scene by scene for the AT-SPI test (``test_accessibility_atspi``).

Run with the project's Python under a real X server and accessibility bus::

    python tests/ui/atspi_app.py

It starts the demo (simulator, sample courses, private keyring), shows the main window on
Biology 101 and then reads scene names from stdin, one a line. For each it sets the scene up
(the History tab, the add course dialog, Settings…), and once it is on screen prints
``READY <window title>`` so that the reader can look for that window; ``quit`` ends it. The
dialogs are opened exactly as the window opens them, so what the reader sees is what Orca
reads. This lives in the tests: the application has no hidden switch that opens its dialogs.
"""

from __future__ import annotations

import queue
import sys
import tempfile
import threading
from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QDialog, QWidget

from rostergui.core.diff import DroppedMember
from rostergui.core.service import RosterService
from rostergui.core.states import Outcome
from rostergui.core.sync import SyncResult
from rostergui.demo import start_demo
from rostergui.ui.app import set_up_application
from rostergui.ui.bug_dialog import BugDialog
from rostergui.ui.course_dialog import CourseDialog, confirm_remove
from rostergui.ui.export_dialog import ExportDialog
from rostergui.ui.find_person import FindPersonWindow
from rostergui.ui.import_dialog import ImportDialog
from rostergui.ui.main_window import MainWindow
from rostergui.ui.mass_drop import MassDropDialog
from rostergui.ui.settings import Settings
from rostergui.ui.settings_dialog import SettingsDialog

COURSE = "Biology 101"
SCENES = (
    "main",
    "history",
    "add-course",
    "edit-course",
    "settings",
    "export",
    "mass-drop",
    "remove-course",
    "bug-report",
    "find-person",
    "import",
)
#: The self-check's scene: the main window with the member table's name removed.
UNNAMED_TABLE = "main-without-table-name"
#: The main window, where a second after it is shown the member filter changes (announced).
FILTERED = "main-then-filter"
#: What the filter is set to in that scene.
FILTER_TEXT = "student"


def held_result() -> SyncResult:
    """A held sync of Biology 101, as the mass-drop question is asked about it."""
    dropped = [
        DroppedMember(f"u{n}", f"Student {n}", f"student{n}@example.edu", "Learner")
        for n in range(30)
    ]
    return SyncResult(
        name=COURSE,
        outcome=Outcome.HELD,
        fetched=10,
        deactivated=110,
        active_count=120,
        would_deactivate=dropped,
    )


class Scenes:
    """Sets up one scene at a time on ``window``."""

    def __init__(self, window: MainWindow, service: RosterService, folder: Path) -> None:
        self.window = window
        self.service = service
        self.folder = folder
        self.dialog: QDialog | None = None

    def clear(self) -> None:
        if self.dialog is not None:
            self.dialog.done(QDialog.DialogCode.Rejected.value)
            self.dialog.deleteLater()
            self.dialog = None
        self.window.pane.show_history(False)
        self.window.member_panel.table.setAccessibleName("Members")
        self.window.member_panel.filter_edit.clear()

    def remove_question(self) -> QDialog:
        course = self.window.selected_course()
        assert course is not None
        return confirm_remove(self.window, course, lambda _remove, _keep: None)

    def filter_members(self) -> None:
        panel = self.window.member_panel
        panel.filter_edit.setFocus()
        panel.filter_edit.setText(FILTER_TEXT)
        panel.flush_filters()

    def set_up(self, scene: str) -> QWidget:
        """The scene's window (the main window or a dialog), opened but maybe not yet shown."""
        self.clear()
        window = self.window
        if scene == "main":
            return window
        if scene == UNNAMED_TABLE:
            window.member_panel.table.setAccessibleName("")
            return window
        if scene == FILTERED:
            # Later, so that the listener is registered; typed as the admin would.
            QTimer.singleShot(1000, self.filter_members)
            return window
        if scene == "history":
            window.history_action.setChecked(True)
            return window
        makers: dict[str, Callable[[], QDialog]] = {
            "add-course": lambda: CourseDialog(self.service, window.runner, parent=window),
            "edit-course": lambda: CourseDialog(
                self.service,
                window.runner,
                editing=window.selected_course(),
                parent=window,
            ),
            "settings": lambda: SettingsDialog(window.settings, window),
            "export": lambda: ExportDialog(
                COURSE,
                window.member_panel.model.rowCount(),
                window.member_panel.model.total,
                folder=self.folder,
                parent=window,
            ),
            "mass-drop": lambda: MassDropDialog(held_result(), window),
            "remove-course": self.remove_question,
            "bug-report": lambda: BugDialog(RuntimeError("example"), window),
            "find-person": lambda: FindPersonWindow(window),
            "import": lambda: ImportDialog(window),
        }
        dialog = makers[scene]()
        dialog.open()
        self.dialog = dialog
        return dialog


def main() -> int:
    app = set_up_application()
    folder = Path(tempfile.mkdtemp(prefix="rostersync-atspi-"))
    demo = start_demo(folder / "data", throwaway=True, latency=0.0)
    window = MainWindow(demo.service, Settings(), title_note="demo (simulated LTIAAS)")
    window.show()
    scenes = Scenes(window, demo.service, folder)
    lines: queue.Queue[str] = queue.Queue()

    def read_stdin() -> None:
        for line in sys.stdin:
            lines.put(line.strip())
        lines.put("quit")

    threading.Thread(target=read_stdin, daemon=True).start()
    state: dict[str, QWidget | None] = {"pending": None}

    def ready(widget: QWidget) -> bool:
        handle = widget.windowHandle()
        if handle is None or not handle.isExposed():
            return False
        if widget is window:
            if not window.course_model.loaded:
                return False
            if window.selected_name() != COURSE:
                window.select_course(COURSE)  # the courses were listed after the scene began
                return False
            return not window.member_panel.loading and not window.runner.busy
        return True

    def poll() -> None:
        pending = state["pending"]
        if pending is not None:
            if ready(pending):
                state["pending"] = None
                print(f"READY {pending.windowTitle()}", flush=True)
            return
        try:
            scene = lines.get_nowait()
        except queue.Empty:
            return
        if scene == "quit":
            scenes.clear()
            window.close()
            app.quit()
            return
        window.select_course(COURSE)
        state["pending"] = scenes.set_up(scene)

    timer = QTimer()
    timer.timeout.connect(poll)
    timer.start(20)
    try:
        return app.exec()
    finally:
        demo.close()


if __name__ == "__main__":
    sys.exit(main())
