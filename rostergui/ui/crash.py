"""Bugs: logged with their traceback, shown as a dialog whose details can be copied.

Anything that is not a :class:`~rostergui.core.errors.RosterSyncError` is a bug. The admin
sees a plain sentence and where the log is; the traceback sits behind "Show details" and a
"Copy details" button, ready to paste into a report (:mod:`rostergui.ui.bug_dialog`). One
dialog at a time: a bug that repeats in a paint event must not bury the screen in boxes.

The hook is installed before the window shows, so this module loads nothing but the hook
itself; the dialog and what formats the details are loaded when a bug is reported. The dialog
opens window-modal and returns at once: a bug can be reported in the middle of any flow, which
a nested event loop would let run on underneath it.
"""

from __future__ import annotations

import logging
import os
import queue
import sys
import threading
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, Qt, Signal, Slot
from PySide6.QtWidgets import QApplication, QWidget

if TYPE_CHECKING:
    from PySide6.QtWidgets import QDialog

log = logging.getLogger(__name__)

_showing = False


def log_file() -> Path | None:
    """The file the log goes to (the root logger's file handler added last), if any."""
    for handler in reversed(logging.getLogger().handlers):
        if isinstance(handler, logging.FileHandler) and handler.baseFilename != os.devnull:
            return Path(handler.baseFilename)
    return None


def report_bug(exc: BaseException, parent: QWidget | None = None) -> QDialog | None:
    """Log ``exc`` and tell the user, with copyable details. Safe from any GUI callback: the
    dialog opens window-modal and this returns at once (the dialog, or None when none was
    shown because one is showing already or there is no application)."""
    log.error("Unexpected error", exc_info=exc)
    global _showing  # noqa: PLW0603 - one dialog at a time, process-wide
    if _showing or QApplication.instance() is None:
        return None
    from rostergui.ui.bug_dialog import BugDialog

    _showing = True
    dialog = BugDialog(exc, parent, log_path=log_file())
    dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    dialog.finished.connect(_closed)
    dialog.open()
    return dialog


def _closed(_code: int) -> None:
    global _showing  # noqa: PLW0603 - one dialog at a time, process-wide
    _showing = False


class _Relay(QObject):
    """Carries exceptions from any thread to the GUI thread: the exception waits in a queue,
    and an argument-less queued signal has the GUI thread report it."""

    raised = Signal()

    def __init__(self) -> None:
        super().__init__()
        self._waiting: queue.SimpleQueue[BaseException] = queue.SimpleQueue()
        self.raised.connect(self._report)

    def relay(self, exc: BaseException) -> None:
        self._waiting.put(exc)
        self.raised.emit()

    @Slot()
    def _report(self) -> None:
        while True:
            try:
                exc = self._waiting.get_nowait()
            except queue.Empty:
                return
            report_bug(exc, QApplication.activeWindow())


_relay: _Relay | None = None


def install_excepthook() -> None:
    """Route uncaught exceptions (GUI thread and others) to :func:`report_bug`."""
    global _relay  # noqa: PLW0603 - the hook is process-wide by nature
    _relay = _Relay()

    def hook(kind: type[BaseException], value: BaseException, tb: TracebackType | None) -> None:
        if issubclass(kind, KeyboardInterrupt):
            sys.__excepthook__(kind, value, tb)
            return
        if value.__traceback__ is None:
            value = value.with_traceback(tb)
        if _relay is not None:
            _relay.relay(value)

    def thread_hook(args: threading.ExceptHookArgs) -> None:
        if args.exc_value is not None:
            hook(args.exc_type, args.exc_value, args.exc_traceback)

    sys.excepthook = hook
    threading.excepthook = thread_hook
