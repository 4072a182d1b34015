"""Where RosterSync keeps its files: the database and the logs.

Resolution order: an explicit directory (``--data-dir``), the ``ROSTERGUI_DATA_DIR`` environment
variable, then the platform's per-user data directory. The folder is created user-only when
logging starts (:func:`rostergui.core.logs.setup_logging`, see
:mod:`~rostergui.core.private_files`).
"""

from __future__ import annotations

import os
from pathlib import Path

import platformdirs

APP_DIR_NAME = "RosterSync"
DB_FILE_NAME = "rostersync.db"


def data_dir(explicit: str | os.PathLike[str] | None = None) -> Path:
    chosen = explicit or os.environ.get("ROSTERGUI_DATA_DIR")
    if chosen:
        return Path(chosen).expanduser()
    return Path(platformdirs.user_data_dir(APP_DIR_NAME, appauthor=False))


def database_url(directory: Path, explicit: str | None = None) -> str:
    """The database to open: ``explicit`` (``--db-url``), ``ROSTERGUI_DB_URL``, then the SQLite
    file in ``directory``."""
    return explicit or os.environ.get("ROSTERGUI_DB_URL") or f"sqlite:///{directory / DB_FILE_NAME}"
