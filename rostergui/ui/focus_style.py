"""A focus ring that can be seen: keyboard users must always know where they are.

Fusion marks a focused line edit with a faint blue outline (2.3:1 against the unfocused one on
the light palette) and a focused combo box not at all, so a keyboard user tabbing through the
member filters loses their place. :class:`FocusStyle` wraps the style in use and draws a 2-pixel
ring around the focused field, combo box, spin box, button or current item, in the palette's
highlight colour, or its text colour where that stands out more (on a selected row). A test
measures the ring at 3:1 or more against what it covers, on the light and the dark palette.

Only Qt here: the window installs it while building its frame, before the first frame.
"""

from __future__ import annotations

from PySide6.QtCore import QRect, Qt
from PySide6.QtGui import QColor, QPainter, QPalette, QPen
from PySide6.QtWidgets import (
    QApplication,
    QProxyStyle,
    QStyle,
    QStyleOption,
    QStyleOptionComplex,
    QStyleOptionFocusRect,
    QWidget,
)

from rostergui.ui.contrast import ratio

PE = QStyle.PrimitiveElement
CC = QStyle.ComplexControl
CE = QStyle.ControlElement
#: Frames drawn with the focus state whose ring is ours.
_RING_FRAMES = frozenset({PE.PE_FrameLineEdit, PE.PE_FrameFocusRect})
_RING_CONTROLS = frozenset({CC.CC_ComboBox, CC.CC_SpinBox})
RING_WIDTH = 2


def ring_colour(palette: QPalette, background: QColor) -> QColor:
    """The highlight colour, or the text colour when it stands out more on ``background``."""
    highlight = palette.color(QPalette.ColorRole.Highlight)
    text = palette.color(QPalette.ColorRole.Text)
    return highlight if ratio(highlight, background) >= ratio(text, background) else text


def draw_ring(painter: QPainter, rect: QRect, colour: QColor) -> None:
    painter.save()
    painter.setRenderHint(QPainter.RenderHint.Antialiasing, False)
    pen = QPen(colour, RING_WIDTH)
    pen.setJoinStyle(Qt.PenJoinStyle.MiterJoin)
    painter.setPen(pen)
    painter.setBrush(Qt.BrushStyle.NoBrush)
    half = RING_WIDTH // 2
    painter.drawRect(rect.adjusted(half, half, -half, -half))
    painter.restore()


class FocusStyle(QProxyStyle):
    """The style in use, with a visible focus ring (see the module)."""

    def drawPrimitive(
        self,
        element: QStyle.PrimitiveElement,
        option: QStyleOption,
        painter: QPainter,
        widget: QWidget | None = None,
    ) -> None:
        if element == PE.PE_FrameFocusRect:
            # Ours instead of the style's dotted or faint one.
            background = (
                option.backgroundColor
                if isinstance(option, QStyleOptionFocusRect) and option.backgroundColor.isValid()
                else option.palette.color(QPalette.ColorRole.Base)
            )
            draw_ring(painter, option.rect, ring_colour(option.palette, background))
            return
        super().drawPrimitive(element, option, painter, widget)
        if element in _RING_FRAMES and option.state & QStyle.StateFlag.State_HasFocus:
            base = option.palette.color(QPalette.ColorRole.Base)
            draw_ring(painter, option.rect, ring_colour(option.palette, base))

    def drawControl(
        self,
        element: QStyle.ControlElement,
        option: QStyleOption,
        painter: QPainter,
        widget: QWidget | None = None,
    ) -> None:
        super().drawControl(element, option, painter, widget)
        if element == CE.CE_PushButton and option.state & QStyle.StateFlag.State_HasFocus:
            # Fusion only deepens the outline of a focused button: too faint to find.
            button = option.palette.color(QPalette.ColorRole.Button)
            draw_ring(painter, option.rect, ring_colour(option.palette, button))

    def drawComplexControl(
        self,
        control: QStyle.ComplexControl,
        option: QStyleOptionComplex,
        painter: QPainter,
        widget: QWidget | None = None,
    ) -> None:
        super().drawComplexControl(control, option, painter, widget)
        if control in _RING_CONTROLS and option.state & QStyle.StateFlag.State_HasFocus:
            button = option.palette.color(QPalette.ColorRole.Button)
            draw_ring(painter, option.rect, ring_colour(option.palette, button))


_installed: list[FocusStyle] = []


def install() -> None:
    """Wrap the application's style in :class:`FocusStyle` (once)."""
    app = QApplication.instance()
    if not isinstance(app, QApplication) or isinstance(app.style(), FocusStyle):
        return
    # A new base style by name: the proxy owns its base, and the application its style.
    style = FocusStyle(app.style().name())
    # Held here as well: the Python half of the style must live as long as Qt paints with it.
    _installed.append(style)
    QApplication.setStyle(style)
