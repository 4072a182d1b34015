"""Student data stays private on disk: user-only folders and files.

The data folder holds the database (with SQLite's ``-wal``, ``-shm`` and ``-journal`` files
beside it) and the log, and both name students. On POSIX they are created user-only — folders
0700, files 0600 — whatever the umask, and ones left readable by an older version or a copy are
tightened when the app starts, with one log line naming what changed.

Scope: only the data folder of this process (see :func:`ensure_private_dir`) and the files
RosterSync creates in it are tightened. A database or folder elsewhere (``--db-url
sqlite:////srv/…``) is the admin's choice: a new file there is still created 0600, but an
existing one is never changed. Symbolic links are never followed when tightening, and files
owned by another user are left alone.

Windows: files in the user's profile (``%LOCALAPPDATA%``, where the data folder is by default)
are already private through the profile's inherited ACL, and POSIX modes do not map onto ACLs
(``os.chmod`` only toggles the read-only flag there), so nothing is changed and every function
here only creates what is missing.
"""

from __future__ import annotations

import contextlib
import os
import stat
import threading
from collections.abc import Iterable, Iterator
from pathlib import Path

PRIVATE_DIR_MODE = 0o700
PRIVATE_FILE_MODE = 0o600
PRIVATE_UMASK = 0o077

#: Whether POSIX modes mean anything here (see the module docstring for Windows).
POSIX = os.name == "posix"

_claimed: set[str] = set()
_claimed_lock = threading.Lock()


def _key(path: str | os.PathLike[str]) -> str:
    return os.path.normcase(os.path.realpath(path))


def ensure_private_dir(path: str | os.PathLike[str]) -> list[str]:
    """Create the folder user-only, or tighten it if it exists; remember it as our data folder.

    Missing parent folders are created with the usual permissions (they are not ours to lock
    down, e.g. ``~/.local/share``). Returns what was tightened (see :func:`tighten`). Raises
    :class:`OSError` when the folder cannot be created.
    """
    folder = Path(path)
    changed: list[str] = []
    if not folder.is_dir():
        folder.parent.mkdir(parents=True, exist_ok=True)
        try:
            folder.mkdir(mode=PRIVATE_DIR_MODE)
        except FileExistsError:
            if not folder.is_dir():  # not made meanwhile by another process: a file is there
                raise
    # The folder may be a link the admin made to another disk: its target is the data folder.
    change = tighten(folder, follow_symlinks=True, label="the folder")
    if change:
        changed.append(change)
    with _claimed_lock:
        _claimed.add(_key(folder))
    return changed


def is_private_dir(path: str | os.PathLike[str]) -> bool:
    """Whether ``path`` is a data folder this process made private (:func:`ensure_private_dir`)."""
    with _claimed_lock:
        return _key(path) in _claimed


def tighten(
    path: str | os.PathLike[str], *, follow_symlinks: bool = False, label: str | None = None
) -> str | None:
    """Remove group and other permissions from one of our files or folders (POSIX only).

    Returns a description such as ``"rostersync.log 0644→0600"`` when something changed, None
    when there was nothing to do: a missing path, a symbolic link (not followed unless asked),
    something owned by another user, a device or pipe, an already private one, or Windows.
    Raises :class:`OSError` when the change is refused (e.g. a file system without POSIX modes).
    """
    if not POSIX:
        return None
    try:
        info = os.stat(path) if follow_symlinks else os.lstat(path)
    except FileNotFoundError:
        return None
    if info.st_uid != os.geteuid():
        return None
    if not (stat.S_ISDIR(info.st_mode) or stat.S_ISREG(info.st_mode)):
        return None
    old = stat.S_IMODE(info.st_mode)
    new = old & ~0o077
    if new == old:
        return None
    os.chmod(path, new)
    return f"{label or Path(path).name or path} {old:04o}→{new:04o}"


def tighten_all(paths: Iterable[str | os.PathLike[str]]) -> list[str]:
    """:func:`tighten` each path; a refusal is reported in the returned list, not raised."""
    changed: list[str] = []
    for path in paths:
        try:
            change = tighten(path)
        except OSError as exc:
            changed.append(f"{Path(path).name} not tightened ({exc.strerror})")
            continue
        if change:
            changed.append(change)
    return changed


def describe(changed: Iterable[str], folder: str | os.PathLike[str]) -> str | None:
    """The one log line for what :func:`tighten_all` and friends changed, or None."""
    items = list(changed)
    if not items:
        return None
    return f"Made student data user-only in {folder}: " + ", ".join(items)


def sqlite_files(database: str | os.PathLike[str]) -> list[Path]:
    """A SQLite database file and the files SQLite keeps beside it."""
    base = os.fspath(database)
    return [Path(base + suffix) for suffix in ("", "-wal", "-shm", "-journal")]


def create_private_file(path: str | os.PathLike[str]) -> bool:
    """Create an empty file readable by its owner only (0600 on POSIX, whatever the umask).

    Returns False, without touching it, when something already exists at ``path``. Symbolic
    links are not followed (on POSIX). Raises :class:`OSError` for other failures.
    """
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0)
    try:
        fd = os.open(path, flags, PRIVATE_FILE_MODE)
    except FileExistsError:
        return False
    os.close(fd)
    return True


def open_private_fd(path: str | os.PathLike[str], flags: int) -> int:
    """``os.open`` with ``O_CREAT``: a file that does not exist yet is created 0600."""
    return os.open(path, flags | os.O_CREAT, PRIVATE_FILE_MODE)


def use_private_umask() -> int:
    """Make every file and folder this process creates from now on user-only; returns the
    previous umask. For an entry point: the umask is process-wide, so call it once, early,
    before threads start (a no-op returning 0 on Windows)."""
    if not POSIX:
        return 0
    return os.umask(PRIVATE_UMASK)


@contextlib.contextmanager
def private_umask() -> Iterator[None]:
    """Within the block, files and folders are created user-only. Process-wide while it lasts,
    so only for short single-threaded stretches (tests, start-up)."""
    previous = use_private_umask()
    try:
        yield
    finally:
        if POSIX:
            os.umask(previous)
