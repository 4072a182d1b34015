"""Logging: a rotating file in the data directory, with secrets scrubbed from every record.

Secrets are registered here as they are read from or written to the keyring; a filter on the
handlers replaces them (and anything shaped like an LTIAAS Authorization value) before a record
is written. The log is where the details of every failure go — the user sees one clear line,
the log keeps the traceback.
"""

from __future__ import annotations

import logging
import logging.handlers
import re
import threading
from pathlib import Path

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


def setup_logging(directory: Path | None, *, verbose: bool = False) -> Path | None:
    """Log to ``directory/rostersync.log`` (rotating, 5 × 2 MB). Returns the file path.

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
        directory.mkdir(parents=True, exist_ok=True)
        file_handler = logging.handlers.RotatingFileHandler(
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
    return path
