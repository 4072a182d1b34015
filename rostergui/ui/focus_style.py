"""A focus ring that can be seen: keyboard users must always know where they are.

Fusion marks a focused line edit with a faint blue outline (2.3:1 against the unfocused one on
the light palette) and a focused combo box not at all, so a keyboard user tabbing through the
member filters loses their place. :class:`FocusStyle` wraps the style in use and draws a 2-pixel
ring around the focused field, combo box, spin box, button or current item, in the palette's
highlight colour, or a text colour where the highlight does not stand out (on a selected
row). A test measures the ring at 3:1 or more against what it covers, on the light and the
dark palette. Its cost: the primitives Qt draws pass through Python, about 2 ms more for a
full repaint of a large member table (Fusion alone: about 10 ms on the test machine).

The same goes for the selection: :func:`readable_selection` darkens a highlight that its white
text does not read on (Fusion's light blue is 3.7:1).

Only Qt and the window's colour helpers here (nothing of the core): the window installs both
while building its frame, before the first frame, and checks the selection again when the
desktop changes the palette.
"""

from __future__ import annotations

from typing import Any

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

from rostergui.ui import accessible
from rostergui.ui.contrast import LARGE_RATIO, TEXT_RATIO, blend, luminance, ratio
from rostergui.ui.roles import pill_alpha

PE = QStyle.PrimitiveElement
CC = QStyle.ComplexControl
#: Frames drawn with the focus state that get our ring on top (a button's panel: Fusion only
#: deepens the outline of a focused button, too faint to find). Only primitives and complex
#: controls are overridden, not drawControl, which every table cell goes through.
_RING_FRAMES = frozenset({PE.PE_FrameLineEdit, PE.PE_PanelButtonCommand})
_RING_CONTROLS = frozenset({CC.CC_ComboBox, CC.CC_SpinBox})
RING_WIDTH = 2
#: Lightness change per step while darkening the selection (HSL, 0..1).
STEP = 0.02


def ring_colour(palette: QPalette, background: QColor) -> QColor:
    """The highlight colour if it stands out on ``background`` (3:1), else the text or the
    highlighted text colour, whichever stands out more (the current cell of a selected row is
    drawn on the highlight)."""
    highlight = palette.color(QPalette.ColorRole.Highlight)
    if ratio(highlight, background) >= LARGE_RATIO:
        return highlight
    others = (
        palette.color(QPalette.ColorRole.Text),
        palette.color(QPalette.ColorRole.HighlightedText),
    )
    return max(others, key=lambda colour: ratio(colour, background))


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

    def polish(self, target: Any) -> None:
        """Every widget, palette and the application pass here before use: widgets also get
        names for the helpers Qt adds to them (see :mod:`rostergui.ui.accessible`)."""
        super().polish(target)
        if isinstance(target, QWidget):
            accessible.name_helper(target)

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
            role = (
                QPalette.ColorRole.Base
                if element == PE.PE_FrameLineEdit
                else QPalette.ColorRole.Button
            )
            draw_ring(painter, option.rect, ring_colour(option.palette, option.palette.color(role)))

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


def readable_selection(palette: QPalette) -> QPalette:
    """``palette`` with a highlight that its highlighted text reads on at 4.5:1, also inside
    a badge's pill on a selected row (a tint of the text over the highlight). Fusion's light
    blue under white text is 3.7:1. The highlight keeps its hue; it only gets darker (or
    lighter, under dark text)."""
    fixed = QPalette(palette)
    tint = pill_alpha(palette)
    for group in (QPalette.ColorGroup.Active, QPalette.ColorGroup.Inactive):
        text = palette.color(group, QPalette.ColorRole.HighlightedText)
        highlight = palette.color(group, QPalette.ColorRole.Highlight)
        darker = luminance(text) > luminance(highlight)
        hue, saturation = max(highlight.hslHueF(), 0.0), highlight.hslSaturationF()
        lightness = highlight.lightnessF()
        while (
            min(ratio(text, highlight), ratio(text, blend(text, highlight, tint))) < (TEXT_RATIO)
            and 0.0 < lightness < 1.0
        ):
            lightness = min(1.0, max(0.0, lightness + (-STEP if darker else STEP)))
            highlight = QColor.fromHslF(hue, saturation, lightness)
        if highlight != palette.color(group, QPalette.ColorRole.Highlight):
            fixed.setColor(group, QPalette.ColorRole.Highlight, highlight)
    return fixed


def keep_selection_readable() -> None:
    """Make the application's selection readable (see :func:`readable_selection`), at start
    and again whenever the desktop changes the palette; nothing when it already reads."""
    palette = QApplication.palette()
    fixed = readable_selection(palette)
    if fixed.color(QPalette.ColorRole.Highlight) != palette.color(QPalette.ColorRole.Highlight):
        QApplication.setPalette(fixed)


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
    keep_selection_readable()
