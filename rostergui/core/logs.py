"""Logging: a rotating file in the data directory, with secrets scrubbed from every record.

Secrets are registered here as they are read from or written to the keyring; a filter on the
handlers replaces them (and anything shaped like an LTIAAS Authorization value) before a record
is written. The log is where the details of every failure go — the user sees one clear line,
the log keeps the traceback.
"""

from __future__ import annotations

import logging
import logging.handlers
import os
import re
import threading
from io import TextIOWrapper
from pathlib import Path

from rostergui.core import private_files
from rostergui.core.paths import DB_FILE_NAME

LOG_FILE_NAME = "rostersync.log"
_MASK = "«secret»"
_AUTH_PATTERN = re.compile(r"(LTIK-AUTH-V[12]|SERVICE-AUTH-V1|Bearer)\s+[^\s\"',]+", re.IGNORECASE)

_secrets: set[str] = set()
_lock = threading.Lock()


def redact_secret(value: str) -> None:
    """Remember a secret so that no log record will ever contain it."""
    if value and len(value) >= 4:
        with _lock:
            _secrets.add(value)


def redact(text: str) -> str:
    text = _AUTH_PATTERN.sub(lambda m: f"{m.group(1)} {_MASK}", text)
    with _lock:
        known = sorted(_secrets, key=len, reverse=True)
    for secret in known:
        if secret in text:
            text = text.replace(secret, _MASK)
    return text


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
    for handler in list(root.handlers):
        if getattr(handler, "_rostersync", False):
            root.removeHandler(handler)
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
