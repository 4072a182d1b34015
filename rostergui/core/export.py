"""CSV export of a stored roster, safe to open in a spreadsheet.

* UTF-8 with a byte-order mark, so Excel reads accents and CJK names right.
* The csv module's quoting handles commas, quotes and line breaks inside names.
* Names and emails come from the LMS and are untrusted: a cell a spreadsheet would run as a
  formula (starting with ``=``, ``+``, ``-``, ``@``, tab or carriage return) gets a leading
  apostrophe, the convention spreadsheets display as plain text (OWASP "CSV injection").
* The file is written next to its destination, flushed to disk and renamed into place, so a full
  disk or a crash never leaves half a file where the admin expects a whole one, and the temporary
  file is removed on failure.

Where it writes (:func:`write_csv`):

* Only regular files. A device (``/dev/null``, ``/dev/stdout``, a terminal), a named pipe, a
  socket or a folder is refused with :class:`ExportTargetError`: renaming a file over a device
  node would replace it, and a spreadsheet export is never meant for a stream.
* A symbolic link is followed: its target file is written (atomically replaced) and the link
  stays a link. A dangling link is refused, naming the file it points to.
* An existing file is replaced only with ``overwrite=True`` (the window asks first; the command
  line needs ``--force``); the new content keeps the old file's permission bits (and its owner
  and group where allowed). A new file is created user-only (0600 on POSIX): it names students.
* Without ``overwrite`` the new file is linked into place, which fails if the name appeared in
  the meantime, so nothing is ever replaced by a race.
"""

from __future__ import annotations

import contextlib
import csv
import errno
import os
import stat
import tempfile
from collections.abc import Iterable
from datetime import datetime
from pathlib import Path

from rostergui.core import errors
from rostergui.core.store.repo import MemberRow

COLUMNS = (
    "user_id",
    "name",
    "given_name",
    "family_name",
    "email",
    "role",
    "status",
    "test_user",
    "lti_roles",
    "first_seen_at",
    "last_seen_at",
    "deactivated_at",
)
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")

_KINDS = (
    (stat.S_ISCHR, "device"),
    (stat.S_ISBLK, "disk device"),
    (stat.S_ISFIFO, "named pipe"),
    (stat.S_ISSOCK, "socket"),
)


class ExportTargetError(errors.ConfigError):
    """The destination is not a file an export may write: a device, pipe, socket, folder,
    dangling link or a missing folder."""

    kind = "export_target"


class ExportExistsError(ExportTargetError):
    """The destination exists and replacing it was not allowed."""

    kind = "exists"

    def __init__(self, path: Path) -> None:
        super().__init__(f"'{path}' already exists; allow replacing it or choose another file name")
        self.path = path


def neutralise(value: str) -> str:
    """Make a cell that a spreadsheet would evaluate display as text instead."""
    return "'" + value if value.startswith(_FORMULA_START) else value


def _iso(value: datetime | None) -> str:
    # isoformat is several times faster than strftime, and 200,000 dates go by per export.
    return value.isoformat(timespec="seconds") + "Z" if value else ""


def row_cells(row: MemberRow) -> list[str]:
    return [
        neutralise(row.user_id),
        neutralise(row.name or ""),
        neutralise(row.given_name or ""),
        neutralise(row.family_name or ""),
        neutralise(row.email or ""),
        row.role,
        row.status,
        "yes" if row.test_user else "no",
        neutralise(" ".join(row.lti_roles)),
        _iso(row.first_seen_at),
        _iso(row.last_seen_at),
        _iso(row.deactivated_at),
    ]


def default_file_name(course_name: str, when: datetime) -> str:
    """``<course>-roster-YYYY-MM-DD.csv`` with characters file systems dislike replaced."""
    safe = "".join(c if c.isalnum() or c in " ._-" else "_" for c in course_name).strip(" .")
    return f"{safe or 'course'}-roster-{when:%Y-%m-%d}.csv"


def check_target(destination: str | os.PathLike[str], *, overwrite: bool) -> Path:
    """The file an export to ``destination`` will write: the path itself, or for a symbolic
    link the file it points to. Raises :class:`ExportTargetError` for a destination that is
    not a regular file (see the module docstring) and :class:`ExportExistsError` for an
    existing one when ``overwrite`` is false. Cheap: call it before loading the rows."""
    given = Path(destination).expanduser()
    try:
        info: os.stat_result | None = os.stat(given)  # follows links
    except FileNotFoundError:
        info = None
    except OSError as exc:
        raise _file_error(exc, given) from exc
    target = Path(os.path.realpath(given)) if os.path.islink(given) else given
    if info is None:
        if os.path.islink(given):
            raise ExportTargetError(
                f"'{given}' is a link to '{target}', which does not exist; export to "
                f"'{target}' directly or remove the link"
            )
    elif stat.S_ISDIR(info.st_mode):
        raise ExportTargetError(f"'{given}' is a folder; choose a file name inside it")
    elif not stat.S_ISREG(info.st_mode):
        kind = next((name for test, name in _KINDS if test(info.st_mode)), "special file")
        raise ExportTargetError(
            f"'{given}' is a {kind}, not a regular file; choose a file to export to"
        )
    elif not overwrite:
        raise ExportExistsError(given)
    directory = target.parent if str(target.parent) else Path(".")
    if not directory.is_dir():
        raise ExportTargetError(f"The folder '{directory}' does not exist; choose another")
    return target


def write_csv(
    rows: Iterable[MemberRow], destination: str | os.PathLike[str], *, overwrite: bool = True
) -> int:
    """Write the rows to ``destination``; returns the number of members written.

    ``overwrite``: whether an existing file may be replaced. True for callers that asked the
    user already (the window's file dialog); the command line passes ``--force``.

    Names, emails, user ids and LTI roles starting with ``=``, ``+``, ``-``, ``@``, tab or
    carriage return are written with a leading apostrophe, so a spreadsheet shows them as
    text instead of running them as a formula (OWASP "CSV injection").

    Only a regular file is written (a device, pipe, socket, folder or dangling link raises
    :class:`ExportTargetError`); a symbolic link's target is written and the link kept. The
    rows go to a temporary file beside the target, which is flushed to disk and renamed into
    place: a replaced file keeps its permission bits, a new one is user-only. A full disk or a
    read-only folder raises a one-line :class:`~rostergui.core.errors.StorageError` after the
    temporary file is removed, leaving any existing file as it was.
    """
    target = check_target(destination, overwrite=overwrite)
    try:
        existing: os.stat_result | None = os.stat(target)
    except OSError:
        existing = None
    count = 0
    try:
        # mkstemp creates the file 0600 whatever the umask.
        handle, temp_name = tempfile.mkstemp(
            prefix=".rostersync-", suffix=".csv", dir=target.parent
        )
    except OSError as exc:
        raise _file_error(exc, target, existing is not None) from exc
    try:
        with os.fdopen(handle, "w", encoding="utf-8-sig", newline="") as stream:
            if existing is not None:
                _keep_owner_and_mode(stream.fileno(), existing)
            writer = csv.writer(stream, quoting=csv.QUOTE_MINIMAL, lineterminator="\r\n")
            writer.writerow(COLUMNS)
            for row in rows:
                writer.writerow(row_cells(row))
                count += 1
            stream.flush()
            os.fsync(stream.fileno())
        _move_into_place(temp_name, target, overwrite=overwrite)
    except OSError as exc:
        _discard(temp_name)
        raise _file_error(exc, target, existing is not None) from exc
    except BaseException:
        _discard(temp_name)
        raise
    _sync_folder(target.parent)
    return count


def _keep_owner_and_mode(fd: int, existing: os.stat_result) -> None:
    """Give the replacement the replaced file's permission bits (and its owner and group where
    allowed, e.g. for root running a cron export into a user's file). POSIX only."""
    if hasattr(os, "fchown"):
        with contextlib.suppress(OSError):
            os.fchown(fd, existing.st_uid, existing.st_gid)
    if hasattr(os, "fchmod"):  # after fchown, which may clear set-id bits
        os.fchmod(fd, stat.S_IMODE(existing.st_mode))


def _move_into_place(temp_name: str, target: Path, *, overwrite: bool) -> None:
    if overwrite:
        os.replace(temp_name, target)
        return
    try:
        # A hard link never replaces an existing name: the check and the move are one step.
        os.link(temp_name, target)
    except FileExistsError:
        raise ExportExistsError(target) from None
    except OSError:
        # A file system without hard links (FAT, some network shares): check, then rename.
        if os.path.lexists(target):
            raise ExportExistsError(target) from None
        os.replace(temp_name, target)
        return
    _discard(temp_name)


def _discard(temp_name: str) -> None:
    with contextlib.suppress(OSError):
        os.unlink(temp_name)


def _sync_folder(directory: Path) -> None:
    """Make the rename itself durable (POSIX; folders cannot be opened on Windows)."""
    if os.name != "posix":
        return
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def _file_error(exc: OSError, target: Path, existed: bool = False) -> errors.RosterSyncError:
    kept = f"; the existing '{target.name}' was left as it was" if existed else ""
    if exc.errno in (errno.ENOSPC, getattr(errno, "EDQUOT", errno.ENOSPC)):
        return errors.DiskFullError(
            f"The disk is full; '{target.name}' was not written{kept} — free some space and "
            "export again"
        )
    if exc.errno == errno.EROFS:
        return errors.StorageError(
            f"The folder '{target.parent}' is read-only; '{target.name}' was not written{kept} "
            "— choose another folder"
        )
    if isinstance(exc, PermissionError):
        return errors.ConfigError(f"No permission to write '{target}'{kept}; choose another folder")
    return errors.StorageError(
        f"Could not write '{target}' ({exc.strerror}){kept}; choose another place"
    )
