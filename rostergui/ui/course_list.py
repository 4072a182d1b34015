"""The course list on the left: a list model of courses and a delegate that paints each one
with its freshness badge.

The badge wording and urgency come from :mod:`rostergui.ui.badges`; this module only decides
colours (readable on light and dark palettes) and layout. Relative times ("5 min ago") are
refreshed by :meth:`CourseListModel.tick`, which the window calls every 30 seconds.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from PySide6.QtCore import (
    QAbstractListModel,
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    QRect,
    QRectF,
    QSize,
    Qt,
)
from PySide6.QtGui import QColor, QFont, QFontMetrics, QPainter, QPalette
from PySide6.QtWidgets import (
    QAbstractItemView,
    QApplication,
    QListView,
    QStyle,
    QStyledItemDelegate,
    QStyleOptionViewItem,
    QWidget,
)

from rostergui.core.store.repo import Course
from rostergui.ui.badges import Activity, Badge, Tone, badge_for

COURSE_ROLE = Qt.ItemDataRole.UserRole + 1
BADGE_ROLE = Qt.ItemDataRole.UserRole + 2
TITLE_ROLE = Qt.ItemDataRole.UserRole + 3

Index = QModelIndex | QPersistentModelIndex

# (light palette, dark palette): text-strength colours for each tone.
_TONE_COLOURS: dict[Tone, tuple[str, str]] = {
    Tone.FRESH: ("#1a7f37", "#3fb950"),
    Tone.AGING: ("#9a6700", "#d29922"),
    Tone.STALE: ("#cf222e", "#f85149"),
    Tone.FAILED: ("#cf222e", "#f85149"),
    Tone.NEVER: ("#59636e", "#9198a1"),
    Tone.BUSY: ("#0969da", "#58a6ff"),
    Tone.HELD: ("#9a6700", "#d29922"),
    Tone.MUTED: ("#59636e", "#9198a1"),
}


def utcnow() -> datetime:
    """Naive UTC, the form the database stores."""
    return datetime.now(UTC).replace(tzinfo=None)


def is_dark(palette: QPalette) -> bool:
    return palette.color(QPalette.ColorRole.Window).lightness() < 128


def tone_colour(tone: Tone, palette: QPalette) -> QColor:
    light, dark = _TONE_COLOURS[tone]
    return QColor(dark if is_dark(palette) else light)


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
        if not index.isValid():
            return Qt.ItemFlag.NoItemFlags
        return (
            Qt.ItemFlag.ItemIsEnabled
            | Qt.ItemFlag.ItemIsSelectable
            | Qt.ItemFlag.ItemNeverHasChildren
        )


def subtitle(course: Course) -> str:
    """The course's LMS title and roster size, the second line of its row."""
    title = course.title or course.label or course.context_id or course.base_url
    if course.member_count:
        return f"{title} · {course.active_count:,} active"
    return title


class CourseDelegate(QStyledItemDelegate):
    """Paints name, subtitle and a badge pill; colours come from the palette and the tone."""

    PADDING = 8

    def _fonts(self, option: QStyleOptionViewItem) -> tuple[QFont, QFont, QFont]:
        base = QFont(option.font)
        bold = QFont(base)
        bold.setBold(True)
        small = QFont(base)
        small.setPointSizeF(max(7.0, base.pointSizeF() * 0.9))
        return bold, small, small

    def sizeHint(self, option: QStyleOptionViewItem, index: Index) -> QSize:
        bold, small, badge = self._fonts(option)
        height = (
            QFontMetrics(bold).height()
            + QFontMetrics(small).height()
            + QFontMetrics(badge).height()
            + 6  # pill padding
            + 2 * self.PADDING
            + 6  # gaps
        )
        return QSize(220, height)

    def paint(self, painter: QPainter, option: QStyleOptionViewItem, index: Index) -> None:
        opt = QStyleOptionViewItem(option)
        self.initStyleOption(opt, index)
        opt.text = ""
        widget = opt.widget
        style = widget.style() if widget is not None else QApplication.style()
        style.drawControl(QStyle.ControlElement.CE_ItemViewItem, opt, painter, widget)

        palette: QPalette = opt.palette
        selected = bool(opt.state & QStyle.StateFlag.State_Selected)
        text_role = QPalette.ColorRole.HighlightedText if selected else QPalette.ColorRole.Text
        text_colour = palette.color(text_role)
        muted = QColor(text_colour)
        muted.setAlphaF(0.72)
        rect: QRect = opt.rect.adjusted(self.PADDING, self.PADDING, -self.PADDING, -self.PADDING)
        bold, small, badge_font = self._fonts(opt)
        name = str(index.data(Qt.ItemDataRole.DisplayRole) or "")
        title = str(index.data(TITLE_ROLE) or "")
        badge = index.data(BADGE_ROLE)

        painter.save()
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        y = rect.top()
        metrics = QFontMetrics(bold)
        painter.setFont(bold)
        painter.setPen(text_colour)
        painter.drawText(
            QRect(rect.left(), y, rect.width(), metrics.height()),
            int(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter),
            metrics.elidedText(name, Qt.TextElideMode.ElideRight, rect.width()),
        )
        y += metrics.height() + 2
        metrics = QFontMetrics(small)
        painter.setFont(small)
        painter.setPen(muted)
        painter.drawText(
            QRect(rect.left(), y, rect.width(), metrics.height()),
            int(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter),
            metrics.elidedText(title, Qt.TextElideMode.ElideRight, rect.width()),
        )
        y += metrics.height() + 4
        if isinstance(badge, Badge):
            self._paint_badge(
                painter, badge, badge_font, rect.left(), y, rect.width(), palette, selected
            )
        painter.restore()

    @staticmethod
    def _paint_badge(
        painter: QPainter,
        badge: Badge,
        font: QFont,
        left: int,
        top: int,
        width: int,
        palette: QPalette,
        selected: bool,
    ) -> None:
        metrics = QFontMetrics(font)
        colour = tone_colour(badge.tone, palette)
        if selected:
            colour = palette.color(QPalette.ColorRole.HighlightedText)
        dot = metrics.height() // 2
        inner = width - dot - 20
        text = metrics.elidedText(badge.text, Qt.TextElideMode.ElideRight, inner)
        pill_w = min(width, metrics.horizontalAdvance(text) + dot + 20)
        pill = QRectF(left, top, pill_w, metrics.height() + 6)
        fill = QColor(colour)
        fill.setAlphaF(0.16 if not is_dark(palette) else 0.24)
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(fill)
        painter.drawRoundedRect(pill, pill.height() / 2, pill.height() / 2)
        painter.setBrush(colour)
        centre_y = pill.center().y()
        dot_rect = QRectF(left + 8, centre_y - dot / 2, dot, dot)
        if badge.busy:
            # A ring rather than a dot: "in progress".
            painter.setBrush(Qt.BrushStyle.NoBrush)
            pen = painter.pen()
            pen.setStyle(Qt.PenStyle.SolidLine)
            pen.setColor(colour)
            pen.setWidthF(2.0)
            painter.setPen(pen)
            painter.drawEllipse(dot_rect.adjusted(1, 1, -1, -1))
        else:
            painter.drawEllipse(dot_rect)
        painter.setFont(font)
        painter.setPen(colour)
        painter.drawText(
            QRectF(left + 8 + dot + 6, pill.top(), inner + 2, pill.height()),
            int(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter),
            text,
        )


class CourseListView(QListView):
    """The list widget itself: single selection, uniform rows, accessible name."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.setUniformItemSizes(True)
        self.setItemDelegate(CourseDelegate(self))
        self.setAccessibleName("Courses")
        self.setAccessibleDescription("Configured courses with how fresh each roster is")
        self.setMinimumWidth(240)
        self.setVerticalScrollMode(QAbstractItemView.ScrollMode.ScrollPerPixel)
