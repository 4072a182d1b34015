"""Secrets the command line is given: from the environment or a hidden prompt, never from
its arguments (which other users of the machine can read). Each is registered for redaction
before anything else sees it.
"""

from __future__ import annotations

import os
import sys

from rostergui.core.redact import remember


def env_secret(name: str) -> str | None:
    """A secret from the environment, registered for redaction before anything else sees it."""
    raw = os.environ.get(name, "")
    remember(raw)
    value = raw.strip() or None
    remember(value)
    return value


def ask_secret(prompt: str) -> str | None:
    """A hidden prompt on a terminal; nothing when run from cron or a script. What is typed is
    registered for redaction."""
    import getpass

    if sys.stdin is None or not sys.stdin.isatty():
        return None
    raw = getpass.getpass(prompt)
    remember(raw)
    value = raw.strip() or None
    remember(value)
    return value
