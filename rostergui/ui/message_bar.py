"""A message bar above the roster: what went wrong with this course and what to do.

A failed sync is easy to miss in a tooltip, and a modal box would interrupt a "Sync all". The
bar stays put while the course is selected, says the reason in a sentence, and carries the
button that fixes it (try again, review the drops). What it says is decided without Qt in
:mod:`rostergui.ui.wording`; this module only shows it.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

from PySide6.QtGui import QColor, QPalette
from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QPushButton, QWidget

from rostergui.ui.badges import Tone
from rostergui.ui.contrast import blend, readable
from rostergui.ui.roles import is_dark, tone_colour
from rostergui.ui.wording import BarAction, BarMessage


class MessageBar(QFrame):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("messageBar")
        self.setAccessibleName("Course message")
        self.setFrameShape(QFrame.Shape.StyledPanel)
        self.label = QLabel(self)
        self.label.setWordWrap(True)
        self.label.setAccessibleName("Course message text")
        self._layout = QHBoxLayout(self)
        self._layout.setContentsMargins(10, 6, 6, 6)
        self._layout.addWidget(self.label, 1)
        self._buttons: list[QPushButton] = []
        self.tone = Tone.FAILED
        self.setVisible(False)

    def show_message(
        self,
        text: str,
        tone: Tone = Tone.FAILED,
        actions: list[tuple[str, Callable[[], None]]] | None = None,
    ) -> None:
        self.tone = tone
        self.label.setText(text)
        for button in self._buttons:
            self._layout.removeWidget(button)
            button.hide()  # at once: deleteLater waits for the event loop
            button.deleteLater()
        self._buttons = []
        for label, callback in actions or []:
            button = QPushButton(label, self)
            button.clicked.connect(callback)
            self._layout.addWidget(button)
            self._buttons.append(button)
        self._apply_colours()
        self.setVisible(True)

    def show_bar_message(
        self, message: BarMessage | None, callbacks: Mapping[BarAction, Callable[[], None]]
    ) -> None:
        """Show ``message`` (decided by :mod:`rostergui.ui.wording`) with the button its action
        names, wired to ``callbacks[action]``; None hides the bar."""
        if message is None:
            self.clear()
            return
        actions = [(action.value, callbacks[action]) for action in message.actions]
        self.show_message(message.text, message.tone, actions)

    def clear(self) -> None:
        self.setVisible(False)
        self.label.clear()

    @property
    def text(self) -> str:
        return self.label.text() if self.isVisible() else ""

    @property
    def buttons(self) -> list[QPushButton]:
        return list(self._buttons)

    def _apply_colours(self) -> None:
        parent = self.parentWidget()
        palette = parent.palette() if parent is not None else self.palette()
        background, border, text = bar_colours(self.tone, palette)
        self.setStyleSheet(
            f"QFrame#messageBar {{ background: {background.name()}; "
            f"border: 1px solid {border.name()}; border-left: 4px solid {border.name()}; "
            f"border-radius: 4px; }}"
            f"QFrame#messageBar QLabel {{ color: {text.name()}; }}"
        )


def bar_colours(tone: Tone, palette: QPalette) -> tuple[QColor, QColor, QColor]:
    """(background, border, text) of a bar in ``tone``: the window's colour tinted with the
    tone, the tone itself as the border, and text readable on the tint (4.5:1; a test checks
    it on the light, dark and high-contrast palettes). The bar's words say what is wrong; the
    colour only repeats it."""
    accent = tone_colour(tone, palette)
    base = palette.color(QPalette.ColorRole.Window)
    background = blend(accent, base, 0.22 if is_dark(palette) else 0.12)
    text = readable(palette.color(QPalette.ColorRole.WindowText), [background])
    return background, accent, text
