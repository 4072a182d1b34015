"""Find person (Ctrl+Shift+F): everyone in every course, found as you type, one window.

"Where is this student enrolled?" is the question an admin of a whole catalogue asks most, and
opening courses one by one does not answer it. This window searches the core's
:class:`~rostergui.core.people.PeopleIndex` (name, e-mail, user id; words in any order, accents
optional) and lists each person found with every course they are or were in: their role and
status there and when the LMS last listed them. Opening a row (double-click or Enter) selects
that course and that member in the main window.

The window is not modal (shown with ``show()``), so the admin can keep it beside the main
window. Nothing here waits on the GUI thread: the index is loaded in a background
:class:`~rostergui.ui.operation.Operation` (again after each sync, since a sync changes who is
where), and each search runs in one too. A search over hundreds of thousands of memberships
usually takes milliseconds, but a rare word can make it scan them all; keystrokes that arrive
meanwhile are coalesced into one search of the newest text, never queued one by one.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QAbstractTableModel, QEvent, QModelIndex, QObject, Qt, QTimer
from PySide6.QtGui import QFont, QKeyEvent, QPalette
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDialog,
    QHeaderView,
    QLabel,
    QLineEdit,
    QTableView,
    QVBoxLayout,
)

from rostergui.core import errors
from rostergui.core.states import MemberStatus
from rostergui.ui import catalogue_wording as words
from rostergui.ui.roles import Index, row_flags
from rostergui.ui.roster_index import format_time

if TYPE_CHECKING:
    from rostergui.core.people import PeopleIndex, PersonCourse, PersonMatch
    from rostergui.ui.main_window import MainWindow
    from rostergui.ui.member_view import MemberPanel

#: People shown at most for one search; the line under the table says when there are more.
LIMIT = 200
#: After a sync, the index is loaded again this much later (syncs in a round share it).
RELOAD_MS = 2_000
COLUMNS = ("Person", "E-mail", "User ID", "Course", "Role", "Status", "Last seen")


@dataclass(frozen=True, slots=True)
class ResultRow:
    """One course of one person; ``first`` for the person's first row (which names them)."""

    person: PersonMatch
    course: PersonCourse
    first: bool


class PeopleResultsModel(QAbstractTableModel):
    """The people found, one row per course each person is or was in."""

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._rows: list[ResultRow] = []

    def set_people(self, people: list[PersonMatch]) -> None:
        self.beginResetModel()
        self._rows = [
            ResultRow(person, course, n == 0)
            for person in people
            for n, course in enumerate(person.courses)
        ]
        self.endResetModel()

    def result(self, row: int) -> ResultRow:
        return self._rows[row]

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self._rows)

    def columnCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(COLUMNS)

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or not 0 <= index.row() < len(self._rows):
            return None
        found = self._rows[index.row()]
        person, course = found.person, found.course
        if role == Qt.ItemDataRole.DisplayRole:
            if index.column() < 3 and not found.first:
                return ""  # the person is named on their first row only
            return _cell(person, course, index.column())
        if role == Qt.ItemDataRole.AccessibleTextRole:
            return words.person_in_course(
                person.name or person.user_id, course.course, course.role, course.status,
                format_time(course.last_seen_at), removed=course.archived,
            )  # fmt: skip
        if role == Qt.ItemDataRole.ToolTipRole:
            return f"{person.name} ({person.user_id} on {person.platform_id})"
        if role == Qt.ItemDataRole.FontRole and found.first and index.column() == 0:
            bold = QFont()
            bold.setBold(True)  # each person's first row starts their group
            return bold
        if role == Qt.ItemDataRole.ForegroundRole and (
            course.status != MemberStatus.ACTIVE or course.archived
        ):
            return QPalette().color(QPalette.ColorGroup.Disabled, QPalette.ColorRole.Text)
        return None

    def headerData(
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole:
            return COLUMNS[section]
        return None

    def flags(self, index: Index) -> Qt.ItemFlag:
        return row_flags(index)


def _cell(person: PersonMatch, course: PersonCourse, column: int) -> str:
    values = (
        person.name,
        person.email or "",
        person.user_id,
        course.course + (" (removed)" if course.archived else ""),
        course.role,
        course.status,
        format_time(course.last_seen_at),
    )
    return values[column]


class FindPersonWindow(QDialog):
    """The Find person window of ``window`` (one per main window; see the module docstring)."""

    def __init__(self, window: MainWindow) -> None:
        super().__init__(window, Qt.WindowType.Window)
        self.main = window
        self.setWindowTitle("Find person")
        self.setModal(False)
        self.resize(1160, 560)
        self.search_box = QLineEdit(self)
        self.search_box.setPlaceholderText("Name, e-mail or user id — words in any order")
        self.search_box.setAccessibleName("Find person")
        self.search_box.setClearButtonEnabled(True)
        self.model = PeopleResultsModel(self)
        self.table = QTableView(self)
        self.table.setModel(self.model)
        self.table.setAccessibleName("People found")
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setAlternatingRowColors(True)
        self.table.verticalHeader().hide()
        self.table.setWordWrap(False)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        header.setStretchLastSection(True)
        for column, width in enumerate((170, 260, 90, 280, 100, 70)):
            self.table.setColumnWidth(column, width)
        self.status = QLabel(self)
        self.status.setWordWrap(True)
        hint = QLabel(words.find_person_open_hint())
        hint.setWordWrap(True)
        hint.setEnabled(False)
        layout = QVBoxLayout(self)
        layout.addWidget(self.search_box)
        layout.addWidget(self.table, 1)
        layout.addWidget(self.status)
        layout.addWidget(hint)
        self.index: PeopleIndex | None = None
        self._reload = QTimer(self)
        self._reload.setSingleShot(True)
        self._reload.setInterval(RELOAD_MS)
        self._reload.timeout.connect(self.load)
        self._loading = False
        self._stale = True
        self._searching = False
        self._wanted: str | None = None  # text typed while a search ran
        self._shown_text = ""
        self.search_box.textChanged.connect(self._typed)
        self.search_box.returnPressed.connect(self._open_first)
        self.table.activated.connect(self._open)
        self.search_box.installEventFilter(self)
        self._say(words.find_person_hint())

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        """Down in the search box goes to the results, as in the course list's filter."""
        if (
            watched is self.search_box
            and event.type() == QEvent.Type.KeyPress
            and isinstance(event, QKeyEvent)
            and event.key() == Qt.Key.Key_Down
            and self.model.rowCount()
        ):
            self.table.setFocus(Qt.FocusReason.TabFocusReason)
            if not self.table.currentIndex().isValid():
                self.table.selectRow(0)
            return True
        return super().eventFilter(watched, event)

    # --- the index ----------------------------------------------------------------------------

    def open_window(self) -> None:
        """Show (or raise) the window with the search box ready; load the index if needed."""
        self.show()
        self.activateWindow()
        self.search_box.setFocus(Qt.FocusReason.ShortcutFocusReason)
        self.search_box.selectAll()
        if self._stale:
            self.load()

    def roster_changed(self) -> None:
        """A sync changed who is where: load the index again, soon if the window is open. A
        round of syncs ends a course every few moments: they share one reload."""
        self._stale = True
        if self.isVisible() and not self._reload.isActive():
            self._reload.start()

    def load(self) -> None:
        service = self.main.service
        if service is None or self._loading:
            return
        self._loading, self._stale = True, False
        if self.index is None:
            self._say(words.find_person_loading())
        self.main.runner.run(service.people_index, self._loaded, self._load_failed, name="people")

    def _loaded(self, index: PeopleIndex) -> None:
        self._loading = False
        self.index = index
        if self._stale and self.isVisible():
            self.load()  # a sync ended while this one loaded
        self._typed(self.search_box.text())  # the shown results, from the new index

    def _load_failed(self, exc: BaseException) -> None:
        self._loading = False
        self._stale = True
        self._failed(exc)

    # --- searching ----------------------------------------------------------------------------

    def _typed(self, text: str) -> None:
        if self._searching:
            self._wanted = text  # searched when the running search ends
        else:
            self._search(text)

    def _search(self, text: str) -> None:
        index = self.index
        if index is None:
            return  # searched once the index arrives
        if not text.strip():
            self.model.set_people([])
            self._shown_text = text
            self._say(words.find_person_hint())
            return
        self._searching = True
        self.main.runner.run(
            lambda: index.search(text, LIMIT + 1),
            lambda people: self._found(text, people, index),
            self._search_failed,
            name="find person",
        )

    def _found(self, text: str, people: list[PersonMatch], index: PeopleIndex) -> None:
        self._searching = False
        wanted, self._wanted = self._wanted, None
        if wanted is not None and (wanted != text or index is not self.index):
            self._search(wanted)  # newer text, or a newer index, meanwhile: search again
            return
        self.model.set_people(people[:LIMIT])
        self._shown_text = text
        courses = sum(len(p.courses) for p in people[:LIMIT])
        self._say(words.people_found(len(people[:LIMIT]), courses, len(people) > LIMIT, text))
        if people:
            self.table.selectRow(0)

    def _search_failed(self, exc: BaseException) -> None:
        self._searching = False
        self._failed(exc)

    def _failed(self, exc: BaseException) -> None:
        """A known failure (the database is gone…) is said under the table; anything else is a
        bug, reported as everywhere in the window."""
        if isinstance(exc, errors.RosterSyncError):
            self._say(words.find_person_failed(exc.message))
            return
        from rostergui.ui import crash

        self._say(words.find_person_failed(None))
        crash.report_bug(exc, self)

    def _say(self, text: str) -> None:
        self.status.setText(text)

    # --- opening a result ---------------------------------------------------------------------

    def _open_first(self) -> None:
        current = self.table.currentIndex()
        if current.isValid():
            self._open(current)
        elif self.model.rowCount():
            self._open(self.model.index(0, 0))

    def _open(self, index: QModelIndex) -> None:
        found = self.model.result(index.row())
        if not show_member(self.main, found.course.course, found.person.user_id):
            self._say(words.course_gone(found.course.course))


def show_member(window: MainWindow, course: str, user_id: str) -> bool:
    """Select ``course`` in ``window`` (clearing what hides it from the list) and, once its
    roster is loaded, the member ``user_id`` in the member table (clearing the filters that
    hide them). False when the course is no longer listed."""
    if not window.select_course(course):
        return False
    panel = window.member_panel
    window.activateWindow()
    if panel.course_name == course and not panel.loading:
        _select_member(window, user_id)
        return True

    def loaded(name: str) -> None:
        panel.loaded.disconnect(loaded)
        if name == course:
            _select_member(window, user_id)

    panel.loaded.connect(loaded)
    return True


def _select_member(window: MainWindow, user_id: str) -> None:
    panel = window.member_panel
    model = panel.model
    row = _row_of(panel, user_id)
    if row < 0:
        # Hidden by the table's filters (an inactive member, a role shown alone): show all.
        panel.filter_edit.setText("")
        panel.role_combo.setCurrentIndex(0)
        panel.status_combo.setCurrentIndex(max(0, panel.status_combo.findData("all")))
        panel.flush_filters()
        row = _row_of(panel, user_id)
    if row < 0:
        return
    panel.table.selectRow(row)
    panel.table.scrollTo(model.index(row, 0), QAbstractItemView.ScrollHint.PositionAtCenter)
    panel.table.setFocus(Qt.FocusReason.OtherFocusReason)


def _row_of(panel: MemberPanel, user_id: str) -> int:
    model = panel.model
    for row in range(model.rowCount()):
        if model.member(row).user_id == user_id:
            return int(row)
    return -1
