"""Bugs: logged with their traceback, shown as a dialog whose details can be copied.

Anything that is not a :class:`~rostergui.core.errors.RosterSyncError` is a bug. The admin
sees a plain sentence and where the log is; the traceback sits behind "Show details" and a
"Copy details" button, ready to paste into a report. One dialog at a time: a bug that repeats
in a paint event must not bury the screen in boxes.
"""

from __future__ import annotations

import logging
import platform
import sys
import threading
import traceback
from pathlib import Path
from types import TracebackType

from PySide6.QtCore import QObject, Qt, Signal
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import (
    QApplication,
    QDialog,
    QDialogButtonBox,
    QLabel,
    QPlainTextEdit,
    QVBoxLayout,
    QWidget,
)

from rostergui import APP_NAME, __version__
from rostergui.core.logs import redact

log = logging.getLogger(__name__)

#: Where the log file is, to mention in the dialog (set by the app at start-up).
log_path: Path | None = None
_showing = False


def details(exc: BaseException) -> str:
    """Versions and the traceback, with any known secret masked."""
    trace = "".join(traceback.format_exception(type(exc), exc, exc.__traceback__))
    head = f"{APP_NAME} {__version__}, Python {platform.python_version()}, {platform.platform()}\n"
    return redact(head + trace)


def report_bug(exc: BaseException, parent: QWidget | None = None) -> None:
    """Log ``exc`` and tell the user, with copyable details. Safe from any GUI callback."""
    log.error("Unexpected error", exc_info=exc)
    global _showing  # noqa: PLW0603 - one dialog at a time, process-wide
    if _showing or QApplication.instance() is None:
        return
    _showing = True
    try:
        BugDialog(exc, parent).exec()
    finally:
        _showing = False


class BugDialog(QDialog):
    """A plain sentence first; the traceback behind "Show details", with a copy button."""

    def __init__(self, exc: BaseException, parent: QWidget | None = None) -> None:
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


class _Relay(QObject):
    """Carries exceptions from other threads to the GUI thread."""

    raised = Signal(object)


_relay: _Relay | None = None


def install_excepthook() -> None:
    """Route uncaught exceptions (GUI thread and others) to :func:`report_bug`."""
    global _relay  # noqa: PLW0603 - the hook is process-wide by nature
    _relay = _Relay()
    _relay.raised.connect(lambda exc: report_bug(exc, QApplication.activeWindow()))

    def hook(kind: type[BaseException], value: BaseException, tb: TracebackType | None) -> None:
        if issubclass(kind, KeyboardInterrupt):
            sys.__excepthook__(kind, value, tb)
            return
        if value.__traceback__ is None:
            value = value.with_traceback(tb)
        if _relay is not None:
            _relay.raised.emit(value)

    def thread_hook(args: threading.ExceptHookArgs) -> None:
        if args.exc_value is not None:
            hook(args.exc_type, args.exc_value, args.exc_traceback)

    sys.excepthook = hook
    threading.excepthook = thread_hook
