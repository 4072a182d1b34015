"""Where the main window opens: a first size that fits the screen, and a saved geometry kept
on it.

A geometry saved on a larger screen or at another scale factor, or a first size larger than a
small (or scaled) screen, would put the title bar and the window's edges out of reach, so
every geometry the window takes is clamped to its screen's available area, with room left for
the window manager's frame and title bar.
"""

from __future__ import annotations

from PySide6.QtCore import QRect, QSize
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QSplitter

from rostergui.ui.settings import Settings
from rostergui.ui.window_frame import WindowFrame

GEOMETRY_KEY = "window/geometry"
STATE_KEY = "window/state"
SPLITTER_KEY = "window/splitter"
#: The size of a first start, when it fits the screen.
FIRST_SIZE = (1280, 800)
#: Room left around the window's client area for a window manager's frame and title bar.
FRAME_ALLOWANCE = QSize(16, 40)


def fit_rect(window: QRect, available: QRect) -> QRect:
    """``window`` made no larger than ``available`` (less room for a title bar and frame) and
    moved inside it."""
    width = min(window.width(), available.width() - FRAME_ALLOWANCE.width())
    height = min(window.height(), available.height() - FRAME_ALLOWANCE.height())
    left = min(max(window.x(), available.left()), available.right() + 1 - width)
    top = max(
        min(window.y(), available.bottom() + 1 - height - FRAME_ALLOWANCE.height()),
        available.top() + FRAME_ALLOWANCE.height(),
    )
    return QRect(left, top, max(1, width), max(1, height))


class PlacedWindow(WindowFrame):
    """The window frame that restores its geometry within the screen it is on."""

    settings: Settings
    splitter: QSplitter

    def _restore_geometry(self) -> None:
        s = self.settings
        geometry = s.get_bytes(GEOMETRY_KEY)
        if geometry is None or not self.restoreGeometry(geometry):
            self.first_geometry()
        else:
            self.fit_to_screen()
        state = s.get_bytes(STATE_KEY)
        if state is not None:
            self.restoreState(state)
        splitter = s.get_bytes(SPLITTER_KEY)
        if splitter is not None:
            self.splitter.restoreState(splitter)

    def _save_geometry(self) -> None:
        s = self.settings
        s.set_bytes(GEOMETRY_KEY, self.saveGeometry())
        s.set_bytes(STATE_KEY, self.saveState())
        s.set_bytes(SPLITTER_KEY, self.splitter.saveState())

    def first_geometry(self) -> None:
        """A first start: :data:`FIRST_SIZE`, or the screen's available area if that is
        smaller, centred on it."""
        screen = self.screen() or QGuiApplication.primaryScreen()
        if screen is None:
            self.resize(*FIRST_SIZE)
            return
        available = screen.availableGeometry()
        rect = fit_rect(QRect(available.topLeft(), QSize(*FIRST_SIZE)), available)
        rect.moveCenter(available.center())
        self.setGeometry(fit_rect(rect, available))

    def fit_to_screen(self) -> None:
        """Keep the window within its screen's available area."""
        screen = self.screen() or QGuiApplication.primaryScreen()
        if screen is None:
            return
        fitted = fit_rect(self.geometry(), screen.availableGeometry())
        if fitted != self.geometry():
            self.setGeometry(fitted)
