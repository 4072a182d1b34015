"""The roster panel: filters, the member table and its role summary.

The roster of the selected course is loaded once with every status (a worker builds the rows,
folds their search text and puts them in the table's sort order), then filtered by text, role
and status entirely in memory, so
switching "active" to "all" never goes back to the database. The role and status filters, column
widths and the sort are remembered between sessions; the filter text belongs to one course and
one session, so no course opens looking empty. When the filters hide every row the table says
so, with the one click that shows them again.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import replace
from typing import Any

from PySide6.QtCore import QItemSelectionModel, Qt, Signal
from PySide6.QtWidgets import (
    QComboBox,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from rostergui.core import errors
from rostergui.core.roles import ToolRole
from rostergui.core.service import RosterService
from rostergui.core.states import StatusFilter
from rostergui.core.store.repo import Course, MemberRow
from rostergui.ui import accessible, wording
from rostergui.ui import settings as opts
from rostergui.ui.announce import announce
from rostergui.ui.member_model import MemberTableModel
from rostergui.ui.member_table import FilterEdit, MemberTable
from rostergui.ui.operation import Operations
from rostergui.ui.roster_index import (
    HIDDEN_BY_DEFAULT,
    Column,
    Filters,
    PreparedRoster,
    SortOrder,
    release,
)
from rostergui.ui.runtime import collection_paused, exempt_from_collection
from rostergui.ui.settings import Settings
from rostergui.ui.throttle import Throttle

log = logging.getLogger(__name__)

FILTER_INTERVAL_MS = 150
#: From this many members on, a loaded roster is kept out of the garbage collector's walks.
LARGE_ROSTER = 20_000
HEADER_KEY = "members/header"
_STATUS_CHOICES = (
    ("Active", StatusFilter.ACTIVE),
    ("Inactive", StatusFilter.INACTIVE),
    ("All statuses", StatusFilter.ALL),
)
_DEFAULT_ORDER = (Column.NAME, Column.ROLE, Column.STATUS, Column.EMAIL, Column.USER_ID)
_DEFAULT_WIDTHS = {
    Column.NAME: 185,
    Column.EMAIL: 205,
    Column.USER_ID: 110,
    Column.ROLE: 130,
    Column.STATUS: 65,
    Column.FIRST_SEEN: 125,
}


def _ignore(_result: None) -> None:
    pass


def load_roster(
    fetch: Callable[[], Sequence[MemberRow]], sort: SortOrder, *, large: bool = True
) -> PreparedRoster:
    """The loading operation's work, off the GUI thread: fetch the rows and prepare them to show in
    ``sort`` order.

    A big roster must neither set off full garbage collections while its rows are allocated
    nor be walked by every later one (see :func:`~rostergui.ui.runtime.collection_paused`).
    A roster known to be small (``large=False``) loads with the collector on: the pause is
    process-wide, and the syncs running meanwhile would pile up their garbage for one long
    collection that holds every thread, the window's included, once it ends.
    """
    if not large:
        roster = PreparedRoster.build(fetch(), sort=sort)
        if len(roster.rows) >= LARGE_ROSTER:
            exempt_from_collection()
        return roster
    with collection_paused():
        roster = PreparedRoster.build(fetch(), sort=sort)
        if len(roster.rows) >= LARGE_ROSTER:
            exempt_from_collection()
    return roster


class MemberPanel(QWidget):
    """Filters + table + summary for one course at a time."""

    #: The empty-roster page's "Sync now" button was pressed.
    syncRequested = Signal()
    #: "Export selection…" was chosen in the table's menu.
    exportSelectionRequested = Signal()
    #: A roster finished loading (course name).
    loaded = Signal(str)
    #: Loading failed; the message is for the user.
    loadFailed = Signal(str)

    def __init__(
        self,
        service: RosterService,
        runner: Operations,
        settings: Settings,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.service = service
        self.runner = runner
        self.settings = settings
        self.course_name: str | None = None
        #: The course as last listed (what an empty roster says depends on its state).
        self.course: Course | None = None
        self._generation = 0
        self.loading = False

        self.model = MemberTableModel(self)
        self.model.release = self._release_later
        self.filter_edit = FilterEdit(self)
        self.filter_edit.setPlaceholderText("Filter by name, email or user id — words in any order")
        self.filter_edit.setClearButtonEnabled(True)
        self.filter_edit.setAccessibleName("Filter members")
        self.role_combo = QComboBox(self)
        self.role_combo.setAccessibleName("Role filter")
        self.role_combo.setAccessibleDescription("Show only members with this role")
        self.role_combo.setToolTip("Show only members with this role")
        self.role_combo.addItem("All roles", "")
        for role in ToolRole:
            self.role_combo.addItem(role.value, role.value)
        self.status_combo = QComboBox(self)
        self.status_combo.setAccessibleName("Status filter")
        self.status_combo.setAccessibleDescription("Show active members, inactive ones or both")
        self.status_combo.setToolTip("Show active members, inactive ones or both")
        for label, value in _STATUS_CHOICES:
            self.status_combo.addItem(label, value)
        self.summary_label = QLabel(self)
        self.summary_label.setAccessibleName("Members shown")
        self.summary_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)

        self.table = MemberTable(self)
        self.table.setModel(self.model)
        self.table.exportSelectionRequested.connect(self.exportSelectionRequested)
        self.message = QLabel(self)
        self.message.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.message.setWordWrap(True)
        self.message_button = QPushButton("Sync now", self)
        self.message_button.clicked.connect(self._message_clicked)
        #: What the message page's button does now.
        self._message_action: Callable[[], None] = self.syncRequested.emit
        #: The message page says the filters hide every row.
        self.filters_hide_all = False
        message_page = QWidget(self)
        message_layout = QVBoxLayout(message_page)
        message_layout.addStretch(1)
        message_layout.addWidget(self.message)
        message_layout.addWidget(self.message_button, 0, Qt.AlignmentFlag.AlignHCenter)
        message_layout.addStretch(2)
        self.stack = QStackedWidget(self)
        self.stack.addWidget(self.table)
        self.stack.addWidget(message_page)

        filters = QHBoxLayout()
        filters.addWidget(self.filter_edit, 1)
        filters.addWidget(self.role_combo)
        filters.addWidget(self.status_combo)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(filters)
        layout.addWidget(self.stack, 1)
        layout.addWidget(self.summary_label)

        self._throttle = Throttle(self._filters_changed, FILTER_INTERVAL_MS, self)
        self._restore()
        self.filter_edit.textChanged.connect(self._throttle)
        self.role_combo.currentIndexChanged.connect(self._filters_changed)
        self.status_combo.currentIndexChanged.connect(self._filters_changed)
        self.model.summaryChanged.connect(self.summary_label.setText)
        self.show_message("Select a course to see its roster.", button=False)
        accessible.name_helpers(self)

    # --- settings ---------------------------------------------------------------------------

    def _restore(self) -> None:
        s = self.settings
        header = self.table.horizontalHeader()
        for column, width in _DEFAULT_WIDTHS.items():
            header.resizeSection(column, width)
        # Name, role and status first: they stay in view in a narrow window.
        for position, column in enumerate(_DEFAULT_ORDER):
            header.moveSection(header.visualIndex(column), position)
        state = s.get_bytes(HEADER_KEY)
        #: Column widths come from the content of the first roster shown, unless remembered.
        self._fit_columns = state is None or not header.restoreState(state)
        if self._fit_columns:
            for column in HIDDEN_BY_DEFAULT:
                header.hideSection(column)
        header.setStretchLastSection(False)  # a state saved by an older version may set it
        self._select_data(self.role_combo, s.get(opts.FILTER_ROLE))
        self._select_data(self.status_combo, s.get(opts.FILTER_STATUS))
        sort_column = s.get(opts.SORT_COLUMN)
        order = (
            Qt.SortOrder.DescendingOrder
            if s.get(opts.SORT_DESCENDING)
            else Qt.SortOrder.AscendingOrder
        )
        self.table.sortByColumn(sort_column if 0 <= sort_column < len(Column) else 0, order)
        self.apply_filters()

    def save_state(self) -> None:
        s = self.settings
        header = self.table.horizontalHeader()
        s.set_bytes(HEADER_KEY, header.saveState())
        f = self.current_filters()
        s.store.remove(opts.FILTER_TEXT.key)  # older versions kept it; it hid whole rosters
        s.set(opts.FILTER_ROLE, f.role)
        s.set(opts.FILTER_STATUS, f.status)
        s.set(opts.SORT_COLUMN, header.sortIndicatorSection())
        s.set(opts.SORT_DESCENDING, header.sortIndicatorOrder() == Qt.SortOrder.DescendingOrder)

    @staticmethod
    def _select_data(combo: QComboBox, value: str) -> None:
        found = combo.findData(value)
        combo.setCurrentIndex(max(0, found))

    # --- filters ----------------------------------------------------------------------------

    def current_filters(self) -> Filters:
        return Filters(
            text=self.filter_edit.text(),
            role=str(self.role_combo.currentData() or ""),
            status=StatusFilter(self.status_combo.currentData() or StatusFilter.ACTIVE),
        )

    def apply_filters(self) -> None:
        self.model.set_filters(self.current_filters())
        self._show_hidden_rows()

    def _filters_changed(self) -> None:
        """The admin changed a filter: apply it and announce how many members it shows (a
        screen reader user cannot see the table shrink), or that it hides them all."""
        before = self.model.summary()
        self.apply_filters()
        if self.course_name is None or self.loading or not self.isVisible():
            return
        if self.filters_hide_all:
            announce(self, self.message.text())
        elif self.model.summary() != before:
            announce(self, self.model.summary())

    def clear_filters(self) -> None:
        """Show every member again: no text, every role, and the status that has members."""
        self._set_filters(Filters(text="", role="", status=self._status_with_rows(Filters())))
        announce(self, self.model.summary())

    def _set_filters(self, filters: Filters) -> None:
        for widget in (self.filter_edit, self.role_combo, self.status_combo):
            widget.blockSignals(True)
        self.filter_edit.setText(filters.text)
        self._select_data(self.role_combo, filters.role)
        self._select_data(self.status_combo, str(filters.status))
        for widget in (self.filter_edit, self.role_combo, self.status_combo):
            widget.blockSignals(False)
        self.apply_filters()

    def _status_with_rows(self, filters: Filters) -> StatusFilter:
        index = self.model.index_
        if index.count_matching(replace(filters, status=StatusFilter.ACTIVE)):
            return StatusFilter.ACTIVE
        return StatusFilter.ALL

    def _show_hidden_rows(self) -> None:
        """The table, or what the filters hide when they hide every row (and the one click that
        shows them)."""
        if self.course_name is None or self.loading or self.model.total == 0:
            return
        if self.model.rowCount() > 0:
            self.filters_hide_all = False
            self.stack.setCurrentWidget(self.table)
            return
        filters = self.current_filters()
        count = self.model.index_.count_matching
        if filters.status != StatusFilter.ALL:
            others = count(replace(filters, status=StatusFilter.ALL))
            if others:
                kind = "inactive" if filters.status == StatusFilter.ACTIVE else "active"
                text = wording.hidden_by_status(others, kind, filters.text)
                shown = replace(filters, status=StatusFilter.ALL)
                self._message(text, f"Show {kind}", lambda: self._set_filters(shown))
                return
        self._message(
            wording.hidden_by_filters(filters.text, filters.role),
            "Clear filters",
            self.clear_filters,
        )

    def _message(self, text: str, button: str, action: Callable[[], None]) -> None:
        self.show_message(text, button=True)
        self.message_button.setText(button)
        self._message_action = action
        self.filters_hide_all = True

    def _message_clicked(self) -> None:
        self._message_action()

    def flush_filters(self) -> None:
        self._throttle.flush()

    def focus_filter(self) -> None:
        self.filter_edit.setFocus(Qt.FocusReason.ShortcutFocusReason)
        self.filter_edit.selectAll()

    # --- loading ----------------------------------------------------------------------------

    def _release_later(self, things: list[Any]) -> None:
        """Free a replaced roster in a background operation, a slice at a time."""

        def job() -> None:
            release(things)

        self.runner.run(job, _ignore, name="release roster")

    def show_course(
        self, name: str | None, *, reload: bool = False, expected: int | None = None
    ) -> None:
        """Load ``name``'s roster in the background. ``reload`` keeps the current rows on
        screen until the new ones arrive (after a sync), instead of a "Loading…" page.
        ``expected``: about how many members it has (default: as the course was last listed;
        unknown is taken as large)."""
        same = name == self.course_name
        self.course_name = name
        self._generation += 1
        if not same and self.filter_edit.text():
            # The text was typed for another course's members: it must not hide this one's.
            self._set_filters(replace(self.current_filters(), text=""))
        if name is None:
            self.loading = False
            self.model.clear()
            self.show_message("Select a course to see its roster.", button=False)
            return
        if not (same and reload):
            self.model.clear()
            self.show_message("Loading roster…", button=False)
        self.loading = True
        generation = self._generation
        service = self.service
        # Sorted in the worker too: ordering 100,000 rows is not work for the GUI thread.
        sort = self.model.sort_order

        if expected is None and self.course is not None and self.course.name == name:
            expected = self.course.member_count
        large = expected is None or expected >= LARGE_ROSTER

        def job() -> PreparedRoster:
            fetch = lambda: service.members(name, status=StatusFilter.ALL)  # noqa: E731
            return load_roster(fetch, sort, large=large)

        self.runner.run(
            job,
            lambda roster: self._loaded(generation, name, roster),
            lambda exc: self._failed(generation, exc),
            name=f"load {name}",
        )

    def _loaded(self, generation: int, name: str, roster: PreparedRoster) -> None:
        if generation != self._generation:
            return  # the user moved on to another course meanwhile
        self.loading = False
        selected = self._selected_ids()
        self.model.set_roster(roster)
        if roster.rows:
            self.stack.setCurrentWidget(self.table)
            if self._fit_columns:
                self._fit_columns = False
                self.table.fit_columns()
            self._reselect(selected)
            self._show_hidden_rows()
        else:
            text, button = wording.empty_roster(self.course)
            self.show_message(text, button=button)
        self.loaded.emit(name)

    def set_course(self, course: Course | None) -> None:
        """The selected course as listed now; an empty roster page follows its state."""
        self.course = course
        if (
            course is not None
            and course.name == self.course_name
            and not self.loading
            and self.model.total == 0
        ):
            text, button = wording.empty_roster(course)
            self.show_message(text, button=button)

    def show_progress(self, badge: str) -> None:
        """A sync of the shown course is running: with no roster stored yet, the page says how
        far it got instead of offering to sync."""
        if self.course_name is None or self.loading or self.model.total > 0:
            return
        self.show_message(f"Fetching the roster for the first time…\n{badge}", button=False)

    def _failed(self, generation: int, exc: BaseException) -> None:
        if generation != self._generation:
            return
        self.loading = False
        if isinstance(exc, errors.RosterSyncError):
            self.show_message(f"Could not load the roster: {exc.message}", button=False)
            self.loadFailed.emit(exc.message)
            return
        from rostergui.ui import crash

        self.show_message("Could not load the roster (an unexpected error).", button=False)
        crash.report_bug(exc, self)

    def show_message(self, text: str, *, button: bool) -> None:
        self.filters_hide_all = False
        self.message_button.setText("Sync now")
        self._message_action = self.syncRequested.emit
        self.message.setText(text)
        self.message_button.setVisible(button)
        self.stack.setCurrentIndex(1)

    # --- selection across reloads ------------------------------------------------------------

    def _selected_ids(self) -> set[str]:
        selection = self.table.selectionModel()
        if selection is None or not selection.hasSelection():
            return set()
        return {self.model.member(i.row()).user_id for i in selection.selectedRows()}

    def _reselect(self, user_ids: set[str]) -> None:
        if not user_ids:
            return
        selection = self.table.selectionModel()
        flags = QItemSelectionModel.SelectionFlag.Select | QItemSelectionModel.SelectionFlag.Rows
        for row in range(self.model.rowCount()):
            if self.model.member(row).user_id in user_ids:
                selection.select(self.model.index(row, 0), flags)
