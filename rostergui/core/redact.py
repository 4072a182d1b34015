"""The one place secrets are scrubbed from text.

Every secret the process learns (the LTIAAS API key, service keys, launch tokens, whether read
from the keyring, an environment variable, a prompt or a server's answer) is registered here
with :func:`remember`. :func:`redact` replaces each of them, in the spellings a server or proxy
may echo them in (as sent, percent-encoded, inside an ``Authorization`` value), with a mask.

It is applied where text leaves for somewhere a person or a file can see it: every
:class:`~rostergui.core.errors.RosterSyncError` redacts its message and detail when it is built
(so results, history rows, ``--json`` and printed errors are clean however the message was put
together), and the log handlers redact every record.
"""

from __future__ import annotations

import re
import threading
from urllib.parse import quote, quote_plus

MASK = "«secret»"
#: An LTIAAS (or bearer) Authorization value, whoever echoes it.
_AUTH_PATTERN = re.compile(
    r"(LTIK-AUTH-V[12]|SERVICE-AUTH-V1|Bearer|Basic)(\s+|%20|\+)[^\s\"',;&<>]+", re.IGNORECASE
)
#: Shorter values are too likely to occur in ordinary text to be masked everywhere.
MIN_LENGTH = 4


class _Known:
    """The secrets seen so far, and one pattern matching any of them, compiled when text is
    next redacted: a bulk import registers thousands of keys, and compiling the pattern anew
    for each would take minutes."""

    def __init__(self) -> None:
        self.secrets: set[str] = set()
        self.pattern: re.Pattern[str] | None = None
        self.stale = False
        self.lock = threading.Lock()

    def current(self) -> re.Pattern[str] | None:
        if not self.stale:
            return self.pattern
        with self.lock:
            if self.stale:
                # Longest first, so a secret that contains another is masked whole.
                ordered = sorted(self.secrets, key=len, reverse=True)
                self.pattern = re.compile("|".join(re.escape(s) for s in ordered))
                self.stale = False
            return self.pattern


_known = _Known()


def remember(value: str | None) -> None:
    """Register a secret so that no message or log record will ever contain it."""
    if not value or len(value) < MIN_LENGTH:
        return
    variants = {value, quote(value, safe=""), quote_plus(value, safe="")}
    with _known.lock:
        if variants <= _known.secrets:
            return
        _known.secrets.update(variants)
        _known.stale = True


def redact(text: str) -> str:
    """``text`` with every known secret and every Authorization value masked."""
    if not text:
        return text
    # Known secrets first: the Authorization pattern stops at characters such as '&' that a
    # key may hold, and would leave the key's tail for the secrets pass to miss.
    pattern = _known.current()
    if pattern is not None:
        text = pattern.sub(MASK, text)
    return _AUTH_PATTERN.sub(lambda m: f"{m.group(1)} {MASK}", text)
