"""The course list on the left: a list model of courses and the view that shows them, each
painted with its freshness badge by :class:`~rostergui.ui.course_delegate.CourseDelegate`.

The badge wording and urgency come from :mod:`rostergui.ui.badges`, the roles and colours from
:mod:`rostergui.ui.roles`; this module only decides layout. Relative times ("5 min ago") are
refreshed by :meth:`CourseListModel.tick`, which the window calls every 30 seconds.

The list is part of the window's first frame, before there are courses to paint, so the
delegate (and the style machinery it draws with) is only loaded with the first rows.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import (
    QAbstractItemModel,
    QAbstractListModel,
    QModelIndex,
    QObject,
    Qt,
)
from PySide6.QtGui import QPalette
from PySide6.QtWidgets import QAbstractItemView, QLabel, QListView, QVBoxLayout, QWidget

from rostergui.ui.badges import Activity, Badge, badge_for
from rostergui.ui.roles import BADGE_ROLE, COURSE_ROLE, TITLE_ROLE, Index, row_flags

if TYPE_CHECKING:
    from rostergui.core.store.repo import Course
    from rostergui.ui.course_delegate import CourseDelegate


def utcnow() -> datetime:
    """Naive UTC, the form the database stores."""
    return datetime.now(UTC).replace(tzinfo=None)


class CourseListModel(QAbstractListModel):
    """Courses with what the window is doing to them; badges are computed on demand."""

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._courses: list[Course] = []
        self._activity: dict[str, Activity] = {}
        self.now = utcnow()
        self.stale_after = timedelta(hours=24)
        self.loaded = False

    # --- updates ----------------------------------------------------------------------------

    def set_courses(self, courses: list[Course]) -> None:
        """Replace the list; an unchanged set of names only refreshes the rows (keeps the
        selection)."""
        self.now = utcnow()
        self.loaded = True
        if [c.name for c in courses] == [c.name for c in self._courses]:
            self._courses = list(courses)
            if courses:
                self.dataChanged.emit(self.index(0), self.index(len(courses) - 1))
            return
        self.beginResetModel()
        self._courses = list(courses)
        self._activity = {k: v for k, v in self._activity.items() if self.row_of(k) >= 0}
        self.endResetModel()

    def set_activity(self, name: str, activity: Activity | None) -> None:
        if activity is None:
            self._activity.pop(name, None)
        else:
            self._activity[name] = activity
        row = self.row_of(name)
        if row >= 0:
            index = self.index(row)
            self.dataChanged.emit(index, index)

    def activity(self, name: str) -> Activity | None:
        return self._activity.get(name)

    def set_stale_after(self, value: timedelta) -> None:
        self.stale_after = value
        self.tick()

    def tick(self, now: datetime | None = None) -> None:
        """Recompute relative times ("5 min ago")."""
        self.now = now or utcnow()
        if self._courses:
            self.dataChanged.emit(self.index(0), self.index(len(self._courses) - 1))

    # --- lookups ----------------------------------------------------------------------------

    @property
    def courses(self) -> list[Course]:
        return list(self._courses)

    def row_of(self, name: str) -> int:
        for row, course in enumerate(self._courses):
            if course.name == name:
                return row
        return -1

    def course(self, name: str) -> Course | None:
        row = self.row_of(name)
        return self._courses[row] if row >= 0 else None

    def badge(self, course: Course) -> Badge:
        return badge_for(course, self.now, self.stale_after, self._activity.get(course.name))

    # --- QAbstractListModel -------------------------------------------------------------------

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self._courses)

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or not 0 <= index.row() < len(self._courses):
            return None
        course = self._courses[index.row()]
        if role == Qt.ItemDataRole.DisplayRole:
            return course.name
        if role == COURSE_ROLE:
            return course
        if role == TITLE_ROLE:
            return subtitle(course)
        if role == BADGE_ROLE:
            return self.badge(course)
        if role == Qt.ItemDataRole.ToolTipRole:
            return f"{course.name}\n{self.badge(course).tooltip}"
        if role == Qt.ItemDataRole.AccessibleTextRole:
            return f"{course.name}, {subtitle(course)}, {self.badge(course).text}"
        return None

    def flags(self, index: Index) -> Qt.ItemFlag:
        return row_flags(index)


def subtitle(course: Course) -> str:
    """The course's LMS title and roster size, the second line of its row."""
    title = course.title or course.label or course.context_id or course.base_url
    if course.member_count:
        return f"{title} · {course.active_count:,} active"
    return title


class CourseListView(QListView):
    """The list widget itself: single selection, uniform rows, accessible name, and a line of
    text over the list for while it has nothing to show yet (the courses are being opened)."""

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

    def setModel(self, model: QAbstractItemModel | None) -> None:
        super().setModel(model)
        if model is not None:
            model.modelReset.connect(self._install_delegate)
            model.rowsInserted.connect(self._install_delegate)
        self._install_delegate()

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
