"""Many courses at once: a CSV file (or pasted launch tokens) read and checked row by row.

An admin's catalogue arrives as a spreadsheet. Every row is checked before anything is saved
(:func:`plan_import`), so the command line can report all problems in one go and the window can
show a preview; then the rows still ``READY`` are imported by
:func:`rostergui.core.import_run.import_courses`, each on its own: a row that fails leaves no
course row and no secret behind.

The file: UTF-8 with or without a byte-order mark, comma, semicolon or tab separated (whatever
Excel wrote for the locale), CRLF or LF line ends. Row 1 is the header; its names are read
without regard to letter case, spaces or hyphens (``Base URL`` is ``base_url``):

* ``name`` — the course's name in RosterSync;
* ``base_url`` — the LTIAAS address (https, or http on this computer only);
* ``service_key`` or ``ltik`` (a launch token) — one of the two per row;
* ``platform_id`` (optional) — the LMS's platform id (issuer), as ``contexts add
  --platform-id`` takes it. A launch token, or ``--check``, learns it from LTIAAS; a row
  imported with a service key and neither keeps its LTIAAS address as its platform.

Rows are numbered as a spreadsheet numbers them (the header is row 1). A file over
:data:`MAX_IMPORT_BYTES` or with more than :data:`MAX_IMPORT_ROWS` rows is refused as a whole,
as is one that is not text, has a column missing, unknown or twice. No reason ever quotes a key.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from enum import StrEnum
from pathlib import Path

from rostergui.core import errors
from rostergui.core.input_checks import checked_base_url
from rostergui.core.secret_changes import remember_all
from rostergui.core.store.courses import CONTROL_CHARACTERS, check_course_name
from rostergui.core.store.rows import Course

#: The largest file read: 2,000 rows with long launch tokens take about 3 MB.
MAX_IMPORT_BYTES = 4 * 1024 * 1024
#: The most rows one import takes (a whole catalogue; split larger ones).
MAX_IMPORT_ROWS = 5_000
#: The longest key accepted in a cell (launch tokens are signed JWTs of 1–3 KB).
MAX_KEY_CHARACTERS = 8_192
#: The columns, as the header names them once normalised (see :func:`_column`).
NAME, BASE_URL, SERVICE_KEY, LTIK = "name", "base_url", "service_key", "ltik"
PLATFORM_ID = "platform_id"
COLUMNS = (NAME, BASE_URL, SERVICE_KEY, LTIK, PLATFORM_ID)
_COLUMN_HELP = "the columns are name, base_url, and service_key or ltik (platform_id optional)"
#: Quotes a spreadsheet or a copy from an e-mail may leave around a key.
_QUOTES = "\"'`\u2018\u2019\u201a\u201b\u201c\u201d\u201e\u201f\u00ab\u00bb"


class RowOutcome(StrEnum):
    """Where a row stands: ``READY`` after planning, then one of the four final outcomes."""

    READY = "ready"
    IMPORTED = "imported"
    SKIPPED = "skipped"  # a duplicate: the course is already stored, or earlier in the file
    INVALID = "invalid"  # the row itself is wrong; the reason says what to fix
    REFUSED = "refused"  # LTIAAS, the keyring or the database refused it


@dataclass(frozen=True, slots=True)
class ImportRow:
    """One row as planned. ``name`` is empty for a pasted launch token: it is named after the
    course LTIAAS reports. The keys never appear in ``repr``."""

    row: int
    name: str
    base_url: str
    service_key: str | None = field(default=None, repr=False)
    ltik: str | None = field(default=None, repr=False)
    state: RowOutcome = RowOutcome.READY
    reason: str | None = None
    platform_id: str | None = None

    @property
    def ready(self) -> bool:
        return self.state == RowOutcome.READY


@dataclass(frozen=True, slots=True)
class ImportOutcome:
    """What became of one row. ``reason`` says why it was not imported, or, for an imported
    row, what to look at (the roster service is not enabled, syncs use an expiring token)."""

    row: int
    name: str
    outcome: RowOutcome
    reason: str | None = None
    base_url: str = ""
    platform_id: str | None = None
    context_id: str | None = None


# --- reading the file ------------------------------------------------------------------------


def read_import_file(path: str | Path) -> bytes:
    """The file's bytes, refused with one line when it is not a readable file or too large."""
    target = Path(path)
    try:
        if not target.is_file():
            raise errors.ConfigError(f"'{target}' is not a file; give the CSV file to import")
        size = target.stat().st_size
        if size > MAX_IMPORT_BYTES:
            raise errors.ConfigError(_too_large(target.name, size))
        with target.open("rb") as handle:
            data = handle.read(MAX_IMPORT_BYTES + 1)
    except OSError as exc:
        raise errors.ConfigError(
            f"Cannot read '{target}' ({exc.strerror or type(exc).__name__}); check the path "
            "and its permissions"
        ) from exc
    if len(data) > MAX_IMPORT_BYTES:  # it grew while being read, or is a device
        raise errors.ConfigError(_too_large(target.name, len(data)))
    return data


def _too_large(name: str, size: int) -> str:
    return (
        f"'{name}' is {size / 1_048_576:.1f} MB; an import file is at most "
        f"{MAX_IMPORT_BYTES // 1_048_576} MB ({MAX_IMPORT_ROWS:,} courses): split it"
    )


def decode_import_text(data: bytes) -> str:
    """The file as text: UTF-8 with or without its byte-order mark. Anything else (a
    workbook, a UTF-16 export, a picture) is refused naming what to save instead."""
    save_as = "save it from the spreadsheet as 'CSV UTF-8 (comma delimited)'"
    if data.startswith((b"PK\x03\x04", b"\xd0\xcf\x11\xe0")):
        raise errors.ConfigError(f"This is a spreadsheet workbook, not a CSV file; {save_as}")
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise errors.ConfigError(f"This file is UTF-16 text; {save_as}")
    if b"\x00" in data:
        raise errors.ConfigError(f"This is not a text (CSV) file; {save_as}")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise errors.ConfigError(
            f"Row {line} is not UTF-8 text (the file was saved in another encoding); {save_as}"
        ) from None
    return text


def _column(header: str) -> str:
    """A header cell as a column name: trimmed, any case, spaces and hyphens as underscores."""
    return "_".join(header.strip().strip(_QUOTES).casefold().replace("-", " ").split())


def _delimiter(first_line: str) -> str:
    """The separator the header uses: the one that splits it into the most known columns."""

    def known(delimiter: str) -> tuple[int, int]:
        cells = next(csv.reader([first_line], delimiter=delimiter), [])
        return sum(_column(c) in COLUMNS for c in cells), len(cells)

    return max((",", ";", "\t"), key=known)


def _header(cells: Sequence[str]) -> dict[str, int]:
    """Column name → position; a missing, unknown or repeated column refuses the file."""
    positions: dict[str, int] = {}
    for index, cell in enumerate(cells):
        column = _column(cell)
        if not column:
            continue  # an empty header cell: its cells must stay empty (checked per row)
        if column not in COLUMNS:
            shown = cell.strip()[:40]
            raise errors.ConfigError(
                f"Row 1 (the header) has an unknown column '{shown}' (column {index + 1}); "
                f"rename or delete it: {_COLUMN_HELP}"
            )
        if column in positions:
            raise errors.ConfigError(
                f"Row 1 (the header) has the column '{column}' twice (columns "
                f"{positions[column] + 1} and {index + 1}); keep one"
            )
        positions[column] = index
    for needed in (NAME, BASE_URL):
        if needed not in positions:
            raise errors.ConfigError(
                f"Row 1 (the header) has no '{needed}' column; add it: {_COLUMN_HELP}"
            )
    if SERVICE_KEY not in positions and LTIK not in positions:
        raise errors.ConfigError(
            f"Row 1 (the header) has neither a 'service_key' nor an 'ltik' column; add one: "
            f"{_COLUMN_HELP}"
        )
    return positions


def parse_import_text(text: str) -> list[ImportRow]:
    """Every row of the file, each checked on its own (no database needed): the name, the
    address and its https rule, the key. Duplicates are found by :func:`plan_import`."""
    if not text.strip():
        raise errors.ConfigError(
            f"The file is empty; its first row must name the columns: {_COLUMN_HELP}"
        )
    first_line = text.lstrip("\r\n").splitlines()[0]
    delimiter = _delimiter(first_line)
    try:
        records = list(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter))
    except csv.Error as exc:
        raise errors.ConfigError(
            f"This is not a well-formed CSV file ({exc}); save it again from the spreadsheet"
        ) from None
    while records and not any(cell.strip() for cell in records[-1]):
        records.pop()  # blank lines a spreadsheet leaves at the end
    first = 0
    while first < len(records) and not any(cell.strip() for cell in records[first]):
        first += 1  # blank lines above the header
    if first == len(records):
        raise errors.ConfigError(
            f"The file has no values; its first row must name the columns: {_COLUMN_HELP}"
        )
    header_row = first + 1
    records = records[first:]
    positions = _header(records[0])
    if len(records) - 1 > MAX_IMPORT_ROWS:
        raise errors.ConfigError(
            f"The file has {len(records) - 1:,} rows; one import takes at most "
            f"{MAX_IMPORT_ROWS:,} courses: split it"
        )
    if len(records) == 1:
        raise errors.ConfigError("The file has a header but no courses; add one row per course")
    rows = [
        _row(number, cells, positions) for number, cells in enumerate(records[1:], header_row + 1)
    ]
    # Registered for redaction once all rows are read (no reason quotes a key): registering
    # each as it is met would make every row's message redact against a new pattern.
    remember_all(
        *(
            _cell(cells, positions, column)
            for cells in records[1:]
            for column in (SERVICE_KEY, LTIK)
        )
    )
    return rows


def _cell(cells: Sequence[str], positions: dict[str, int], column: str) -> str:
    index = positions.get(column)
    return cells[index] if index is not None and index < len(cells) else ""


def _row(number: int, cells: Sequence[str], positions: dict[str, int]) -> ImportRow:
    name = _cell(cells, positions, NAME).strip()
    raw_url = _cell(cells, positions, BASE_URL)
    raw_service_key = _cell(cells, positions, SERVICE_KEY)
    raw_ltik = _cell(cells, positions, LTIK)
    planned = ImportRow(number, name, raw_url.strip())

    def invalid(reason: str) -> ImportRow:
        return replace(planned, state=RowOutcome.INVALID, reason=reason)

    if not any(cell.strip() for cell in cells):
        return invalid("the row is empty; delete it")
    used = set(positions.values())
    if any(cell.strip() for index, cell in enumerate(cells) if index not in used):
        return invalid("the row has a value in a column without a header; move it or delete it")
    if not name:
        return invalid("the name is empty; give the course a name")
    if not raw_url.strip():
        return invalid("the base_url is empty; give the LTIAAS address (https://…)")
    try:
        name = check_course_name(name)
        base_url = checked_base_url(raw_url)
        service_key = checked_key(raw_service_key, "service key")
        ltik = checked_key(raw_ltik, "launch token (ltik)")
    except errors.ConfigError as exc:
        return invalid(exc.message)
    if service_key and ltik:
        return invalid("give a service key or a launch token (ltik), not both")
    if not service_key and not ltik:
        return invalid("give the course's service key or a launch token (ltik)")
    platform_id = _cell(cells, positions, PLATFORM_ID).strip() or None
    if platform_id and CONTROL_CHARACTERS.search(platform_id):
        return invalid("the platform id contains control characters; copy it again")
    return ImportRow(number, name, base_url, service_key, ltik, platform_id=platform_id)


def checked_key(raw: str, what: str) -> str | None:
    """A key as typed in a cell: ``None`` when empty. A key with spaces or quotes around it,
    or anything but printable characters in it, is refused rather than guessed at: a key
    that was cut or pasted wrongly would only fail later, at the first sync."""
    if not raw.strip():
        return None
    if raw != raw.strip():
        raise errors.ConfigError(f"the {what} has spaces around it; remove them")
    if raw[0] in _QUOTES or raw[-1] in _QUOTES:
        raise errors.ConfigError(f"the {what} has quotes around it; remove them")
    if any(char.isspace() for char in raw) or CONTROL_CHARACTERS.search(raw):
        raise errors.ConfigError(
            f"the {what} contains spaces or control characters; copy it again in one piece"
        )
    if len(raw) > MAX_KEY_CHARACTERS:
        raise errors.ConfigError(
            f"the {what} is {len(raw):,} characters long, more than a key can be "
            f"({MAX_KEY_CHARACTERS:,}); copy it again"
        )
    return raw


def rows_from_tokens(text: str, base_url: str) -> list[ImportRow]:
    """Pasted launch tokens, one per line, all on one LTIAAS address: each becomes a row named
    after the course LTIAAS reports for it (the rows are numbered by line)."""
    base = checked_base_url(base_url)
    lines = text.splitlines()
    if len(lines) > MAX_IMPORT_ROWS:
        raise errors.ConfigError(
            f"{len(lines):,} lines were given; one import takes at most {MAX_IMPORT_ROWS:,} "
            "launch tokens"
        )
    remember_all(*lines)
    rows: list[ImportRow] = []
    for number, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            token = checked_key(line.strip(), "launch token")
        except errors.ConfigError as exc:
            rows.append(ImportRow(number, "", base, state=RowOutcome.INVALID, reason=exc.message))
            continue
        rows.append(ImportRow(number, "", base, ltik=token))
    if not rows:
        raise errors.ConfigError("Paste one launch token (ltik) per line")
    return mark_duplicates(rows, ())


# --- duplicates ------------------------------------------------------------------------------


def mark_duplicates(rows: Iterable[ImportRow], stored: Iterable[Course]) -> list[ImportRow]:
    """Rows that repeat a stored course's name, or an earlier row's name or key, marked.

    Taking a stored name is a skip, so running an import again after fixing some rows adds
    only the rest; a name twice in the file is invalid (two different courses cannot share
    it); a key twice in the file is a skip (the same course listed twice)."""
    stored_names = {course.name: course for course in stored}
    names: dict[str, int] = {}
    keys: dict[str, int] = {}
    out: list[ImportRow] = []
    for row in rows:
        out.append(_unless_duplicate(row, stored_names, names, keys))
    return out


def _unless_duplicate(
    row: ImportRow, stored: dict[str, Course], names: dict[str, int], keys: dict[str, int]
) -> ImportRow:
    """``row``, or marked as repeating a stored name or an earlier row's name or key (which
    it then records)."""
    if not row.ready:
        return row
    key = row.service_key or row.ltik or ""
    if row.name in stored:
        kept = " (removed, with its roster kept)" if stored[row.name].archived_at else ""
        reason = f"a course named '{row.name}' is already stored{kept}"
        return replace(row, state=RowOutcome.SKIPPED, reason=reason)
    if row.name and row.name in names:
        reason = (
            f"the name '{row.name}' is also on row {names[row.name]}; give each course its own name"
        )
        return replace(row, state=RowOutcome.INVALID, reason=reason)
    if key in keys:
        reason = f"the same key as row {keys[key]}: the course is listed twice"
        return replace(row, state=RowOutcome.SKIPPED, reason=reason)
    if row.name:
        names[row.name] = row.row
    keys[key] = row.row
    return row


def plan_import(data: bytes, stored: Iterable[Course]) -> list[ImportRow]:
    """Every row of a CSV file checked, nothing saved: ``READY`` rows can be imported, the
    others say why not. A problem with the file as a whole raises :class:`ConfigError`."""
    return mark_duplicates(parse_import_text(decode_import_text(data)), stored)


def origins(rows: Iterable[ImportRow]) -> list[str]:
    """The LTIAAS addresses the ready rows use, in file order: one API key is needed for each."""
    return list(dict.fromkeys(row.base_url for row in rows if row.ready))
