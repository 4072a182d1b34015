"""The notes a dialog shows beside its fields, and its secret fields.

A note says what is wrong with a field ("Give the course a name.") or how a check went
("✓ Biology on Canvas — roster service available"), in the colour of its tone. Seen, it is
next to the field; unseen, a screen reader would never learn of it, because the focus stays
where it was. So every note is also announced (a problem interrupting, anything else
politely) and kept as the note's accessible description, for a screen reader that reads the
dialog again.
"""

from __future__ import annotations

import html
import re

from PySide6.QtCore import QSize
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QLabel, QLineEdit, QWidget

from rostergui.ui.announce import announce
from rostergui.ui.badges import Tone
from rostergui.ui.roles import tone_colour

#: Tones whose notes interrupt the screen reader: the admin has to act on them.
URGENT = frozenset({Tone.FAILED, Tone.STALE})


class NoteLabel(QLabel):
    """A word-wrapped label whose size hint is its text on one line.

    A word-wrapped ``QLabel`` hints the height its text needs in a narrow column (a
    one-line note hints four lines). ``QFormLayout`` keeps that hint as the least height of a
    row that has no label and a height-for-width field (its height-for-width pass takes the
    larger of the two), so the row was taller than its text, with blank space around it.
    Hinting the text unwrapped makes the hinted height the least a note can need, so the row
    is exactly as tall as its text at the width the row gets."""

    def sizeHint(self) -> QSize:
        hint = super().sizeHint()
        width = max(hint.width(), self._unwrapped_width())
        return QSize(width, self.heightForWidth(width))

    def minimumSizeHint(self) -> QSize:
        hint = super().minimumSizeHint()
        return QSize(hint.width(), min(hint.height(), self.sizeHint().height()))

    def _unwrapped_width(self) -> int:
        # Measured on the text without markup (a note's markup is one colour), with two
        # characters to spare: too wide a hint only means the same one line.
        text = html.unescape(_MARKUP.sub("", self.text()))
        if not text:
            return 0
        metrics = self.fontMetrics()
        margins = self.contentsMargins()
        extra = margins.left() + margins.right() + 2 * self.margin() + max(self.indent(), 0)
        return metrics.horizontalAdvance(text) + 2 * metrics.averageCharWidth() + extra


_MARKUP = re.compile(r"<[^>]*>")


def note_label(parent: QWidget) -> QLabel:
    label = NoteLabel(parent)
    label.setWordWrap(True)
    label.setVisible(False)
    return label


def escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def set_note(label: QLabel, text: str | None, tone: Tone = Tone.FAILED) -> None:
    """Show ``text`` in ``label`` in ``tone``'s colour and announce it; None hides it. A
    window with a ``fit_height`` method is fitted to its notes afterwards."""
    window = label.window()
    fit = getattr(window, "fit_height", None)
    if not text:
        label.clear()
        label.setAccessibleDescription("")
        label.setVisible(False)
        if callable(fit):
            fit()
        return
    colour = tone_colour(tone, label.palette()).name()
    label.setText(f'<span style="color:{colour}">{escape(text)}</span>')
    label.setAccessibleDescription(text)
    label.setVisible(True)
    if callable(fit):
        fit()
    if window.isVisible():
        announce(label, text, assertive=tone in URGENT)


def secret_field(parent: QWidget, name: str) -> QLineEdit:
    """A password field named ``name`` with a Show/Hide action at its end."""
    edit = QLineEdit(parent)
    edit.setEchoMode(QLineEdit.EchoMode.Password)
    edit.setAccessibleName(name)
    show = QAction("Show", edit)
    show.setCheckable(True)
    show.setToolTip("Show or hide the text")

    def toggle(checked: bool) -> None:
        edit.setEchoMode(QLineEdit.EchoMode.Normal if checked else QLineEdit.EchoMode.Password)
        show.setText("Hide" if checked else "Show")

    show.toggled.connect(toggle)
    edit.addAction(show, QLineEdit.ActionPosition.TrailingPosition)
    return edit
