"""What Qt and the interpreter say reaches the log.

* Qt's own warnings (a bad model index, a failed connection, a missing platform plugin) go to
  the Python log through :func:`route_qt_messages`, instead of a terminal nobody watches.
* A hard crash (a segmentation fault, an abort inside Qt) leaves no Python traceback;
  :func:`enable_crash_file` has :mod:`faulthandler` write every thread's stack into
  ``rostersync-crash.log`` beside the log (user-only). On the next start a non-empty crash file
  is copied into the log, emptied, and the admin is told once.

Only the standard library and ``QtCore`` are imported here: the Qt handler is installed before
the first frame.
"""

from __future__ import annotations

import faulthandler
import logging
import os
from pathlib import Path
from typing import IO

from PySide6.QtCore import QMessageLogContext, QtMsgType, qInstallMessageHandler

log = logging.getLogger(__name__)
qt_log = logging.getLogger("qt")

CRASH_FILE_NAME = "rostersync-crash.log"
#: The most of an earlier crash report copied into the log.
CRASH_TEXT_LIMIT = 64 * 1024

_LEVELS = {
    QtMsgType.QtDebugMsg: logging.DEBUG,
    QtMsgType.QtInfoMsg: logging.INFO,
    QtMsgType.QtWarningMsg: logging.WARNING,
    QtMsgType.QtCriticalMsg: logging.ERROR,
    QtMsgType.QtFatalMsg: logging.CRITICAL,
}

_crash_file: IO[str] | None = None


def qt_message(kind: QtMsgType, context: QMessageLogContext, message: str) -> None:
    """Qt's message handler: one log record per message, at the matching level."""
    where = f" ({context.category})" if context.category and context.category != "default" else ""
    qt_log.log(_LEVELS.get(kind, logging.WARNING), "%s%s", message, where)


def route_qt_messages() -> None:
    """Send Qt's messages to the Python log from now on (process-wide)."""
    qInstallMessageHandler(qt_message)


def enable_crash_file(directory: Path) -> Path | None:
    """Have :mod:`faulthandler` write fatal errors to the crash file in ``directory``.

    Returns the crash file's path when it held the report of an earlier crash: that report is
    copied into the log first and the file emptied, so it is reported once. A crash file that
    cannot be opened only costs the report (logged), never the start.
    """
    global _crash_file  # noqa: PLW0603 - faulthandler is process-wide
    path = directory / CRASH_FILE_NAME
    earlier: Path | None = None
    try:
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
        if hasattr(os, "fchmod"):
            os.fchmod(fd, 0o600)  # user-only, also when it was made otherwise before
    except OSError as exc:
        log.warning("No crash file (%s): %s", path, exc)
        return None
    handle = os.fdopen(fd, "r+", encoding="utf-8", errors="replace")
    try:
        text = handle.read(CRASH_TEXT_LIMIT + 1)
        if text.strip():
            cut = " (cut short)" if len(text) > CRASH_TEXT_LIMIT else ""
            log.error("The previous run crashed%s:\n%s", cut, text[:CRASH_TEXT_LIMIT])
            earlier = path
        handle.seek(0)
        handle.truncate()
        handle.flush()
    except OSError as exc:
        log.warning("Could not read the crash file %s: %s", path, exc)
    disable_crash_file()
    _crash_file = handle
    faulthandler.enable(file=handle, all_threads=True)
    return earlier


def disable_crash_file() -> None:
    """Stop writing to the crash file (at a clean exit)."""
    global _crash_file  # noqa: PLW0603 - faulthandler is process-wide
    if _crash_file is None:
        return
    faulthandler.disable()
    _crash_file.close()
    _crash_file = None


def crash_notice(path: Path) -> str:
    """The message-bar note after a crash of the previous run."""
    from rostergui import APP_NAME

    return (
        f"{APP_NAME} ended unexpectedly last time. Its crash report was copied into the log "
        f"(Help ▸ Open the log folder); {path.name} was emptied."
    )
