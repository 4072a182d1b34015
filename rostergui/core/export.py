"""CSV export of a stored roster, safe to open in a spreadsheet.

* UTF-8 with a byte-order mark, so Excel reads accents and CJK names right.
* The csv module's quoting handles commas, quotes and line breaks inside names.
* Names and emails come from the LMS and are untrusted: a cell a spreadsheet would run as a
  formula (starting with ``=``, ``+``, ``-``, ``@``, tab or carriage return) gets a leading
  apostrophe, the convention spreadsheets display as plain text (OWASP "CSV injection").
* The file is written next to its destination and renamed into place, so a full disk or a crash
  never leaves half a file where the admin expects a whole one.
"""

from __future__ import annotations

import csv
import os
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


def write_csv(rows: Iterable[MemberRow], destination: str | os.PathLike[str]) -> int:
    """Write the rows to ``destination`` atomically; returns the number of members written."""
    target = Path(destination).expanduser()
    directory = target.parent if str(target.parent) else Path(".")
    if not directory.is_dir():
        raise errors.ConfigError(f"The folder '{directory}' does not exist; choose another")
    count = 0
    try:
        handle, temp_name = tempfile.mkstemp(prefix=".rostersync-", suffix=".csv", dir=directory)
    except OSError as exc:
        raise _file_error(exc, target) from exc
    try:
        with os.fdopen(handle, "w", encoding="utf-8-sig", newline="") as stream:
            writer = csv.writer(stream, quoting=csv.QUOTE_MINIMAL, lineterminator="\r\n")
            writer.writerow(COLUMNS)
            for row in rows:
                writer.writerow(row_cells(row))
                count += 1
        os.replace(temp_name, target)
    except OSError as exc:
        Path(temp_name).unlink(missing_ok=True)
        raise _file_error(exc, target) from exc
    except BaseException:
        Path(temp_name).unlink(missing_ok=True)
        raise
    return count


def _file_error(exc: OSError, target: Path) -> errors.RosterSyncError:
    if exc.errno == 28:
        return errors.DiskFullError(
            f"The disk is full; '{target.name}' was not written — free some space and export again"
        )
    if isinstance(exc, PermissionError):
        return errors.ConfigError(f"No permission to write '{target}'; choose another folder")
    return errors.StorageError(f"Could not write '{target}' ({exc.strerror}); choose another place")
