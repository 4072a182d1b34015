"""Painting one course in the list: its name, its LMS title and a freshness badge "pill",
with a warning pill beside it when the course is the same LMS course as another; and the
header of the removed courses' section.

Colours come from the palette and the badge's tone (:func:`~rostergui.ui.roles.tone_colour`),
so every state reads on light and dark themes.
"""

from __future__ import annotations

from PySide6.QtCore import QRect, QRectF, QSize, Qt
from PySide6.QtGui import QColor, QFont, QFontMetrics, QPainter, QPalette
from PySide6.QtWidgets import QApplication, QStyle, QStyledItemDelegate, QStyleOptionViewItem

from rostergui.ui.badges import Badge, Tone
from rostergui.ui.course_list import DUPLICATE_ROLE, SECTION_ROLE
from rostergui.ui.roles import BADGE_ROLE, TITLE_ROLE, Index, pill_alpha, tone_colour

#: The warning pill's text on a course kept twice (its tooltip names the other course).
DUPLICATE_PILL = Badge("duplicate", Tone.HELD, "")


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
        section = index.data(SECTION_ROLE)
        if section is not None:
            self._paint_section(painter, opt, index, bool(section))
            return
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
        y += self._paint_line(painter, name, bold, text_colour, rect, y) + 2
        y += self._paint_line(painter, title, small, muted, rect, y) + 4
        if isinstance(badge, Badge):
            used = self._paint_badge(
                painter, badge, badge_font, rect.left(), y, rect.width(), palette, selected
            )
            room = rect.width() - used - 6
            if index.data(DUPLICATE_ROLE) and room > 40:
                left = rect.left() + used + 6
                pill = DUPLICATE_PILL
                self._paint_badge(painter, pill, badge_font, left, y, room, palette, selected)
        painter.restore()

    def _paint_section(
        self, painter: QPainter, opt: QStyleOptionViewItem, index: Index, shown: bool
    ) -> None:
        """The removed courses' header: a disclosure arrow and how many there are."""
        palette: QPalette = opt.palette
        painter.save()
        band = QColor(palette.color(QPalette.ColorRole.Text))
        band.setAlphaF(0.06)
        # A brush, not fillRect: fillRect with a translucent colour crashed on the offscreen
        # platform's raster engine.
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(band)
        painter.drawRect(opt.rect)
        muted = QColor(palette.color(QPalette.ColorRole.Text))
        muted.setAlphaF(0.72)
        font = QFont(opt.font)
        font.setBold(True)
        arrow = "▾" if shown else "▸"
        text = f"{arrow}  {index.data(Qt.ItemDataRole.DisplayRole)}"
        if opt.state & QStyle.StateFlag.State_HasFocus:
            text += "  (Enter)"
        rect = opt.rect.adjusted(self.PADDING, 0, -self.PADDING, 0)
        metrics = QFontMetrics(font)
        top = rect.top() + (rect.height() - metrics.height()) // 2
        self._paint_line(painter, text, font, muted, rect, top)
        painter.restore()

    @staticmethod
    def _paint_line(
        painter: QPainter, text: str, font: QFont, colour: QColor, rect: QRect, top: int
    ) -> int:
        """One line of text, cut short with an ellipsis to fit; returns its height."""
        metrics = QFontMetrics(font)
        painter.setFont(font)
        painter.setPen(colour)
        painter.drawText(
            QRect(rect.left(), top, rect.width(), metrics.height()),
            int(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter),
            metrics.elidedText(text, Qt.TextElideMode.ElideRight, rect.width()),
        )
        return metrics.height()

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
    ) -> int:
        """A pill with a dot (a ring while busy) and ``badge``'s text; returns its width."""
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
        fill.setAlphaF(pill_alpha(palette))
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
        return int(pill_w)
