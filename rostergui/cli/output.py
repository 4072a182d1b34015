"""What the command line says, and how it leaves the process.

* :class:`Console` is the one place output leaves: every text line passes
  :func:`terminal_safe`, so names, titles and error texts from the LMS can never move the
  cursor, recolour or retitle the terminal or reorder what is shown (control characters,
  including escape, line breaks inside a field and bidirectional overrides, appear as
  ``\\x1b``, ``\\u202e``…). ``--json`` output is exact: the same values, with such characters
  written as JSON ``\\uXXXX`` escapes (lone surrogates too, which JSON can carry and
  ``json.loads`` reads back).
* The presenter functions below word every result for the command line: sync summaries, held
  lists, course, member, history and role tables, and the stable JSON shapes. The core returns
  values; the words for people are here (the window has its own).

Of the core only its state names are imported at run time, so the window can start without
the rest.
"""

from __future__ import annotations

import os
import re
import threading
import time
from collections.abc import Callable, Iterable, Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any, TextIO

from rostergui.core.states import Phase

if TYPE_CHECKING:
    from rostergui.core.roles import RoleMapping
    from rostergui.core.store.repo import Change, Course, MemberRow, SyncRun
    from rostergui.core.sync import Progress, SyncResult
    from rostergui.core.sync_round import RoundReport

#: Exit statuses: all done, something failed, a usage error, nothing failed but a sync was held.
EXIT_OK, EXIT_FAILED, EXIT_USAGE, EXIT_HELD = 0, 1, 2, 3


def iso(value: datetime | None) -> str | None:
    return value.strftime("%Y-%m-%dT%H:%M:%SZ") if value else None


# --- escaping ------------------------------------------------------------------------------

#: What a terminal may act on rather than show: C0 controls (escape, line breaks, tab…), DEL,
#: C1 controls, the Unicode line and paragraph separators, bidirectional embeddings, overrides
#: and isolates, and lone surrogates (which cannot even be encoded).
_UNSAFE_TEXT = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069\ud800-\udfff]")
#: The same inside JSON text, less C0 controls: json.dumps escapes those in strings already,
#: and outside strings they are only its own line breaks.
_UNSAFE_JSON = re.compile("[\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069\ud800-\udfff]")


def _escape(match: re.Match[str]) -> str:
    code = ord(match.group())
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def terminal_safe(text: str) -> str:
    """``text`` with every character a terminal would act on written as an escape
    (``\\x1b``, ``\\u202e``). Printable text, backslashes included, is left as it is."""
    return _UNSAFE_TEXT.sub(_escape, text)


def json_safe(text: str) -> str:
    """JSON text (from ``json.dumps``) with the characters of :func:`terminal_safe` that it
    leaves raw written as ``\\uXXXX`` escapes: still valid JSON with the same values."""
    return _UNSAFE_JSON.sub(lambda m: f"\\u{ord(m.group()):04x}", text)


class OutputClosed(Exception):
    """The reader of our output went away (``rostergui members X | head``)."""

    def __init__(self, stream: TextIO) -> None:
        super().__init__("output closed")
        self.stream = stream


class Console:
    """Where output goes; tests pass their own streams. Every text line is made
    :func:`terminal_safe` here, at the one place output leaves."""

    def __init__(self, out: TextIO, err: TextIO) -> None:
        self.out, self.err = out, err

    def _write(self, stream: TextIO, text: str, *, flush: bool = False) -> None:
        try:
            stream.write(text)
            if flush:
                stream.flush()
        except BrokenPipeError as exc:
            raise OutputClosed(stream) from exc

    def print(self, text: str = "") -> None:
        self._write(self.out, terminal_safe(text) + "\n")

    def json(self, data: Any) -> None:
        import json

        self._write(self.out, json_safe(json.dumps(data, ensure_ascii=False, indent=2)) + "\n")

    def error(self, text: str) -> None:
        self._write(self.err, f"rostergui: {terminal_safe(text)}\n", flush=True)

    def note(self, text: str) -> None:
        """A line for people on stderr that is not an error (counts, hints)."""
        self._write(self.err, terminal_safe(text) + "\n", flush=True)


#: One progress line at a time on stderr, whichever course's thread writes it.
_PROGRESS_LOCK = threading.Lock()


class ProgressPrinter:
    """Progress on stderr: one updating line on a terminal, a line every few seconds in logs.

    Courses synced at once (``shared``) each print whole lines, their name first, a few
    seconds apart: one updating line cannot show several courses."""

    def __init__(self, name: str, stream: TextIO, *, shared: bool = False) -> None:
        self.name, self.stream = terminal_safe(name), stream
        self.tty = stream.isatty() and not shared
        self._interval = 0.1 if self.tty else (2.0 if shared and stream.isatty() else 5.0)
        self._last = 0.0
        self._closed = False

    def _write(self, text: str) -> None:
        # Progress is a courtesy: a closed stderr must not fail the sync itself.
        if self._closed:
            return
        try:
            with _PROGRESS_LOCK:
                self.stream.write(text)
                self.stream.flush()
        except (BrokenPipeError, ValueError):
            self._closed = True

    def __call__(self, progress: Progress) -> None:
        now = time.monotonic()
        if progress.phase is Phase.FETCHING and now - self._last < self._interval:
            return
        self._last = now
        text = (
            f"{self.name}: page {progress.pages}, {progress.fetched} members"
            if progress.phase is Phase.FETCHING
            else f"{self.name}: saving {progress.fetched} members"
        )
        self._write(("\r\033[K" + text) if self.tty else text + "\n")

    def done(self) -> None:
        if self.tty and self._last:
            self._write("\r\033[K")


def discard_output(stream: TextIO) -> None:
    """Point a stream whose reader went away at the null device, as the Python documentation
    recommends for a broken pipe, so that flushing it (at exit, too) is quiet. Streams that are
    not files (a test's StringIO) are left alone."""
    try:
        fd = stream.fileno()
    except (AttributeError, OSError, ValueError):
        return
    devnull = os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(devnull, fd)
    finally:
        os.close(devnull)


def table(rows: Sequence[Sequence[str]], console: Console) -> None:
    """Columns padded to their widest cell; the first row is the heading."""
    if not rows:
        return
    # Escaped before measuring, so the columns line up as printed.
    rows = [[terminal_safe(cell) for cell in row] for row in rows]
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    for row in rows:
        console.print(
            "  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)).rstrip()
        )


# --- the presenter: results in the command line's words ------------------------------------


#: The command that fixes a failure of each kind (the core's messages name no front end's
#: actions; the window offers its own buttons for the same kinds).
_FIXES = {
    "secret_missing": "rostergui contexts update '{name}'",
    "auth": "rostergui contexts update '{name}'",
    "no_roster_service": "rostergui contexts update '{name}'",
    "no_courses": "rostergui contexts add NAME --base-url URL",
    "database_location": "--data-dir FOLDER or --db-url URL",
}


def command_hint(kind: str | None, name: str) -> str:
    """`` (fix: …)`` naming the command for a failure of ``kind``, or nothing."""
    fix = _FIXES.get(kind or "")
    return f" (fix: {fix.format(name=name)})" if fix else ""


def sync_summary(result: SyncResult) -> str:
    """One sync in a line (its warnings are :func:`sync_lines`' to add)."""
    if result.skipped:
        return f"{result.name}: skipped — {result.error}"
    if result.held:
        return (
            f"{result.name}: held — {result.deactivated} of the active members would be "
            "dropped; nothing was changed (confirm with --allow-mass-drop if this is right)"
        )
    if not result.ok:
        return (
            f"{result.name}: failed — {result.error}{command_hint(result.error_kind, result.name)}"
        )
    pages = f"{result.pages} page" + ("s" if result.pages != 1 else "")
    return (
        f"{result.name}: {result.fetched} members on {pages}; +{result.added} added, "
        f"−{result.deactivated} dropped, {result.reactivated} returned, "
        f"{result.updated} updated; {result.active_count} active ({result.seconds:.1f} s)"
    )


def sync_lines(result: SyncResult, *, shown: int = 10) -> list[str]:
    """The summary, a line per warning, and for a held sync the first ``shown`` members it
    would drop. Each is printed as a line of its own (a line break inside one would be shown
    escaped)."""
    lines = [sync_summary(result)]
    if result.ok:
        lines += [f"  warning: {w}" for w in result.warnings]
    if result.held:
        dropping = result.would_deactivate
        lines += [f"    would drop: {d.name or '?'} ({d.user_id})" for d in dropping[:shown]]
        if len(dropping) > shown:
            lines.append(f"    … and {len(dropping) - shown} more")
    return lines


def sync_json(results: Iterable[SyncResult]) -> list[dict[str, Any]]:
    """The stable shape of ``sync --json``."""
    return [
        {
            "name": r.name,
            "outcome": r.outcome.value,
            "ok": r.ok,
            "held": r.held,
            "skipped": r.skipped,
            "pages": r.pages,
            "fetched": r.fetched,
            "added": r.added,
            "updated": r.updated,
            "deactivated": r.deactivated,
            "reactivated": r.reactivated,
            "active_count": r.active_count,
            "error": r.error,
            "warnings": list(r.warnings),
            "seconds": round(r.seconds, 3),
        }
        for r in results
    ]


def round_lines(report: RoundReport, printed: set[str]) -> list[str]:
    """The lines of a round's courses not ``printed`` as they ended: a course that could not
    start (unknown), one line per origin whose refused API key left courses unstarted, and one
    line for the courses cancelled before they began."""
    stopped = {name for names in report.not_started.values() for name in names}
    unprinted = [r for r in report.results if r.name not in printed and r.name not in stopped]
    lines = [sync_summary(r) for r in unprinted if not r.cancelled]
    for origin, names in report.not_started.items():
        fix = command_hint("auth", names[0])
        lines.append(
            f"Not synced ({len(names)}): {', '.join(names)} — {report.stopped[origin]}{fix}"
        )
    cancelled = [r.name for r in unprinted if r.cancelled]
    if cancelled:
        lines.append(f"Cancelled before they started: {', '.join(cancelled)}")
    return lines


def course_json(course: Course) -> dict[str, Any]:
    return {
        "name": course.name,
        "base_url": course.base_url,
        "context_id": course.context_id,
        "title": course.title,
        "last_synced_at": iso(course.last_synced_at),
        "last_status": course.last_status,
        "last_error": course.last_error,
        "member_count": course.member_count,
        "active_count": course.active_count,
        "held_drops": course.held_drops,
    }


def course_rows(courses: Sequence[Course]) -> list[list[str]]:
    """The ``contexts list`` table, heading first."""
    rows = [["NAME", "STATUS", "LAST SYNCED (UTC)", "ACTIVE", "MEMBERS", "TITLE"]]
    rows += [
        [
            c.name,
            "held" if c.held_drops is not None else c.last_status,
            iso(c.last_synced_at) or "never",
            str(c.active_count),
            str(c.member_count),
            c.title or "",
        ]
        for c in courses
    ]
    return rows


def course_line(course: Course) -> str:
    """One course in a line, as the headless demo lists them."""
    synced = course.last_synced_at.isoformat(" ", "seconds") if course.last_synced_at else ""
    return (
        f"{course.name:<30} {course.last_status:<7} {course.active_count:>6} active  "
        f"{synced}  {course.last_error or ''}".rstrip()
    )


def member_json(row: MemberRow) -> dict[str, Any]:
    return {
        "user_id": row.user_id,
        "name": row.name,
        "given_name": row.given_name,
        "family_name": row.family_name,
        "email": row.email,
        "role": row.role,
        "lti_roles": list(row.lti_roles),
        "status": row.status,
        "test_user": row.test_user,
        "first_seen_at": iso(row.first_seen_at),
        "last_seen_at": iso(row.last_seen_at),
    }


def member_rows(members: Sequence[MemberRow]) -> list[list[str]]:
    """The ``members`` table, heading first."""
    rows = [["USER ID", "NAME", "EMAIL", "ROLE", "STATUS"]]
    for r in members:
        status = r.status + (" (test user)" if r.test_user else "")
        rows.append([r.user_id, r.display_name, r.email or "", r.role, status])
    return rows


def change_json(change: Change) -> dict[str, Any]:
    return {
        "change": change.change,
        "user_id": change.user_id,
        "name": change.name,
        "old_role": change.old_role,
        "new_role": change.new_role,
    }


def run_json(run: SyncRun, changes: Sequence[Change] | None = None) -> dict[str, Any]:
    """One past sync for ``history --json``; with ``changes`` when they were asked for."""
    item: dict[str, Any] = {
        "started_at": iso(run.started_at),
        "finished_at": iso(run.finished_at),
        "outcome": run.outcome,
        "trigger": run.trigger,
        "pages": run.pages,
        "fetched": run.fetched,
        "added": run.added,
        "updated": run.updated,
        "deactivated": run.deactivated,
        "reactivated": run.reactivated,
        "active_count": run.active_count,
        "error": run.error,
    }
    if changes is not None:
        item["changes"] = [change_json(c) for c in changes]
    return item


def run_line(run: SyncRun) -> str:
    return (
        f"{iso(run.started_at)}  {run.outcome:<9} +{run.added} −{run.deactivated} "
        f"↺{run.reactivated} ~{run.updated}  {run.error or ''}".rstrip()
    )


def change_line(change: Change) -> str:
    roles = (
        f" {change.old_role or ''}→{change.new_role or ''}"
        if change.change == "role_changed"
        else ""
    )
    return f"    {change.change:<12} {change.name or '?'} ({change.user_id}){roles}"


def history_lines(
    runs: Sequence[SyncRun], changes_of: Callable[[int], Sequence[Change]] | None
) -> list[str]:
    """``history``: a line per run, then, with ``changes_of``, a line per change."""
    lines: list[str] = []
    for run in runs:
        lines.append(run_line(run))
        if changes_of is not None:
            lines += [change_line(c) for c in changes_of(run.id)]
    if not runs:
        lines.append("No syncs yet.")
    return lines


def roles_json(mapping: RoleMapping) -> list[dict[str, Any]]:
    overrides = set(mapping.overrides)
    return [
        {"lti_role": k, "tool_role": v.value, "default": k not in overrides}
        for k, v in sorted(mapping.table().items())
    ]


def role_rows(mapping: RoleMapping, defaults: dict[str, Any]) -> list[list[str]]:
    """The ``roles list`` table, heading first; ``changed`` where a rule differs from
    ``defaults``."""
    overrides = set(mapping.overrides)
    rows = [["LTI ROLE", "TOOL ROLE", ""]]
    for key, role in sorted(mapping.table().items()):
        note = "changed" if key in overrides and defaults.get(key) != role else ""
        rows.append([key, role.value, note])
    return rows


def info_lines(data: dict[str, Any]) -> list[str]:
    return [f"{key.replace('_', ' '):<16} {value}" for key, value in data.items()]
