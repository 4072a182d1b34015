"""The main window: courses on the left, the selected course's roster and history on the right.

The window is glue. Courses, rosters and history come from the
:class:`~rostergui.core.service.RosterService`, always through background tasks; syncs go
through the :class:`~rostergui.ui.sync_controller.SyncController`. What the window owns is the
layout, the actions and their shortcuts, the message bar for the selected course, the schedule
timer and remembering its own geometry.

The window is built in two steps so that it can show before the database is open: the frame
(menus, toolbar, an empty course list saying that the courses are being opened) needs only Qt,
and :meth:`MainWindow.attach` adds everything that works on the service once it is open. This
module therefore imports nothing of the core (SQLAlchemy, httpx, keyring) at load time; the
parts built by ``attach`` and the dialogs are imported where they are first used.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QItemSelectionModel, QModelIndex, Qt, QTimer
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import (
    QLabel,
    QMainWindow,
    QProgressBar,
    QPushButton,
    QSplitter,
    QStackedWidget,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from rostergui import APP_NAME, __version__
from rostergui.core.states import CourseStatus, StatusFilter, Trigger
from rostergui.ui import crash, icons
from rostergui.ui import settings as opts
from rostergui.ui.badges import Tone, last_synced_text
from rostergui.ui.course_list import COURSE_ROLE, CourseListModel, CourseListView, subtitle
from rostergui.ui.settings import Settings

if TYPE_CHECKING:
    from PySide6.QtGui import QCloseEvent
    from PySide6.QtWidgets import QMessageBox

    from rostergui.core.service import RosterService
    from rostergui.core.store.repo import Course, MemberRow
    from rostergui.core.sync import SyncResult
    from rostergui.ui.history import HistoryPanel
    from rostergui.ui.member_view import MemberPanel
    from rostergui.ui.message_bar import MessageBar
    from rostergui.ui.sync_controller import SyncController
    from rostergui.ui.workers import TaskRunner

log = logging.getLogger(__name__)

TICK_MS = 30_000
GEOMETRY_KEY = "window/geometry"
STATE_KEY = "window/state"
SPLITTER_KEY = "window/splitter"
HISTORY_SPLITTER_KEY = "window/history_splitter"
#: What the empty course list says until the courses are listed.
OPENING_TEXT = "Opening your courses…"


class MainWindow(QMainWindow):
    """The window; ``MainWindow(service)`` is ready at once, while ``MainWindow()`` is the light
    frame that can show before the service is open, and :meth:`attach` completes it."""

    # Built by attach(): everything that works on the service.
    empty_page: QWidget
    empty_button: QPushButton
    runner: TaskRunner
    member_panel: MemberPanel
    history_panel: HistoryPanel
    message_bar: MessageBar
    sync: SyncController
    course_title: QLabel
    course_details: QLabel
    tabs: QTabWidget

    def __init__(
        self,
        service: RosterService | None = None,
        settings: Settings | None = None,
        *,
        title_note: str | None = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.service: RosterService | None = None
        self.settings = settings or Settings()
        self._closing = False
        self._courses_generation = 0
        self._pending_select: str | None = None
        self._history_dirty = True
        self.setWindowTitle(f"{APP_NAME} — {title_note}" if title_note else APP_NAME)
        self.setWindowIcon(icons.app_icon())

        self.course_model = CourseListModel(self)
        self.course_model.stale_after = self.settings.stale_after
        self.course_view = CourseListView(self)
        self.course_view.setModel(self.course_model)
        self.course_view.set_placeholder(OPENING_TEXT)

        self._build_actions()
        self._build_layout()
        self._build_menus_and_toolbar()
        self._build_status_bar()
        self._connect_actions()
        self._restore_geometry()

        self.tick_timer = QTimer(self)
        self.tick_timer.setInterval(TICK_MS)
        self.tick_timer.timeout.connect(self._tick)
        self.schedule_timer = QTimer(self)
        self.schedule_timer.timeout.connect(self._scheduled_sync)
        self._update_actions()
        if service is not None:
            self.attach(service)

    def attach(self, service: RosterService) -> None:
        """Complete the window on the now open ``service``: the roster and history panels, the
        sync controller and the timers; then list the courses (in the background)."""
        from rostergui.ui.history import HistoryPanel
        from rostergui.ui.member_view import MemberPanel
        from rostergui.ui.message_bar import MessageBar
        from rostergui.ui.sync_controller import SyncController
        from rostergui.ui.workers import TaskRunner

        if self.service is not None:
            raise RuntimeError("the window already has a service")
        self.service = service
        self.runner = TaskRunner(self)
        self.member_panel = MemberPanel(service, self.runner, self.settings, self)
        self.history_panel = HistoryPanel(service, self.runner, self)
        self.message_bar = MessageBar(self)
        self.sync = SyncController(service, self.runner, self.course_model, self)
        self._build_course_pane()
        self._build_empty_page()
        self._connect_course_pane()
        history = self.settings.get_bytes(HISTORY_SPLITTER_KEY)
        if history is not None:
            self.history_panel.splitter.restoreState(history)
        self.tick_timer.start()
        self._apply_schedule()
        self._update_actions()
        self.refresh_courses(select=self.settings.get(opts.LAST_COURSE) or None)

    @property
    def attached(self) -> bool:
        """Whether the service is open and the window complete (see :meth:`attach`)."""
        return self.service is not None

    @property
    def closed(self) -> bool:
        """Whether the window was closed (its background work is stopped for good)."""
        return self._closing

    # --- construction -------------------------------------------------------------------------

    def _action(
        self,
        text: str,
        icon: str | None = None,
        shortcuts: list[QKeySequence] | None = None,
        tip: str | None = None,
    ) -> QAction:
        action = QAction(text, self)
        if icon:
            action.setIcon(icons.icon(icon))
        if shortcuts:
            action.setShortcuts(shortcuts)
        if tip:
            keys = ", ".join(
                s.toString(QKeySequence.SequenceFormat.NativeText) for s in shortcuts or []
            )
            action.setToolTip(f"{tip} ({keys})" if keys else tip)
            action.setStatusTip(tip)
        self.addAction(action)
        return action

    def _build_actions(self) -> None:
        key = QKeySequence
        self.add_action = self._action(
            "&Add course…", "add", [key(key.StandardKey.New)], "Add a course from LTIAAS"
        )
        self.edit_action = self._action(
            "&Edit course…", None, None, "Rename the selected course or give it new keys"
        )
        self.remove_action = self._action(
            "&Remove course…", "remove", None, "Remove the selected course"
        )
        self.sync_action = self._action(
            "&Sync now", "sync", [key("F5")], "Fetch the selected course's roster now"
        )
        self.sync_all_action = self._action(
            "Sync &all",
            "sync-all",
            [key("Shift+F5"), key("Ctrl+Shift+F5")],
            "Sync every course, one after another",
        )
        self.cancel_action = self._action(
            "&Cancel sync",
            "cancel",
            [key("Esc")],
            "Stop syncing; the stored roster stays as it was",
        )
        self.export_action = self._action(
            "&Export…", "export", [key("Ctrl+E")], "Export the roster to a CSV file"
        )
        self.history_action = self._action(
            "&History", "history", [key("Ctrl+H")], "Show the sync history of the course"
        )
        self.history_action.setCheckable(True)
        self.settings_action = self._action(
            "Se&ttings…", "settings", [key("Ctrl+,")], "Scheduled syncs and the stale threshold"
        )
        self.find_action = self._action("&Find members", None, [key(key.StandardKey.Find)])
        self.about_action = self._action("&About RosterSync", "about")
        self.log_action = self._action("Open the &log folder")
        self.quit_action = self._action("&Quit", None, [key(key.StandardKey.Quit)])

    def _build_layout(self) -> None:
        # The right side (the selected course) is filled in by attach().
        self.course_pane = QWidget(self)
        self.splitter = QSplitter(Qt.Orientation.Horizontal, self)
        self.splitter.addWidget(self.course_view)
        self.splitter.addWidget(self.course_pane)
        self.splitter.setStretchFactor(0, 0)
        self.splitter.setStretchFactor(1, 1)
        self.splitter.setSizes([300, 980])
        self.splitter.setChildrenCollapsible(False)
        # Until the courses are listed, the course list itself says that they are opening.
        self.pages = QStackedWidget(self)
        self.pages.addWidget(self.splitter)
        self.setCentralWidget(self.pages)

    def _build_empty_page(self) -> None:
        """What the window shows when there are no courses yet (known once attached)."""
        empty = QWidget(self)
        empty_layout = QVBoxLayout(empty)
        logo = QLabel(empty)
        logo.setPixmap(icons.app_icon().pixmap(96, 96))
        logo.setAlignment(Qt.AlignmentFlag.AlignCenter)
        heading = QLabel("<h2>No courses yet</h2>", empty)
        heading.setAlignment(Qt.AlignmentFlag.AlignCenter)
        text = QLabel(
            "Add a course with its LTIAAS address, API key and a launch token or service key. "
            "RosterSync then keeps its roster here, shows how fresh it is, and exports it.",
            empty,
        )
        text.setWordWrap(True)
        text.setAlignment(Qt.AlignmentFlag.AlignCenter)
        # A box layout ignores height-for-width for aligned items: size the wrapped text
        # ourselves so no line is cut off.
        text.setFixedWidth(520)
        text.setMinimumHeight(text.heightForWidth(520))
        self.empty_button = QPushButton(icons.icon("add"), "Add your first course…", empty)
        self.empty_button.setAccessibleName("Add your first course")
        self.empty_button.clicked.connect(self.add_course)
        empty_layout.addStretch(2)
        empty_layout.addWidget(logo)
        empty_layout.addWidget(heading)
        empty_layout.addWidget(text, 0, Qt.AlignmentFlag.AlignHCenter)
        empty_layout.addWidget(self.empty_button, 0, Qt.AlignmentFlag.AlignHCenter)
        empty_layout.addStretch(3)
        self.empty_page = empty
        self.pages.addWidget(self.empty_page)

    def _build_course_pane(self) -> None:
        """The selected course: its header, the message bar and the Members / History tabs."""
        self.course_title = QLabel(self.course_pane)
        self.course_title.setAccessibleName("Selected course")
        font = self.course_title.font()
        font.setPointSizeF(font.pointSizeF() * 1.35)
        font.setBold(True)
        self.course_title.setFont(font)
        self.course_details = QLabel(self.course_pane)
        self.course_details.setWordWrap(True)
        self.course_details.setAccessibleName("Course details")
        self.course_details.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.tabs = QTabWidget(self.course_pane)
        self.tabs.setAccessibleName("Course views")
        self.tabs.addTab(self.member_panel, icons.icon("members"), "Members")
        self.tabs.addTab(self.history_panel, icons.icon("history"), "History")
        layout = QVBoxLayout(self.course_pane)
        layout.setContentsMargins(8, 4, 4, 4)
        layout.addWidget(self.course_title)
        layout.addWidget(self.course_details)
        layout.addWidget(self.message_bar)
        layout.addWidget(self.tabs, 1)

    def _build_menus_and_toolbar(self) -> None:
        bar = self.menuBar()
        file_menu = bar.addMenu("&File")
        file_menu.addAction(self.export_action)
        file_menu.addSeparator()
        file_menu.addAction(self.settings_action)
        file_menu.addSeparator()
        file_menu.addAction(self.quit_action)
        course_menu = bar.addMenu("&Course")
        for action in (
            self.add_action,
            self.edit_action,
            self.remove_action,
            None,
            self.sync_action,
            self.sync_all_action,
            self.cancel_action,
        ):
            if action is None:
                course_menu.addSeparator()
            else:
                course_menu.addAction(action)
        view_menu = bar.addMenu("&View")
        view_menu.addAction(self.find_action)
        view_menu.addAction(self.history_action)
        help_menu = bar.addMenu("&Help")
        help_menu.addAction(self.log_action)
        help_menu.addAction(self.about_action)

        toolbar = self.addToolBar("Main")
        toolbar.setObjectName("mainToolbar")
        toolbar.setMovable(False)
        toolbar.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        for action in (
            self.add_action,
            self.remove_action,
            None,
            self.sync_action,
            self.sync_all_action,
            self.cancel_action,
            None,
            self.export_action,
            self.history_action,
            None,
            self.settings_action,
        ):
            if action is None:
                toolbar.addSeparator()
            else:
                toolbar.addAction(action)
        self.toolbar = toolbar

    def _build_status_bar(self) -> None:
        status = self.statusBar()
        self.progress_label = QLabel(self)
        self.progress_bar = QProgressBar(self)
        self.progress_bar.setRange(0, 0)
        self.progress_bar.setMaximumWidth(120)
        self.progress_bar.setMaximumHeight(14)
        self.progress_bar.setTextVisible(False)
        self.progress_bar.setAccessibleName("Sync in progress")
        status.addPermanentWidget(self.progress_label)
        status.addPermanentWidget(self.progress_bar)
        self._show_progress(None)

    def _connect_actions(self) -> None:
        self.add_action.triggered.connect(self.add_course)
        self.edit_action.triggered.connect(self.edit_course)
        self.remove_action.triggered.connect(self.remove_course)
        self.sync_action.triggered.connect(self.sync_selected)
        self.sync_all_action.triggered.connect(self.sync_all)
        self.cancel_action.triggered.connect(self.cancel_sync)
        self.export_action.triggered.connect(self.export_roster)
        self.history_action.toggled.connect(self._history_toggled)
        self.settings_action.triggered.connect(self.open_settings)
        self.find_action.triggered.connect(self._find)
        self.about_action.triggered.connect(self.show_about)
        self.log_action.triggered.connect(self.open_log_folder)
        self.quit_action.triggered.connect(self.close)

    def _connect_course_pane(self) -> None:
        self.course_view.selectionModel().currentChanged.connect(self._current_changed)
        self.tabs.currentChanged.connect(self._tab_changed)
        self.member_panel.syncRequested.connect(self.sync_selected)
        self.member_panel.loaded.connect(lambda _name: self._update_actions())
        self.sync.started.connect(self._sync_started)
        self.sync.finished.connect(self._sync_finished)
        self.sync.idle.connect(self._sync_idle)
        self.sync.message.connect(self.show_status)
        self.course_model.dataChanged.connect(self._course_data_changed)

    # --- geometry -----------------------------------------------------------------------------

    def _restore_geometry(self) -> None:
        s = self.settings
        geometry = s.get_bytes(GEOMETRY_KEY)
        if geometry is None or not self.restoreGeometry(geometry):
            self.resize(1280, 800)
        state = s.get_bytes(STATE_KEY)
        if state is not None:
            self.restoreState(state)
        splitter = s.get_bytes(SPLITTER_KEY)
        if splitter is not None:
            self.splitter.restoreState(splitter)

    def save_state(self) -> None:
        """Remember the geometry; what belongs to the attached parts (and the last course, once
        the courses were listed) only when they exist, so that a window closed while the
        database was opening does not forget them."""
        s = self.settings
        s.set_bytes(GEOMETRY_KEY, self.saveGeometry())
        s.set_bytes(STATE_KEY, self.saveState())
        s.set_bytes(SPLITTER_KEY, self.splitter.saveState())
        if self.attached:
            s.set_bytes(HISTORY_SPLITTER_KEY, self.history_panel.splitter.saveState())
            self.member_panel.save_state()
        if self.course_model.loaded:
            s.set(opts.LAST_COURSE, self.selected_name() or "")
        s.sync()

    def closeEvent(self, event: QCloseEvent) -> None:
        if not self._closing:
            self._closing = True
            self.save_state()
            self.tick_timer.stop()
            self.schedule_timer.stop()
            if self.attached:
                self.sync.shutdown()
                self.runner.shutdown()
        super().closeEvent(event)

    # --- courses ------------------------------------------------------------------------------

    def selected_name(self) -> str | None:
        index = self.course_view.currentIndex()
        if not index.isValid():
            return None
        course = index.data(COURSE_ROLE)
        return course.name if course is not None else None

    def selected_course(self) -> Course | None:
        name = self.selected_name()
        return self.course_model.course(name) if name else None

    def select_course(self, name: str) -> bool:
        row = self.course_model.row_of(name)
        if row < 0:
            return False
        self.course_view.selectionModel().setCurrentIndex(
            self.course_model.index(row),
            QItemSelectionModel.SelectionFlag.ClearAndSelect,
        )
        return True

    def refresh_courses(self, select: str | None = None) -> None:
        """Reload the course list (counts, last sync) in the background."""
        service = self.service
        if service is None:
            return
        self._courses_generation += 1
        generation = self._courses_generation
        if select:
            self._pending_select = select
        self.runner.run(
            lambda: service.courses(include_archived=True),
            lambda courses: self._courses_loaded(generation, courses),
            self._background_failed,
            name="courses",
        )

    def _courses_loaded(self, generation: int, courses: list[Course]) -> None:
        if self._closing or generation != self._courses_generation:
            return
        before = self.selected_name()
        self.course_model.set_courses(courses)
        self.course_view.set_placeholder("")
        wanted = self._pending_select or before
        self._pending_select = None
        if not courses:
            self.pages.setCurrentWidget(self.empty_page)
            self.member_panel.show_course(None)
            self.history_panel.show_course(None)
        else:
            self.pages.setCurrentWidget(self.splitter)
            if not (wanted and self.select_course(wanted)) and self.selected_name() is None:
                self.select_course(courses[0].name)
        self._show_course_header()
        self._update_message_bar()
        self._update_actions()

    def _current_changed(self, current: QModelIndex, _previous: QModelIndex) -> None:
        course = current.data(COURSE_ROLE) if current.isValid() else None
        name = course.name if course is not None else None
        if name == self.member_panel.course_name:
            return
        self.member_panel.show_course(name)
        self._history_dirty = True
        if self.tabs.currentWidget() is self.history_panel:
            self._load_history()
        self._show_course_header()
        self._update_message_bar()
        self._update_actions()

    def _course_data_changed(self, *_args: Any) -> None:
        # Badges changed (progress, a tick): keep the header, the buttons and the status bar's
        # progress label in step.
        self._show_course_header()
        self._update_actions()
        name = self.sync.current_name
        course = self.course_model.course(name) if name else None
        if course is not None:
            self.progress_label.setText(f"{name}: {self.course_model.badge(course).text}")

    def _show_course_header(self) -> None:
        course = self.selected_course()
        if course is None:
            self.course_title.setText("")
            self.course_details.setText("")
            return
        self.course_title.setText(course.name)
        now = self.course_model.now
        parts = [subtitle(course).split(" · ")[0]]
        if course.platform_id and course.platform_id not in parts[0]:
            parts.append(course.platform_id)
        parts.append(f"{course.active_count:,} active of {course.member_count:,} stored")
        parts.append(last_synced_text(course, now))
        self.course_details.setText(" · ".join(parts))

    # --- message bar ----------------------------------------------------------------------------

    def _update_message_bar(self) -> None:
        course = self.selected_course()
        bar = self.message_bar
        if course is None:
            bar.clear()
            return
        name = course.name
        if name in self.sync.held:
            result = self.sync.held[name]
            bar.show_message(
                f"The last sync was held: the LMS sent {result.fetched:,} members and "
                f"{result.deactivated:,} of {result.active_count:,} active members would be "
                "dropped. Nothing was changed. Review the list before applying it.",
                Tone.HELD,
                [("Review…", lambda: self._review(name))],
            )
            return
        if course.archived_at is not None:
            bar.show_message(
                "This course was removed; its roster is kept for reference and no longer "
                "syncs. Add the course again to sync it.",
                Tone.MUTED,
            )
            return
        if course.last_status == CourseStatus.FAILED:
            synced = last_synced_text(course, self.course_model.now)
            kept = (
                f"The roster below is from the last good sync ({synced})."
                if course.last_synced_at
                else "No roster has been stored yet."
            )
            reason = _html(course.last_error or "No reason was recorded.")
            bar.show_message(
                f"<b>The last sync failed.</b> {reason}<br>{kept}",
                Tone.FAILED,
                [("Try again", self.sync_selected)],
            )
            return
        if course.roster_available is False:
            bar.show_message(
                "LTIAAS reported that the roster service (Names and Roles) is not available "
                "for this course; enable it in the LMS's tool settings and add the course "
                "again from a fresh launch.",
                Tone.HELD,
            )
            return
        bar.clear()

    def _review(self, name: str) -> None:
        self.sync.review(name)
        self._update_message_bar()

    # --- actions ------------------------------------------------------------------------------

    def _update_actions(self) -> None:
        course = self.selected_course()  # always None until attached: no courses are listed
        attached = self.attached
        busy = attached and self.sync.busy
        syncable = course is not None and course.archived_at is None
        pending = course is not None and self.sync.is_pending(course.name)
        self.sync_action.setEnabled(syncable and not pending)
        self.sync_all_action.setEnabled(
            any(c.archived_at is None for c in self.course_model.courses)
        )
        self.cancel_action.setEnabled(busy)
        self.remove_action.setEnabled(course is not None and not pending)
        self.edit_action.setEnabled(syncable and not pending)
        self.export_action.setEnabled(
            course is not None
            and not self.member_panel.loading
            and self.member_panel.model.total > 0
        )
        self.history_action.setEnabled(course is not None)
        for action in (self.add_action, self.settings_action, self.find_action):
            action.setEnabled(attached)

    def show_status(self, text: str) -> None:
        self.statusBar().showMessage(text)

    def _show_progress(self, name: str | None) -> None:
        self.progress_bar.setVisible(name is not None)
        self.progress_label.setVisible(name is not None)
        self.progress_label.setText(f"Syncing {name}…" if name else "")

    def sync_selected(self) -> None:
        course = self.selected_course()
        if course is None or course.archived_at is not None:
            return
        if not self.sync.sync(course.name):
            self.show_status(f"{course.name} is already syncing.")
        self._update_actions()

    def sync_all(self, *, trigger: Trigger = Trigger.MANUAL) -> int:
        names = [c.name for c in self.course_model.courses if c.archived_at is None]
        queued = self.sync.sync_all(names, trigger=trigger)
        self._update_actions()
        return queued

    def cancel_sync(self) -> None:
        if self.sync.busy:
            self.sync.cancel()
        self._update_actions()

    def _sync_started(self, name: str) -> None:
        self._show_progress(name)
        self._update_message_bar()  # a held course being re-synced is no longer held
        self._update_actions()

    def _sync_finished(self, result: SyncResult) -> None:
        if self._closing:
            return
        self._show_progress(None)
        selected = self.selected_name()
        if result.name == selected:
            if result.ok:
                self.member_panel.show_course(selected, reload=True)
            self._history_dirty = True
            if self.tabs.currentWidget() is self.history_panel:
                self._load_history()
        self.refresh_courses()
        self._update_actions()

    def _sync_idle(self, summary: str) -> None:
        self._show_progress(None)
        self.show_status(summary)
        self._update_actions()

    def _scheduled_sync(self) -> None:
        if self.sync.busy or self._closing:
            return
        queued = self.sync_all(trigger=Trigger.SCHEDULE)
        log.info("Scheduled sync of %d courses", queued)

    def _apply_schedule(self) -> None:
        minutes = self.settings.schedule_minutes
        if minutes > 0 and self.attached:
            self.schedule_timer.start(minutes * 60_000)
        else:
            self.schedule_timer.stop()

    def _tick(self) -> None:
        self.course_model.tick()
        self._show_course_header()

    # --- tabs ---------------------------------------------------------------------------------

    def _history_toggled(self, checked: bool) -> None:
        self.tabs.setCurrentWidget(self.history_panel if checked else self.member_panel)

    def _tab_changed(self, _index: int) -> None:
        on_history = self.tabs.currentWidget() is self.history_panel
        self.history_action.blockSignals(True)
        self.history_action.setChecked(on_history)
        self.history_action.blockSignals(False)
        if on_history:
            self._load_history()

    def _load_history(self) -> None:
        if self._history_dirty or self.history_panel.course_name != self.selected_name():
            self._history_dirty = False
            self.history_panel.show_course(self.selected_name())

    def _find(self) -> None:
        self.tabs.setCurrentWidget(self.member_panel)
        self.member_panel.focus_filter()

    # --- dialogs ------------------------------------------------------------------------------

    def add_course(self) -> None:
        from rostergui.ui import course_dialog

        if self.service is None:
            return
        courses = self.course_model.courses
        dialog = course_dialog.CourseDialog(
            self.service,
            self.runner,
            existing=[c.name for c in courses],
            base_url=courses[0].base_url if courses else "",
            parent=self,
        )
        try:
            dialog.exec()
            added = dialog.added
        finally:
            dialog.deleteLater()
        if added is not None:
            self.show_status(f"Added {added.name}. Press Sync now (F5) to fetch its roster.")
            self.refresh_courses(select=added.name)

    def edit_course(self) -> None:
        from rostergui.ui import course_dialog

        course = self.selected_course()
        if self.service is None or course is None or self.sync.is_pending(course.name):
            return
        dialog = course_dialog.CourseDialog(
            self.service,
            self.runner,
            existing=[c.name for c in self.course_model.courses],
            editing=course,
            parent=self,
        )
        try:
            dialog.exec()
            saved = dialog.added
        finally:
            dialog.deleteLater()
        if saved is not None:
            self.show_status(f"Saved {saved.name}.")
            self.refresh_courses(select=saved.name)

    def remove_course(self) -> None:
        from rostergui.ui import course_dialog

        course, service = self.selected_course(), self.service
        if service is None or course is None or self.sync.is_pending(course.name):
            return
        remove, keep = course_dialog.confirm_remove(self, course)
        if not remove:
            return
        name = course.name

        def done(_result: object) -> None:
            self.show_status(
                f"Removed {name}" + ("; its roster is kept for reference." if keep else ".")
            )
            self.refresh_courses()

        self.runner.run(
            lambda: service.remove_course(name, keep_roster=keep),
            done,
            self._background_failed,
            name="remove course",
        )

    def export_roster(self) -> None:
        from rostergui.core import export
        from rostergui.ui import export_dialog

        course, service = self.selected_course(), self.service
        if service is None or course is None or self.member_panel.loading:
            return
        panel = self.member_panel
        panel.flush_filters()
        shown_rows: list[MemberRow] = panel.model.shown_rows()
        choice = export_dialog.ask_export(self, course.name, len(shown_rows), panel.model.total)
        if choice is None:
            return
        name = course.name

        def job() -> int:
            if choice.whole_course:
                return service.export(name, choice.path, status=StatusFilter.ALL)
            return export.write_csv(shown_rows, choice.path)

        def done(count: int) -> None:
            self.show_status(f"Exported {count:,} members of {name} to {choice.path}")

        self.show_status(f"Exporting {name}…")
        self.runner.run(job, done, self._export_failed, name="export")

    def _export_failed(self, exc: BaseException) -> None:
        from rostergui.core import errors

        if isinstance(exc, errors.RosterSyncError):
            self.show_status("Export failed.")
            show_error(self, "Export failed", exc.message)
            return
        crash.report_bug(exc, self)

    def _background_failed(self, exc: BaseException) -> None:
        from rostergui.core import errors

        if self._closing:
            return
        if isinstance(exc, errors.RosterSyncError):
            self.show_status(exc.message)
            show_error(self, APP_NAME, exc.message)
            return
        crash.report_bug(exc, self)

    def open_settings(self) -> None:
        from rostergui.ui.settings_dialog import SettingsDialog

        dialog = SettingsDialog(self.settings, self)
        try:
            if dialog.exec() != SettingsDialog.DialogCode.Accepted:
                return
            dialog.apply()
        finally:
            dialog.deleteLater()
        self.settings_changed()

    def settings_changed(self) -> None:
        self.course_model.set_stale_after(self.settings.stale_after)
        self._apply_schedule()
        minutes = self.settings.schedule_minutes
        self.show_status(
            f"Every course will sync every {minutes} minutes while this window is open."
            if minutes
            else "Scheduled syncs are off."
        )

    def show_about(self) -> None:
        from PySide6.QtWidgets import QMessageBox

        box = QMessageBox(self)
        box.setWindowTitle(f"About {APP_NAME}")
        box.setIconPixmap(icons.app_icon().pixmap(64, 64))
        box.setText(f"<h3>{APP_NAME} {__version__}</h3>")
        text = (
            "Keeps LTI course rosters in sync with your learning management systems through "
            "LTIAAS, shows how fresh each roster is, and exports them to CSV."
        )
        service = self.service
        if service is not None:
            url = service.engine.url.render_as_string(hide_password=True)
            text += (
                f"<br><br>Database: {_html(url)}<br>Keyring: {_html(service.secrets.describe())}"
            )
        box.setInformativeText(text)
        box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        box.open()

    def open_log_folder(self) -> None:
        from PySide6.QtCore import QUrl
        from PySide6.QtGui import QDesktopServices

        if crash.log_path:
            folder: Path | None = crash.log_path.parent
        else:
            folder = self.service.data_directory if self.service is not None else None
        if folder is not None:
            QDesktopServices.openUrl(QUrl.fromLocalFile(str(Path(folder))))


def show_error(parent: QWidget, title: str, text: str) -> QMessageBox:
    """A non-blocking warning box (the window keeps running, tests are not stuck)."""
    from PySide6.QtWidgets import QMessageBox

    box = QMessageBox(QMessageBox.Icon.Warning, title, text, QMessageBox.StandardButton.Ok, parent)
    box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    box.open()
    return box


def _html(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
