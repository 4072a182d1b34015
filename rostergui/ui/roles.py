"""What the window's item models and painters share: item data roles, row flags and colours.

A leaf module (it imports only Qt and :mod:`rostergui.ui.badges`): the course list, its
delegate, the member and history tables and the message bar all use it, and none of them needs
another for it.
"""

from __future__ import annotations

from PySide6.QtCore import QModelIndex, QPersistentModelIndex, Qt
from PySide6.QtGui import QColor, QPalette

from rostergui.ui.badges import Tone

#: The course list's roles: the :class:`~rostergui.core.store.repo.Course`, its
#: :class:`~rostergui.ui.badges.Badge`, and its second line.
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


def is_dark(palette: QPalette) -> bool:
    return palette.color(QPalette.ColorRole.Window).lightness() < 128


def tone_colour(tone: Tone, palette: QPalette) -> QColor:
    light, dark = _TONE_COLOURS[tone]
    return QColor(dark if is_dark(palette) else light)


def row_flags(index: Index) -> Qt.ItemFlag:
    """What every row of the window's lists and tables allows: selecting, not editing."""
    if not index.isValid():
        return Qt.ItemFlag.NoItemFlags
    return (
        Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable | Qt.ItemFlag.ItemNeverHasChildren
    )
