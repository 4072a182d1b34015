"""Logging: a rotating file in the data directory, with secrets scrubbed from every record.

A filter on the handlers scrubs every record with :func:`~rostergui.core.redact.redact` (every
secret the process knows, and anything shaped like an LTIAAS Authorization value) before it is
written. The log is where the details of every failure go — the user sees one clear line,
the log keeps the traceback.
"""

from __future__ import annotations

import contextlib
import logging
import logging.handlers
import os
from io import TextIOWrapper
from pathlib import Path

from rostergui.core import private_files
from rostergui.core.paths import DB_FILE_NAME
from rostergui.core.redact import redact

LOG_FILE_NAME = "rostersync.log"


class RedactingFilter(logging.Filter):
    """Scrubs the fully formatted message and any traceback text."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        clean = redact(message)
        if clean != message:
            record.msg, record.args = clean, None
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = redact(record.exc_text)
        return True


class PrivateRotatingFileHandler(logging.handlers.RotatingFileHandler):
    """A rotating log whose files are created user-only (0600 on POSIX, whatever the umask):
    the log names students. Rotated copies are renamed from it and keep its mode."""

    def _open(self) -> TextIOWrapper:
        flags = os.O_WRONLY | os.O_APPEND | getattr(os, "O_BINARY", 0)  # io does the newlines
        fd = private_files.open_private_fd(self.baseFilename, flags)
        try:
            return open(fd, "a", encoding=self.encoding, errors=self.errors)
        except BaseException:
            os.close(fd)
            raise


def setup_logging(directory: Path | None, *, verbose: bool = False) -> Path | None:
    """Log to ``directory/rostersync.log`` (rotating, 5 × 2 MB). Returns the file path.

    ``directory`` is the data folder: it is created user-only, or tightened if it exists, and
    so are the log files and the default database in it, with one log line naming what was
    tightened (see :mod:`~rostergui.core.private_files`; nothing changes on Windows).

    Console output is left to the caller: the CLI prints one line per error itself. If the
    file cannot be opened (read-only or full disk) logging continues without it.
    """
    root = logging.getLogger()
    root.setLevel(logging.DEBUG if verbose else logging.INFO)
    # A log that cannot be written (a full disk) must not print tracebacks over the one clear
    # line the user gets; the failure itself is reported where it matters.
    logging.raiseExceptions = False
    for handler in list(root.handlers):
        if getattr(handler, "_rostersync", False):
            root.removeHandler(handler)
            with contextlib.suppress(OSError):  # closing flushes: fails on a full disk
                handler.close()
    logging.getLogger("httpx").setLevel(logging.WARNING)
    logging.getLogger("httpcore").setLevel(logging.WARNING)
    logging.getLogger("alembic").setLevel(logging.WARNING)
    if directory is None:
        return None
    path = directory / LOG_FILE_NAME
    try:
        tightened = private_files.ensure_private_dir(directory)
        ours = sorted(directory.glob(f"{LOG_FILE_NAME}*"))
        ours += private_files.sqlite_files(directory / DB_FILE_NAME)
        tightened += private_files.tighten_all(ours)
        file_handler = PrivateRotatingFileHandler(
            path, maxBytes=2_000_000, backupCount=5, encoding="utf-8"
        )
    except OSError:
        return None
    file_handler.setFormatter(
        logging.Formatter("%(asctime)s %(levelname)s %(name)s [%(threadName)s] %(message)s")
    )
    file_handler.addFilter(RedactingFilter())
    file_handler._rostersync = True  # type: ignore[attr-defined]
    root.addHandler(file_handler)
    line = private_files.describe(tightened, directory)
    if line:
        logging.getLogger(__name__).info("%s", line)
    return path
