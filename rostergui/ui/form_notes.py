"""The notes a dialog shows beside its fields, and its secret fields.

A note says what is wrong with a field ("Give the course a name.") or how a check went
("✓ Biology on Canvas — roster service available"), in the colour of its tone. Seen, it is
next to the field; unseen, a screen reader would never learn of it, because the focus stays
where it was. So every note is also announced (a problem interrupting, anything else
politely) and kept as the note's accessible description, for a screen reader that reads the
dialog again.
"""

from __future__ import annotations

from PySide6.QtGui import QAction
from PySide6.QtWidgets import QLabel, QLineEdit, QWidget

from rostergui.ui.announce import announce
from rostergui.ui.badges import Tone
from rostergui.ui.roles import tone_colour

#: Tones whose notes interrupt the screen reader: the admin has to act on them.
URGENT = frozenset({Tone.FAILED, Tone.STALE})


def note_label(parent: QWidget) -> QLabel:
    label = QLabel(parent)
    label.setWordWrap(True)
    label.setVisible(False)
    return label


def escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def set_note(label: QLabel, text: str | None, tone: Tone = Tone.FAILED) -> None:
    """Show ``text`` in ``label`` in ``tone``'s colour and announce it; None hides it. A
    window with a ``fit_height`` method grows to fit the note."""
    if not text:
        label.clear()
        label.setAccessibleDescription("")
        label.setVisible(False)
        return
    colour = tone_colour(tone, label.palette()).name()
    label.setText(f'<span style="color:{colour}">{escape(text)}</span>')
    label.setAccessibleDescription(text)
    label.setVisible(True)
    window = label.window()
    fit = getattr(window, "fit_height", None)
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
