"""Bugs: logged with their traceback, shown as a dialog whose details can be copied.

Anything that is not a :class:`~rostergui.core.errors.RosterSyncError` is a bug. The admin
sees a plain sentence and where the log is; the traceback sits behind "Show details" and a
"Copy details" button, ready to paste into a report (:mod:`rostergui.ui.bug_dialog`). One
dialog at a time: a bug that repeats in a paint event must not bury the screen in boxes.

The hook is installed before the window shows, so this module loads nothing but the hook
itself; the dialog and what formats the details are loaded when a bug is reported.
"""

from __future__ import annotations

import logging
import sys
import threading
from pathlib import Path
from types import TracebackType

from PySide6.QtCore import QObject, Signal
from PySide6.QtWidgets import QApplication, QWidget

from rostergui import APP_NAME, __version__

log = logging.getLogger(__name__)

#: Where the log file is, to mention in the dialog (set by the app at start-up).
log_path: Path | None = None
_showing = False


def details(exc: BaseException) -> str:
    """Versions and the traceback, with any known secret masked."""
    import platform
    import traceback

    from rostergui.core.redact import redact

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
        from rostergui.ui.bug_dialog import BugDialog

        BugDialog(exc, parent).exec()
    finally:
        _showing = False


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
