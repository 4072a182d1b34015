"""The course list on the left: a list model of courses and the view that shows them, each
painted with its freshness badge by :class:`~rostergui.ui.course_delegate.CourseDelegate`.

The list is built for a catalogue of 2,000 courses. The model keeps every course, sorted once
by group (failed, held, stale, never synced, up to date; :mod:`rostergui.ui.course_groups`)
and name, with each course's text folded once for the filter; a keystroke then only walks that
order and keeps the matching rows, without re-sorting or re-reading anything. Removed courses
(their roster kept) follow in a section of their own, closed until its header row is opened.
Rows are re-laid out with ``layoutChanged`` and their persistent indexes moved, so the
selection and the scroll position survive a filter or a regrouping, as they do with Qt's proxy.

The badge wording and urgency come from :mod:`rostergui.ui.badges`, the roles and colours from
:mod:`rostergui.ui.roles`; this module only decides layout. Relative times ("5 min ago") are
refreshed by :meth:`CourseListModel.tick`, which the window calls every 30 seconds.

The list is part of the window's first frame, before there are courses to paint, so the
delegate (and the style machinery it draws with) is only loaded with the first rows.
"""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import (
    QAbstractItemModel,
    QAbstractListModel,
    QModelIndex,
    QObject,
    Qt,
    Signal,
)
from PySide6.QtGui import QPalette
from PySide6.QtWidgets import QAbstractItemView, QLabel, QListView, QVBoxLayout, QWidget

from rostergui.core.filtering import SearchQuery, fold
from rostergui.ui import wording
from rostergui.ui.badges import Activity, Badge, badge_for
from rostergui.ui.course_groups import (
    CourseGroup,
    duplicates,
    group_of,
    haystack,
    host_of,
    spoken,
)
from rostergui.ui.roles import BADGE_ROLE, COURSE_ROLE, TITLE_ROLE, Index, row_flags

if TYPE_CHECKING:
    from rostergui.core.store.repo import Course
    from rostergui.ui.course_delegate import CourseDelegate

#: The course list's own roles (beside :mod:`rostergui.ui.roles`): the names of the other
#: courses that are the same LMS course as a row's (a tuple, empty when none); whether a row is
#: the header of the removed courses' section (``None`` for a course row, else whether the
#: section is open); and a row's :class:`~rostergui.ui.course_groups.CourseGroup`.
DUPLICATE_ROLE = Qt.ItemDataRole.UserRole + 20
SECTION_ROLE = Qt.ItemDataRole.UserRole + 21
GROUP_ROLE = Qt.ItemDataRole.UserRole + 22

#: The key of the removed courses' section header among the row keys (course names).
_SECTION = "\x00removed"


def utcnow() -> datetime:
    """Naive UTC, the form the database stores."""
    return datetime.now(UTC).replace(tzinfo=None)


class CourseListModel(QAbstractListModel):
    """Courses with what the window is doing to them, grouped and filtered; badges are
    computed on demand. ``countsChanged`` follows the header's counts."""

    countsChanged = Signal()

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._courses: list[Course] = []
        self._by_name: dict[str, Course] = {}
        self._shown: dict[str, Course] = {}  # what the rows show, until the layout changes
        self._folded: dict[str, str] = {}
        self._groups: dict[str, CourseGroup] = {}
        self._duplicates: dict[str, tuple[str, ...]] = {}
        self._order: list[Course] = []  # every course by group, then name
        self._rows: list[str] = []  # the visible rows' keys: course names, or _SECTION
        self._row_of: dict[str, int] = {}
        self._activity: dict[str, Activity] = {}
        self.now = utcnow()
        self.stale_after = timedelta(hours=24)
        self.loaded = False
        self.query = SearchQuery("")
        self.filter_text = ""
        #: What the last text filter kept, and for which query (see :meth:`_matching`).
        self._matched: list[str] = []
        self._matched_query: SearchQuery | None = None
        self.group_filter: CourseGroup | None = None
        self.archived_open = False
        #: Courses in each group among those the text filter keeps (removed ones included).
        self.counts: Counter[CourseGroup] = Counter()

    # --- updates ----------------------------------------------------------------------------

    def set_courses(self, courses: list[Course]) -> None:
        """Replace the courses; rows that stay keep their selection."""
        self.now = utcnow()
        self.loaded = True
        self._courses = list(courses)
        self._by_name = {c.name: c for c in courses}
        self._folded = {c.name: haystack(c) for c in courses}
        self._duplicates = duplicates(courses)
        self._activity = {k: v for k, v in self._activity.items() if k in self._by_name}
        self._regroup()

    def set_activity(self, name: str, activity: Activity | None) -> None:
        if activity is None:
            self._activity.pop(name, None)
        else:
            self._activity[name] = activity
        course = self._by_name.get(name)
        if course is not None and self._group(course) != self._groups.get(name):
            self._regroup()  # held, or no longer held: the course moves
            return
        row = self._row_of.get(name, -1)
        if row >= 0:
            index = self.index(row)
            self.dataChanged.emit(index, index)

    def activity(self, name: str) -> Activity | None:
        return self._activity.get(name)

    def set_stale_after(self, value: timedelta) -> None:
        self.stale_after = value
        self.tick()

    def tick(self, now: datetime | None = None) -> None:
        """Recompute relative times ("5 min ago") and the groups (a course turns stale)."""
        self.now = now or utcnow()
        self._regroup()

    def set_filter(self, text: str) -> None:
        """Keep the courses whose name, LMS title or hosts hold every word of ``text``."""
        self.filter_text = text
        self.query = SearchQuery(text)
        self._relayout()

    def set_group_filter(self, group: CourseGroup | None) -> None:
        """Keep only the courses of ``group`` (the header's counts are links to this)."""
        self.group_filter = group
        self._relayout()

    def set_archived_open(self, shown: bool) -> None:
        """Open or close the removed courses' section."""
        self.archived_open = shown
        self._relayout()

    # --- grouping and filtering -----------------------------------------------------------------

    def _group(self, course: Course) -> CourseGroup:
        activity = self._activity.get(course.name)
        return group_of(course, self.now, self.stale_after, activity)

    def _regroup(self) -> None:
        self._groups = {c.name: self._group(c) for c in self._courses}
        groups = self._groups
        self._order = sorted(self._courses, key=lambda c: (groups[c.name], fold(c.name)))
        self._matched_query = None  # the order changed: search every course again
        self._relayout()

    def _matching(self) -> list[str]:
        """The names the text filter keeps, in order. Typing more letters narrows the last
        query, so only the courses it kept are searched again."""
        query, folded = self.query, self._folded
        if not query:
            matched = [c.name for c in self._order]
        else:
            last = self._matched_query
            narrows = last is not None and bool(last) and query.narrows(last)
            base = self._matched if narrows else [c.name for c in self._order]
            matched = [name for name in base if query.matches(folded[name])]
        self._matched, self._matched_query = matched, query
        return matched

    def _visible(self) -> list[str]:
        groups, wanted = self._groups, self.group_filter
        counts: Counter[CourseGroup] = Counter()
        rows: list[str] = []
        removed: list[str] = []
        for name in self._matching():
            group = groups[name]
            counts[group] += 1
            if group is CourseGroup.ARCHIVED:
                removed.append(name)
            elif wanted is None or group is wanted:
                rows.append(name)
        if removed and wanted is None:
            rows.append(_SECTION)
            if self.archived_open:
                rows.extend(removed)
        if counts != self.counts:
            self.counts = counts
            self.countsChanged.emit()
        return rows

    def _relayout(self) -> None:
        """Show the rows the filters keep, in group order. The same rows only refresh their
        data; otherwise the layout changes and each persistent index follows its course."""
        rows = self._visible()
        if rows == self._rows:
            self._shown = self._by_name
            if rows:
                self.dataChanged.emit(self.index(0), self.index(len(rows) - 1))
            return
        self.layoutAboutToBeChanged.emit()
        old = self.persistentIndexList()
        keys = [self._rows[i.row()] if 0 <= i.row() < len(self._rows) else None for i in old]
        self._rows, self._shown = rows, self._by_name
        self._row_of = {key: row for row, key in enumerate(rows)}
        moved = [
            self.index(self._row_of[k]) if k is not None and k in self._row_of else QModelIndex()
            for k in keys
        ]
        self.changePersistentIndexList(old, moved)
        self.layoutChanged.emit()

    # --- lookups ----------------------------------------------------------------------------

    @property
    def courses(self) -> list[Course]:
        """Every course, whatever the filters show."""
        return list(self._courses)

    def visible_names(self) -> list[str]:
        """The courses shown, in order (not the section header)."""
        return [key for key in self._rows if key != _SECTION]

    def row_of(self, name: str) -> int:
        """The row showing ``name``; -1 when it is hidden by a filter or not a course."""
        return -1 if name == _SECTION else self._row_of.get(name, -1)

    def course(self, name: str) -> Course | None:
        return self._by_name.get(name)

    def group(self, name: str) -> CourseGroup | None:
        return self._groups.get(name)

    def section_row(self) -> int:
        """The row of the removed courses' section header; -1 when there is none."""
        return self._row_of.get(_SECTION, -1)

    def badge(self, course: Course) -> Badge:
        return badge_for(course, self.now, self.stale_after, self._activity.get(course.name))

    # --- QAbstractListModel -------------------------------------------------------------------

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self._rows)

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or not 0 <= index.row() < len(self._rows):
            return None
        key = self._rows[index.row()]
        if key == _SECTION:
            return self._section_data(role)
        course = self._shown[key]
        if role == Qt.ItemDataRole.DisplayRole:
            return course.name
        if role == COURSE_ROLE:
            return course
        if role == TITLE_ROLE:
            return subtitle(course)
        if role == BADGE_ROLE:
            return self.badge(course)
        if role == DUPLICATE_ROLE:
            return self._duplicates.get(key, ())
        if role == GROUP_ROLE:
            return self._groups.get(key)
        if role == Qt.ItemDataRole.ToolTipRole:
            tip = f"{course.name}\n{self.badge(course).tooltip}"
            if key in self._duplicates:
                tip += "\n" + wording.duplicate_course(self._duplicates[key])
            return tip
        if role == Qt.ItemDataRole.AccessibleTextRole:
            text = f"{course.name}, {spoken(self.badge(course).text)}, {subtitle(course)}"
            if key in self._duplicates:
                text += ", " + wording.duplicate_course(self._duplicates[key])
            return text
        return None

    def _section_data(self, role: int) -> Any:
        count = self.counts[CourseGroup.ARCHIVED]
        text = wording.archived_section(count, bool(self.query))
        if role in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.AccessibleTextRole):
            return text
        if role == SECTION_ROLE:
            return self.archived_open
        if role == Qt.ItemDataRole.ToolTipRole:
            return "Removed courses no longer sync; their rosters are kept. Click to show or hide."
        return None

    def flags(self, index: Index) -> Qt.ItemFlag:
        if index.isValid() and self._rows[index.row()] == _SECTION:
            # A header: it can take the keyboard's focus (Enter opens it), but not the
            # selection, so the window never takes it for a course.
            return Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemNeverHasChildren
        return row_flags(index)


def subtitle(course: Course) -> str:
    """The course's LMS title and roster size, the second line of its row."""
    # Before its first sync an imported course knows no title: its LMS says most about it.
    lms = host_of(course.platform_id)
    title = course.title or course.label or course.context_id or lms or course.base_url
    if course.member_count:
        return f"{title} · {course.active_count:,} active"
    return title


class CourseListView(QListView):
    """The list widget itself: single selection, uniform rows, accessible name, and a line of
    text over the list for while it has nothing to show yet (the courses are being opened).

    ``currentLost`` is emitted when a filter hides the current course: Qt then drops the
    current index without a ``currentChanged``, and the window must stop showing it."""

    currentLost = Signal()

    PLACEHOLDER_MARGIN = 12

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.setUniformItemSizes(True)
        self._delegate: CourseDelegate | None = None
        self.setAccessibleName("Courses")
        self.setAccessibleDescription("Configured courses with how fresh each roster is")
        self.setMinimumWidth(240)
        self.setVerticalScrollMode(QAbstractItemView.ScrollMode.ScrollPerPixel)
        # A label laid out over the view rather than text painted on its viewport: a screen
        # reader reads it, and no Python code runs to paint or place it during the first frame.
        self._placeholder = QLabel(self)
        self._placeholder.setWordWrap(True)
        self._placeholder.setAlignment(Qt.AlignmentFlag.AlignHCenter)
        self._placeholder.setForegroundRole(QPalette.ColorRole.PlaceholderText)
        self._placeholder.setAttribute(Qt.WidgetAttribute.WA_TransparentForMouseEvents)
        self._placeholder.hide()
        layout = QVBoxLayout(self)
        margin = self.PLACEHOLDER_MARGIN
        layout.setContentsMargins(margin, margin, margin, margin)
        layout.addWidget(self._placeholder, 0, Qt.AlignmentFlag.AlignTop)
        self._current_before: str | None = None
        #: The course a filter hid, selected again when a filter shows it before another is.
        self._hidden_current: str | None = None
        self.clicked.connect(self._toggle_section)
        self.activated.connect(self._toggle_section)

    def setModel(self, model: QAbstractItemModel | None) -> None:
        super().setModel(model)
        if model is not None:
            model.modelReset.connect(self._install_delegate)
            model.rowsInserted.connect(self._install_delegate)
            model.layoutAboutToBeChanged.connect(self._remember_current)
            model.layoutChanged.connect(self._layout_changed)
        self._install_delegate()

    def _remember_current(self) -> None:
        course = self.currentIndex().data(COURSE_ROLE)
        self._current_before = course.name if course is not None else None

    def _layout_changed(self) -> None:
        self._install_delegate()
        model = self.model()
        if self._current_before is not None and not self.currentIndex().isValid():
            self._hidden_current = self._current_before
            self.currentLost.emit()
        elif self.currentIndex().isValid():
            self._hidden_current = None
        elif self._hidden_current is not None and isinstance(model, CourseListModel):
            row = model.row_of(self._hidden_current)
            if row >= 0:  # the filter was changed back: the course the admin had comes back
                self._hidden_current = None
                self.setCurrentIndex(model.index(row))
        self._current_before = None

    def _toggle_section(self, index: QModelIndex) -> None:
        """Open or close the removed courses' section from its header row."""
        model = self.model()
        shown = index.data(SECTION_ROLE)
        if isinstance(model, CourseListModel) and shown is not None:
            model.set_archived_open(not shown)

    def _install_delegate(self) -> None:
        """Paint courses with :class:`CourseDelegate` as soon as there are any."""
        model = self.model()
        if self._delegate is not None or model is None or model.rowCount() == 0:
            return
        from rostergui.ui.course_delegate import CourseDelegate

        self._delegate = CourseDelegate(self)
        self.setItemDelegate(self._delegate)

    @property
    def placeholder(self) -> str:
        """The text shown over the list; empty when none is."""
        return self._placeholder.text() if self._placeholder.isVisibleTo(self) else ""

    def set_placeholder(self, text: str) -> None:
        """Show ``text`` over the list until it is called again with an empty string."""
        self._placeholder.setText(text)
        self._placeholder.setVisible(bool(text))
