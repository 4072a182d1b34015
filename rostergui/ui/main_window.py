"""The main window: courses on the left, the selected course's roster and history on the right.

The window is glue. Courses, rosters and history come from the
:class:`~rostergui.core.service.RosterService`, always through background operations
(:mod:`rostergui.ui.operation`); syncs go through the
:class:`~rostergui.ui.sync_controller.SyncController`, whose window side (sync actions,
progress, the schedule) is the :mod:`rostergui.ui.window_sync` mixin. What the window owns is
the layout, the actions and their shortcuts and remembering its own geometry; the right side
is :mod:`rostergui.ui.roster_pane`, the dialogs are :mod:`rostergui.ui.course_actions`,
and what the message bar says is decided by :mod:`rostergui.ui.wording`.

The window is built in two steps so that it can show before the database is open: the frame
(menus, toolbar, an empty course list saying that the courses are being opened) needs only Qt,
and :meth:`MainWindow.attach` adds everything that works on the service once it is open. This
module therefore imports nothing of the core (SQLAlchemy, httpx, keyring) at load time; the
parts built by ``attach`` and the dialogs are imported where they are first used.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QItemSelectionModel, QModelIndex, QPoint, Qt, QTimer
from PySide6.QtWidgets import (
    QLabel,
    QMenu,
    QPushButton,
    QSplitter,
    QStackedWidget,
    QTabWidget,
    QWidget,
)

from rostergui import APP_NAME
from rostergui.ui import icons, window_messages, wording
from rostergui.ui import settings as opts
from rostergui.ui.course_list import CourseListModel, CourseListView
from rostergui.ui.course_panel import CoursePanel
from rostergui.ui.roles import COURSE_ROLE
from rostergui.ui.settings import Settings
from rostergui.ui.window_courses import CourseListing
from rostergui.ui.window_dialogs import WindowDialogs
from rostergui.ui.window_geometry import PlacedWindow
from rostergui.ui.window_sync import WindowSync

if TYPE_CHECKING:
    from PySide6.QtGui import QCloseEvent

    from rostergui.core.service import RosterService
    from rostergui.core.store.repo import Course
    from rostergui.ui.course_actions import CourseActions
    from rostergui.ui.history import HistoryPanel
    from rostergui.ui.member_view import MemberPanel
    from rostergui.ui.message_bar import MessageBar
    from rostergui.ui.operation import Operations
    from rostergui.ui.roster_pane import RosterPane
    from rostergui.ui.sync_controller import SyncController

TICK_MS = 30_000
HISTORY_SPLITTER_KEY = "window/history_splitter"
#: What the empty course list says until the courses are listed.
OPENING_TEXT = "Opening your courses…"


class MainWindow(PlacedWindow):
    """The window; ``MainWindow(service)`` is ready at once, while ``MainWindow()`` is the light
    frame that can show before the service is open, and :meth:`attach` completes it."""

    # Built by attach(): everything that works on the service.
    empty_page: QWidget
    empty_button: QPushButton
    runner: Operations
    member_panel: MemberPanel
    history_panel: HistoryPanel
    message_bar: MessageBar
    sync: SyncController
    pane: RosterPane
    course_actions: CourseActions
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
        #: Notes for the message bar that are shown until dismissed (the last run crashed…).
        self.notices: list[str] = []
        #: The courses that failed in the last "Sync all", until shown or dismissed.
        self.batch_failed: list[str] = []
        self.batch_text = ""
        #: The error kind of each course's last failed sync seen in this session.
        self.error_kinds: dict[str, str] = {}
        self._title_note = title_note
        self._update_title()
        self.setWindowIcon(icons.app_icon())

        self.course_model = CourseListModel(self)
        self.course_model.stale_after = self.settings.stale_after
        self.course_view = CourseListView(self)
        self.course_view.setModel(self.course_model)
        self.course_view.set_placeholder(OPENING_TEXT)
        self.course_view.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        self.course_view.customContextMenuRequested.connect(self._course_menu)
        self.course_panel = CoursePanel(self.course_model, self.course_view, self)
        self.course_panel.message.connect(self.show_status)

        self.syncing = WindowSync(self)
        self.listing = CourseListing(self)
        self.dialogs = WindowDialogs(self)
        self._build_layout()
        self._build_frame()
        self.course_panel.add_actions(self, beside=self.find_action)
        self.dialogs.build_actions()
        self._connect_actions()
        self._restore_geometry()

        self.tick_timer = QTimer(self)
        self.tick_timer.setInterval(TICK_MS)
        self.tick_timer.timeout.connect(self._tick)
        self.schedule_timer = QTimer(self)
        self.schedule_timer.timeout.connect(self.syncing.scheduled_sync)
        self._update_actions()
        if service is not None:
            self.attach(service)

    def attach(self, service: RosterService) -> None:
        """Complete the window on the now open ``service``: the roster and history panels, the
        sync controller and the timers; then list the courses (in the background)."""
        from rostergui.ui.course_actions import CourseActions
        from rostergui.ui.history import HistoryPanel
        from rostergui.ui.member_view import MemberPanel
        from rostergui.ui.operation import Operations
        from rostergui.ui.roster_pane import RosterPane, build_empty_page
        from rostergui.ui.sync_controller import SyncController

        if self.service is not None:
            raise RuntimeError("the window already has a service")
        self.service = service
        self.runner = Operations(self)
        self.member_panel = MemberPanel(service, self.runner, self.settings, self)
        self.history_panel = HistoryPanel(service, self.runner, self)
        self.sync = SyncController(service, self.runner, self.course_model, self)
        self.course_actions = CourseActions(self, service)
        self.pane = RosterPane(self.course_pane, self.member_panel, self.history_panel)
        self.message_bar = self.pane.message_bar
        self.course_title = self.pane.course_title
        self.course_details = self.pane.course_details
        self.tabs = self.pane.tabs
        self.empty_page, self.empty_button = build_empty_page(self, self.dialogs.add_course)
        self.pages.addWidget(self.empty_page)
        self._connect_course_pane()
        history = self.settings.get_bytes(HISTORY_SPLITTER_KEY)
        if history is not None:
            self.history_panel.splitter.restoreState(history)
        self.tick_timer.start()
        self.syncing.apply_schedule()
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

    def _build_layout(self) -> None:
        # The right side (the selected course) is filled in by attach().
        self.course_pane = QWidget(self)
        self.splitter = QSplitter(Qt.Orientation.Horizontal, self)
        self.splitter.addWidget(self.course_panel)
        self.splitter.addWidget(self.course_pane)
        self.splitter.setStretchFactor(0, 0)
        self.splitter.setStretchFactor(1, 1)
        self.splitter.setSizes([300, 980])
        self.splitter.setChildrenCollapsible(False)
        # Until the courses are listed, the course list itself says that they are opening.
        self.pages = QStackedWidget(self)
        self.pages.addWidget(self.splitter)
        self.setCentralWidget(self.pages)

    def _connect_actions(self) -> None:
        self.add_action.triggered.connect(self.dialogs.add_course)
        self.edit_action.triggered.connect(self.dialogs.edit_course)
        self.remove_action.triggered.connect(self.dialogs.remove_course)
        self.sync_action.triggered.connect(self.syncing.sync_selected)
        self.sync_all_action.triggered.connect(self.syncing.sync_all)
        self.cancel_action.triggered.connect(self.syncing.cancel_sync)
        self.export_action.triggered.connect(self.dialogs.export_roster)
        self.history_action.toggled.connect(self._history_toggled)
        self.settings_action.triggered.connect(self.dialogs.open_settings)
        self.find_action.triggered.connect(self._find)
        self.about_action.triggered.connect(self.dialogs.show_about)
        self.log_action.triggered.connect(self.dialogs.open_log_folder)
        self.quit_action.triggered.connect(self.close)

    def _connect_course_pane(self) -> None:
        self.course_view.selectionModel().currentChanged.connect(self._current_changed)
        # A filter hid the selected course: show no course rather than a hidden one.
        self.course_view.currentLost.connect(
            lambda: self._current_changed(QModelIndex(), QModelIndex())
        )
        self.tabs.currentChanged.connect(self._tab_changed)
        self.member_panel.syncRequested.connect(self.syncing.sync_selected)
        self.member_panel.exportSelectionRequested.connect(self.dialogs.export_selection)
        self.member_panel.loaded.connect(lambda _name: self._update_actions())
        self.sync.started.connect(self.syncing.sync_started)
        self.sync.finished.connect(self.syncing.sync_finished)
        self.sync.idle.connect(self.syncing.sync_idle)
        self.sync.message.connect(self.show_status)
        self.sync.answered.connect(self._question_answered)
        self.course_model.dataChanged.connect(self._course_data_changed)

    def retint_icons(self) -> None:
        super().retint_icons()
        if self.attached:
            self.tabs.setTabIcon(self.tabs.indexOf(self.member_panel), icons.icon("members"))
            self.tabs.setTabIcon(self.tabs.indexOf(self.history_panel), icons.icon("history"))

    # --- geometry -----------------------------------------------------------------------------

    def save_state(self) -> None:
        """Remember the geometry; what belongs to the attached parts (and the last course, once
        the courses were listed) only when they exist, so that a window closed while the
        database was opening does not forget them."""
        s = self.settings
        self._save_geometry()
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
                self.sync.shutdown()  # cancels a running sync
                self.runner.shutdown()  # and waits for it, a bounded time
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
        """Select ``name``, first clearing a filter or opening the section that hides it."""
        if not self.course_panel.reveal(name):
            return False
        row = self.course_model.row_of(name)
        self.course_view.selectionModel().setCurrentIndex(
            self.course_model.index(row),
            QItemSelectionModel.SelectionFlag.ClearAndSelect,
        )
        return True

    def refresh_courses(self, select: str | None = None) -> None:
        """Reload the course list (counts, last sync) in the background, then select
        ``select`` (see :class:`~rostergui.ui.window_courses.CourseListing`)."""
        self.listing.refresh(select)

    def _courses_loaded(self, courses: list[Course], select: str | None = None) -> None:
        before = self.selected_name()
        self.course_model.set_courses(courses)
        self.course_view.set_placeholder("")
        wanted = select or before
        if not courses:
            self.pages.setCurrentWidget(self.empty_page)
            self.member_panel.show_course(None)
            self.history_panel.show_course(None)
        else:
            self.pages.setCurrentWidget(self.splitter)
            shown = self.course_model.visible_names()
            if not (wanted and self.select_course(wanted)) and self.selected_name() is None:
                self.select_course(shown[0] if shown else courses[0].name)
        self._show_course_header()
        self._update_message_bar()
        self._update_actions()
        self.member_panel.set_course(self.selected_course())

    def _current_changed(self, current: QModelIndex, _previous: QModelIndex) -> None:
        course = current.data(COURSE_ROLE) if current.isValid() else None
        name = course.name if course is not None else None
        if name == self.member_panel.course_name:
            return
        self.member_panel.set_course(course)
        self.member_panel.show_course(name)
        self.pane.history_changed(name)
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
            badge = self.course_model.badge(course).text
            self.progress_label.setText(f"{name}: {badge}")
            if self.attached and name == self.selected_name():
                self.member_panel.show_progress(badge)

    def _update_title(self, course: str | None = None) -> None:
        """The selected course and the demo note; the platform adds the application's name
        (its display name), so the title never says it twice."""
        parts = [p for p in (course, self._title_note) if p]
        self.setWindowTitle(" — ".join(parts) if parts else APP_NAME)

    def _show_course_header(self) -> None:
        self._update_title(self.selected_name())
        if self.attached:
            self.pane.show_header(self.selected_course(), self.course_model.now)

    # --- message bar ----------------------------------------------------------------------------

    def show_notice(self, text: str) -> None:
        """A note on the message bar, above any course message, until dismissed."""
        self.notices.append(text)
        self._update_message_bar()

    def dismiss_notice(self) -> None:
        if self.notices:
            self.notices.pop(0)
        self._update_message_bar()

    def _update_message_bar(self) -> None:
        window_messages.update_message_bar(self)

    def show_failed(self, name: str) -> None:
        self.dismiss_batch()
        self.select_course(name)

    def dismiss_batch(self) -> None:
        self.batch_failed = []
        self._update_message_bar()

    def _question_answered(self, _name: str) -> None:
        self._update_message_bar()
        self._update_actions()

    def review(self, name: str) -> None:
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
        for action in (
            self.add_action,
            self.settings_action,
            self.find_action,
            *self.dialogs.actions,
        ):
            action.setEnabled(attached)

    def show_status(self, text: str) -> None:
        self.statusBar().showMessage(text)

    def sync_selected(self) -> None:
        """Sync the selected course (the message bar's "Try again" and the tests call this)."""
        self.syncing.sync_selected()

    def _tick(self) -> None:
        self.course_model.tick()
        self._show_course_header()

    def _course_menu(self, position: QPoint) -> None:
        """The course list's context menu, opened with ``popup`` (which does not wait)."""
        menu = self.build_course_menu(position)
        if menu is not None:
            menu.popup(self.course_view.viewport().mapToGlobal(position))

    def build_course_menu(self, position: QPoint) -> QMenu | None:
        """Select the course under ``position`` (viewport coordinates) and build the menu of
        what can be done with it (see :func:`~rostergui.ui.course_actions.course_menu`)."""
        from rostergui.ui.course_actions import course_menu

        return course_menu(self, position)

    # --- tabs ---------------------------------------------------------------------------------

    def _history_toggled(self, checked: bool) -> None:
        if self.attached:
            self.pane.show_history(checked)

    def _tab_changed(self, _index: int) -> None:
        on_history = self.pane.on_history
        self.history_action.blockSignals(True)
        self.history_action.setChecked(on_history)
        self.history_action.blockSignals(False)
        if on_history:
            self.pane.load_history(self.selected_name())

    def _find(self) -> None:
        if self.attached:
            self.pane.find()

    # --- dialogs ------------------------------------------------------------------------------

    def edit_course(self) -> None:
        """Edit the selected course (the message bar's "Edit course" calls this)."""
        self.dialogs.edit_course()

    def settings_changed(self) -> None:
        self.course_model.set_stale_after(self.settings.stale_after)
        self.syncing.apply_schedule()
        self.show_status(wording.schedule_changed(self.settings.schedule_minutes))
