"""The dialog that reports a bug: a plain sentence first, the traceback behind "Show details".

Kept apart from :mod:`rostergui.ui.crash` (which is installed before the window shows) so that
its widgets are only loaded when a bug is actually reported. It needs nothing of that module:
the log's path is passed in.
"""

from __future__ import annotations

import platform
import traceback
from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QLabel,
    QPlainTextEdit,
    QVBoxLayout,
    QWidget,
)

from rostergui import APP_NAME, __version__
from rostergui.core.redact import redact


def details(exc: BaseException) -> str:
    """Versions and the traceback, with any known secret masked."""
    trace = "".join(traceback.format_exception(type(exc), exc, exc.__traceback__))
    head = f"{APP_NAME} {__version__}, Python {platform.python_version()}, {platform.platform()}\n"
    return redact(head + trace)


class BugDialog(QDialog):
    """A plain sentence first; the traceback behind "Show details", with a copy button."""

    def __init__(
        self, exc: BaseException, parent: QWidget | None = None, *, log_path: Path | None = None
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle(f"{APP_NAME} — unexpected error")
        self.details_text = details(exc)
        where = f" The details are also in the log: {log_path}" if log_path else ""
        headline = QLabel(
            f"<b>Something went wrong inside {APP_NAME}.</b> This is a bug, not something you did.",
            self,
        )
        headline.setWordWrap(True)
        summary = QLabel(f"{type(exc).__name__}: {redact(str(exc))}", self)
        summary.setWordWrap(True)
        summary.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        advice = QLabel(
            "Your stored rosters are safe and you can keep working. If it happens again, copy "
            f"the details and send them to your support contact.{where}",
            self,
        )
        advice.setWordWrap(True)
        self.details_view = QPlainTextEdit(self.details_text, self)
        self.details_view.setReadOnly(True)
        self.details_view.setAccessibleName("Error details")
        self.details_view.setVisible(False)
        self.details_view.setMinimumHeight(220)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close, self)
        toggle = buttons.addButton("Show details", QDialogButtonBox.ButtonRole.ActionRole)
        copy = buttons.addButton("Copy details", QDialogButtonBox.ButtonRole.ActionRole)
        toggle.clicked.connect(self._toggle)
        copy.clicked.connect(self.copy_details)
        buttons.rejected.connect(self.reject)
        self._toggle_button = toggle
        layout = QVBoxLayout(self)
        for widget in (headline, summary, advice, self.details_view):
            layout.addWidget(widget)
        layout.addWidget(buttons)
        self.resize(560, 200)

    def _toggle(self) -> None:
        show = not self.details_view.isVisible()
        self.details_view.setVisible(show)
        self._toggle_button.setText("Hide details" if show else "Show details")
        self.adjustSize()

    def copy_details(self) -> None:
        QGuiApplication.clipboard().setText(self.details_text)
