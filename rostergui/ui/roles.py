"""What the window's item models and painters share: item data roles, row flags and colours.

A leaf module (it imports only Qt, :mod:`rostergui.ui.badges` and
:mod:`rostergui.ui.contrast`): the course list, its delegate, the member and history tables and
the message bar all use it, and none of them needs another for it.
"""

from __future__ import annotations

from PySide6.QtCore import QModelIndex, QPersistentModelIndex, Qt
from PySide6.QtGui import QColor, QPalette

from rostergui.ui.badges import Tone
from rostergui.ui.contrast import readable

#: The course list's roles: the :class:`~rostergui.core.store.repo.Course`, its
#: :class:`~rostergui.ui.badges.Badge`, and its second line.
COURSE_ROLE = Qt.ItemDataRole.UserRole + 1
BADGE_ROLE = Qt.ItemDataRole.UserRole + 2
TITLE_ROLE = Qt.ItemDataRole.UserRole + 3

Index = QModelIndex | QPersistentModelIndex

# (light palette, dark palette): text-strength colours for each tone. These already reach
# 4.5:1 on the usual backgrounds; tone_colour() adjusts them for any other palette.
_TONE_COLOURS: dict[Tone, tuple[str, str]] = {
    Tone.FRESH: ("#116329", "#56d364"),
    Tone.AGING: ("#7d4e00", "#e3b341"),
    Tone.STALE: ("#a40e26", "#ff7b72"),
    Tone.FAILED: ("#a40e26", "#ff7b72"),
    Tone.NEVER: ("#4b535d", "#b1bac4"),
    Tone.BUSY: ("#0550ae", "#79c0ff"),
    Tone.HELD: ("#7d4e00", "#e3b341"),
    Tone.MUTED: ("#4b535d", "#b1bac4"),
}
#: How opaque a badge's pill is: a tint of its tone over the list's background.
PILL_ALPHA = 0.16
PILL_ALPHA_DARK = 0.24
_cache: dict[tuple[Tone, int], QColor] = {}


def is_dark(palette: QPalette) -> bool:
    return palette.color(QPalette.ColorRole.Window).lightness() < 128


def pill_alpha(palette: QPalette) -> float:
    return PILL_ALPHA_DARK if is_dark(palette) else PILL_ALPHA


def backgrounds(palette: QPalette) -> list[QColor]:
    """What tone colours are drawn on: lists and tables (both row colours) and the window."""
    roles = (QPalette.ColorRole.Base, QPalette.ColorRole.AlternateBase, QPalette.ColorRole.Window)
    return [palette.color(role) for role in roles]


def tone_colour(tone: Tone, palette: QPalette) -> QColor:
    """The tone's colour for text and badges on ``palette``: at least 4.5:1 against every
    background it is drawn on, inside a badge's pill too (see :mod:`rostergui.ui.contrast`)."""
    key = (tone, palette.cacheKey())
    cached = _cache.get(key)
    if cached is not None:
        return QColor(cached)
    light, dark = _TONE_COLOURS[tone]
    colour = readable(
        QColor(dark if is_dark(palette) else light),
        backgrounds(palette),
        fill_alpha=pill_alpha(palette),
    )
    if len(_cache) > 256:
        _cache.clear()
    _cache[key] = colour
    return QColor(colour)


def muted_text(palette: QPalette) -> QColor:
    """Text that is quieter than the rest (an inactive member) but still 4.5:1 readable:
    the palette's disabled text colour often is not (#bebebe on white is 1.9:1)."""
    return tone_colour(Tone.MUTED, palette)


def row_flags(index: Index) -> Qt.ItemFlag:
    """What every row of the window's lists and tables allows: selecting, not editing."""
    if not index.isValid():
        return Qt.ItemFlag.NoItemFlags
    return (
        Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable | Qt.ItemFlag.ItemNeverHasChildren
    )
