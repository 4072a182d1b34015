"""The ``rostergui`` command: the window, the demo, the simulator and headless commands.

Headless commands are for cron jobs and scripts: progress goes to stderr, results to stdout
(text or stable JSON), every error is one line, and the exit status tells what happened:
0 all done, 1 something failed, 2 usage error, 3 nothing failed but a sync was held.
Secrets come from the environment or a hidden prompt, never from the command line.

Text output is for people: every line passes :func:`terminal_safe`, so names, titles and error
texts from the LMS can never move the cursor, recolour or retitle the terminal or reorder what
is shown (control characters, including escape, line breaks inside a field and bidirectional
overrides, appear as ``\\x1b``, ``\\u202e``…). ``--json`` output is exact: the same values,
with such characters written as JSON ``\\uXXXX`` escapes (lone surrogates too, which JSON can
carry and ``json.loads`` reads back). When the reader of stdout goes away (``rostergui members X
| head``) the command stops quietly with status 1: not everything it had to say was delivered.

``rostergui`` with no command opens the window, which should appear without waiting for
anything it does not need yet: what only the headless commands use (the core with SQLAlchemy,
httpx and keyring; json, getpass, signal) is imported inside the functions that use it.
"""

from __future__ import annotations

import argparse
import logging
import os
import re
import sys
import threading
import time
from collections.abc import Callable, Sequence
from datetime import datetime
from types import FrameType
from typing import TYPE_CHECKING, Any, TextIO

from rostergui import APP_NAME, __version__
from rostergui.core.states import AuthScheme, Phase, StatusFilter, Trigger

if TYPE_CHECKING:
    from rostergui.core.roles import ToolRole
    from rostergui.core.secrets import SecretStore
    from rostergui.core.service import RosterService
    from rostergui.core.store.repo import Course, MemberRow
    from rostergui.core.sync import Progress, SyncResult

log = logging.getLogger(__name__)

EXIT_OK, EXIT_FAILED, EXIT_USAGE, EXIT_HELD = 0, 1, 2, 3


def iso(value: datetime | None) -> str | None:
    return value.strftime("%Y-%m-%dT%H:%M:%SZ") if value else None


# --- argument parsing ----------------------------------------------------------------------


def _add_filters(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--role", help="only this tool role (e.g. Learner, 'Teaching Assistant')")
    parser.add_argument(
        "--status",
        choices=[s.value for s in StatusFilter],
        default=StatusFilter.ACTIVE.value,
        help="member status to include (default: active)",
    )
    parser.add_argument("--search", help="words that must all occur in name, email or user id")


#: The commands that open the window; options of ``rostergui`` itself that take a value.
WINDOW_COMMANDS = ("gui", "demo")
_VALUE_OPTIONS = ("--data-dir", "--db-url")


def opens_window(argv: Sequence[str]) -> bool:
    """Whether ``argv`` surely opens the window: no command, ``gui`` or ``demo``, and no
    request for the overall help or the version. Only then may the parser leave the headless
    commands out; anything unusual (an abbreviated option, say) just gets the full parser."""
    tokens = iter(argv)
    for token in tokens:
        if token in _VALUE_OPTIONS:
            next(tokens, None)
        elif not token.startswith("-"):
            return token in WINDOW_COMMANDS
        elif token in ("--help", "--version") or (not token.startswith("--") and "h" in token):
            return False
    return True


def build_parser(*, window_only: bool = False) -> argparse.ArgumentParser:
    """The command line. ``window_only`` leaves out the headless commands: building their
    dozen parsers is a noticeable part of the time the window takes to show."""
    parser = argparse.ArgumentParser(
        prog="rostergui",
        description=f"{APP_NAME}: keep LTI course rosters in sync through LTIAAS.",
    )
    parser.add_argument("--version", action="version", version=f"{APP_NAME} {__version__}")
    parser.add_argument(
        "--data-dir",
        default=os.environ.get("ROSTERGUI_DATA_DIR"),
        help="where the database and logs live (env ROSTERGUI_DATA_DIR)",
    )
    parser.add_argument(
        "--db-url",
        default=os.environ.get("ROSTERGUI_DB_URL"),
        help="SQLAlchemy database URL instead of the local SQLite file (env ROSTERGUI_DB_URL)",
    )
    parser.add_argument("-v", "--verbose", action="store_true", help="log debug details")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    gui = sub.add_parser("gui", help="open the window (the default)")
    demo = sub.add_parser("demo", help="open the window on built-in sample courses")
    demo.add_argument("--headless", action="store_true", help="sync the samples and print")
    for window_parser in (gui, demo):
        window_parser.add_argument(
            "--check-start",
            action="store_true",
            help="show the window, print how long that took, and quit (checks an installation)",
        )
    if not window_only:
        _add_headless_commands(sub)
    return parser


def _add_headless_commands(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    info = sub.add_parser("info", help="show version, data folder, database and keyring")
    info.add_argument("--json", action="store_true")

    sim = sub.add_parser("simulator", help="run the LTIAAS-compatible simulator")
    sim.add_argument("--host", default="127.0.0.1")
    sim.add_argument("--port", type=int, default=8765)
    sim.add_argument("--latency-ms", type=float, default=0.0, help="delay added per request")
    sim.add_argument("--churn", action="store_true", help="change rosters a little per sync")

    ctx = sub.add_parser("contexts", help="add, list or remove courses")
    ctx_sub = ctx.add_subparsers(dest="action", metavar="ACTION", required=True)
    add = ctx_sub.add_parser(
        "add",
        help="add a course",
        description="Secrets come from ROSTERGUI_API_KEY and ROSTERGUI_SERVICE_KEY or "
        "ROSTERGUI_LTIK, or from a hidden prompt on a terminal.",
    )
    add.add_argument("--name", required=True, help="a name of your choosing")
    add.add_argument("--base-url", required=True, help="your LTIAAS address (https://…)")
    add.add_argument("--platform-id", help="the LMS platform id (issuer), if known")
    upd = ctx_sub.add_parser(
        "update",
        help="rename a course or give it new keys",
        description="New keys come from ROSTERGUI_API_KEY, ROSTERGUI_SERVICE_KEY or "
        "ROSTERGUI_LTIK when set; keys not given are kept.",
    )
    upd.add_argument("name")
    upd.add_argument("--new-name", help="rename the course")
    upd.add_argument("--base-url", help="a new LTIAAS address")
    upd.set_defaults(usage_parser=upd)
    lst = ctx_sub.add_parser("list", help="list courses")
    lst.add_argument("--json", action="store_true")
    rem = ctx_sub.add_parser("remove", help="remove a course and its secrets")
    rem.add_argument("name")
    rem.add_argument(
        "--keep-roster", action="store_true", help="keep the stored roster for reference"
    )

    sync = sub.add_parser("sync", help="sync courses")
    sync.add_argument("names", nargs="*", metavar="NAME")
    sync.add_argument("--all", action="store_true", help="sync every course")
    sync.add_argument("--json", action="store_true")
    sync.add_argument(
        "--allow-mass-drop",
        action="store_true",
        help="apply a sync even if it would deactivate many members at once",
    )
    sync.set_defaults(usage_parser=sync)

    members = sub.add_parser("members", help="list a course's stored members")
    members.add_argument("name")
    _add_filters(members)
    members.add_argument("--json", action="store_true")

    exp = sub.add_parser("export", help="export a course's roster to CSV")
    exp.add_argument("name")
    exp.add_argument("--output", "-o", required=True, help="the CSV file to write")
    exp.add_argument("--force", action="store_true", help="replace the file if it exists")
    _add_filters(exp)

    hist = sub.add_parser("history", help="show a course's past syncs")
    hist.add_argument("name")
    hist.add_argument("--json", action="store_true")
    hist.add_argument("--changes", action="store_true", help="also list who changed")

    roles = sub.add_parser("roles", help="show or change the LTI → tool role mapping")
    roles_sub = roles.add_subparsers(dest="action", metavar="ACTION", required=True)
    rl = roles_sub.add_parser("list", help="show the mapping")
    rl.add_argument("--json", action="store_true")
    rs = roles_sub.add_parser("set", help="map an LTI role (e.g. Instructor#Grader) to a role")
    rs.add_argument("lti_role")
    rs.add_argument("tool_role")
    roles_sub.add_parser("reset", help="restore the default mapping")


#: Where the command line takes new keys from (besides a prompt when adding a course).
SECRET_VARIABLES = ("ROSTERGUI_API_KEY", "ROSTERGUI_SERVICE_KEY", "ROSTERGUI_LTIK")


def usage_problem(args: argparse.Namespace) -> str | None:
    """What argparse cannot see is wrong with a command line (an exit 2), or ``None``."""
    command, action = args.command, getattr(args, "action", None)
    if command == "sync" and args.all and args.names:
        return "give course names or --all, not both"
    if command == "sync" and not args.all and not args.names:
        return "name the courses to sync, or use --all"
    new_keys = any(os.environ.get(name, "").strip() for name in SECRET_VARIABLES)
    if (command, action) == ("contexts", "update") and not (
        args.new_name is not None or args.base_url is not None or new_keys
    ):
        wanted = ", ".join(SECRET_VARIABLES)
        return f"nothing to change: give --new-name or --base-url, or new keys in {wanted}"
    if command == "demo" and args.headless and args.check_start:
        return "--check-start shows the window; leave out --headless"
    return None


# --- helpers -------------------------------------------------------------------------------


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


class ProgressPrinter:
    """Progress on stderr: one updating line on a terminal, a line every few seconds in logs."""

    def __init__(self, name: str, stream: TextIO) -> None:
        self.name, self.stream = terminal_safe(name), stream
        self.tty = stream.isatty()
        self._last = 0.0
        self._closed = False

    def _write(self, text: str) -> None:
        # Progress is a courtesy: a closed stderr must not fail the sync itself.
        if self._closed:
            return
        try:
            self.stream.write(text)
            self.stream.flush()
        except (BrokenPipeError, ValueError):
            self._closed = True

    def __call__(self, progress: Progress) -> None:
        now = time.monotonic()
        if progress.phase is Phase.FETCHING and now - self._last < (0.1 if self.tty else 5.0):
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


def env_secret(name: str) -> str | None:
    """A secret from the environment, registered for redaction before anything else sees it."""
    from rostergui.core.redact import remember

    raw = os.environ.get(name, "")
    remember(raw)
    value = raw.strip() or None
    remember(value)
    return value


def ask_secret(prompt: str) -> str | None:
    """A hidden prompt on a terminal; nothing when run from cron or a script. What is typed is
    registered for redaction."""
    import getpass

    from rostergui.core.redact import remember

    if sys.stdin is None or not sys.stdin.isatty():
        return None
    raw = getpass.getpass(prompt)
    remember(raw)
    value = raw.strip() or None
    remember(value)
    return value


def parse_role_option(text: str | None) -> ToolRole | None:
    from rostergui.core import errors
    from rostergui.core.roles import ToolRole

    if not text:
        return None
    try:
        return ToolRole.parse(text)
    except ValueError as exc:
        raise errors.ConfigError(str(exc)) from exc


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
    }


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


def _table(rows: Sequence[Sequence[str]], console: Console) -> None:
    if not rows:
        return
    # Escaped before measuring, so the columns line up as printed.
    rows = [[terminal_safe(cell) for cell in row] for row in rows]
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    for row in rows:
        console.print(
            "  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)).rstrip()
        )


# --- commands ------------------------------------------------------------------------------


def cmd_contexts(args: argparse.Namespace, service: RosterService, console: Console) -> int:
    from rostergui.core import errors

    if args.action == "list":
        courses = service.courses()
        if args.json:
            console.json([course_json(c) for c in courses])
        elif not courses:
            console.print(
                "No courses yet; add one with: rostergui contexts add --name … --base-url …"
            )
        else:
            rows = [["NAME", "STATUS", "LAST SYNCED (UTC)", "ACTIVE", "MEMBERS", "TITLE"]]
            rows += [
                [
                    c.name,
                    c.last_status,
                    iso(c.last_synced_at) or "never",
                    str(c.active_count),
                    str(c.member_count),
                    c.title or "",
                ]
                for c in courses
            ]
            _table(rows, console)
        return EXIT_OK
    if args.action == "update":
        course, check = service.update_course(
            args.name,
            new_name=args.new_name,
            base_url=args.base_url,
            api_key=env_secret("ROSTERGUI_API_KEY"),
            service_key=env_secret("ROSTERGUI_SERVICE_KEY"),
            ltik=env_secret("ROSTERGUI_LTIK"),
        )
        checked = f": {check.describe()}" if check else ""
        console.print(f"Updated '{course.name}'{checked}.")
        return EXIT_OK
    if args.action == "remove":
        service.remove_course(args.name, keep_roster=args.keep_roster)
        kept = " (roster kept)" if args.keep_roster else ""
        console.print(f"Removed '{args.name}' and its secrets{kept}.")
        return EXIT_OK
    # add
    service.secrets.check()
    api_key = env_secret("ROSTERGUI_API_KEY") or ask_secret("LTIAAS API key: ")
    if not api_key:
        raise errors.ConfigError(
            "Set ROSTERGUI_API_KEY in the environment (or run on a terminal to be asked)"
        )
    ltik, service_key = env_secret("ROSTERGUI_LTIK"), env_secret("ROSTERGUI_SERVICE_KEY")
    if not ltik and not service_key:
        service_key = ask_secret("Service key (leave empty to enter a launch token instead): ")
        ltik = None if service_key else ask_secret("Launch token (ltik): ")
        if not service_key and not ltik:
            raise errors.ConfigError(
                "Set ROSTERGUI_SERVICE_KEY or ROSTERGUI_LTIK in the environment (or run on a "
                "terminal to be asked)"
            )
    course, check = service.add_course(
        args.name,
        args.base_url,
        api_key,
        service_key=service_key,
        ltik=ltik,
        platform_id=args.platform_id,
    )
    console.print(f"Added '{course.name}': {check.describe()}.")
    if check.roster_available is False:
        console.error(
            f"warning: the roster service is not available for '{course.name}'; enable Names "
            "and Roles for the tool in the LMS, then add the course again from a new launch"
        )
    elif course.auth_scheme == AuthScheme.LTIK:
        console.error(
            "warning: LTIAAS gave no service key, so syncs use the launch token, which expires "
            "after 24 hours"
        )
    return EXIT_OK


class _CancelOnInterrupt:
    """First Ctrl-C cancels the running sync cleanly; a second one stops at once."""

    def __init__(self) -> None:
        self.event = threading.Event()
        self._previous: Any = None

    def __enter__(self) -> threading.Event:
        import signal

        if threading.current_thread() is threading.main_thread():
            self._previous = signal.signal(signal.SIGINT, self._handle)
        return self.event

    def _handle(self, _signum: int, _frame: FrameType | None) -> None:
        if self.event.is_set():
            raise KeyboardInterrupt
        self.event.set()
        sys.stderr.write("\nCancelling… (press Ctrl-C again to stop at once)\n")

    def __exit__(self, *exc: object) -> None:
        import signal

        if self._previous is not None:
            signal.signal(signal.SIGINT, self._previous)


def cmd_sync(args: argparse.Namespace, service: RosterService, console: Console) -> int:
    from rostergui.core import errors

    # Names and --all together, or neither, are usage errors (see usage_problem).
    if args.all:
        names = [c.name for c in service.courses()]
        if not names:
            raise errors.ConfigError("There are no courses to sync; add one with 'contexts add'")
    else:
        names = list(dict.fromkeys(args.names))
    results: list[SyncResult] = []
    with _CancelOnInterrupt() as cancel:
        for name in names:
            if cancel.is_set():
                break
            printer = ProgressPrinter(name, console.err)
            result = service.sync(
                name,
                allow_mass_drop=args.allow_mass_drop,
                progress=printer,
                cancel=cancel,
                trigger=Trigger.COMMAND,
            )
            printer.done()
            results.append(result)
            if not args.json:
                console.print(result.summary())
                if result.held:
                    shown = result.would_deactivate[:10]
                    for dropped in shown:
                        console.print(f"    would drop: {dropped.name or '?'} ({dropped.user_id})")
                    if len(result.would_deactivate) > len(shown):
                        console.print(f"    … and {len(result.would_deactivate) - len(shown)} more")
    if args.json:
        console.json([r.to_json() for r in results])
    if any(not r.ok and not r.held for r in results) or len(results) < len(names):
        return EXIT_FAILED
    if any(r.held for r in results):
        return EXIT_HELD
    return EXIT_OK


def cmd_members(args: argparse.Namespace, service: RosterService, console: Console) -> int:
    rows = service.members(
        args.name, role=parse_role_option(args.role), status=args.status, search=args.search
    )
    if args.json:
        console.json([member_json(r) for r in rows])
        return EXIT_OK
    table = [["USER ID", "NAME", "EMAIL", "ROLE", "STATUS"]]
    for r in rows:
        status = r.status + (" (test user)" if r.test_user else "")
        table.append([r.user_id, r.display_name, r.email or "", r.role, status])
    _table(table, console)
    console.note(f"{len(rows)} members")
    return EXIT_OK


def cmd_export(args: argparse.Namespace, service: RosterService, console: Console) -> int:
    """Write a regular file only; an existing one only with ``--force`` (see core.export)."""
    from rostergui.core import errors, export

    try:
        count = service.export(
            args.name,
            args.output,
            role=parse_role_option(args.role),
            status=args.status,
            search=args.search,
            overwrite=args.force,
        )
    except export.ExportExistsError as exc:
        raise errors.ConfigError(f"'{exc.path}' already exists; add --force to replace it") from exc
    console.print(f"Exported {count} members of '{args.name}' to {args.output}")
    return EXIT_OK


def cmd_history(args: argparse.Namespace, service: RosterService, console: Console) -> int:
    runs = service.history(args.name)
    if args.json:
        data = []
        for run in runs:
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
            if args.changes:
                item["changes"] = [
                    {
                        "change": c.change,
                        "user_id": c.user_id,
                        "name": c.name,
                        "old_role": c.old_role,
                        "new_role": c.new_role,
                    }
                    for c in service.changes(run.id)
                ]
            data.append(item)
        console.json(data)
        return EXIT_OK
    for run in runs:
        console.print(
            f"{iso(run.started_at)}  {run.outcome:<9} +{run.added} −{run.deactivated} "
            f"↺{run.reactivated} ~{run.updated}  {run.error or ''}".rstrip()
        )
        if args.changes:
            for c in service.changes(run.id):
                roles = (
                    f" {c.old_role or ''}→{c.new_role or ''}" if c.change == "role_changed" else ""
                )
                console.print(f"    {c.change:<12} {c.name or '?'} ({c.user_id}){roles}")
    if not runs:
        console.print("No syncs yet.")
    return EXIT_OK


def cmd_roles(args: argparse.Namespace, service: RosterService, console: Console) -> int:
    from rostergui.core import errors
    from rostergui.core.roles import DEFAULT_RULES, ToolRole

    if args.action == "set":
        try:
            role = ToolRole.parse(args.tool_role)
        except ValueError as exc:
            raise errors.ConfigError(str(exc)) from exc
        try:
            changed = service.set_role_rule(args.lti_role, role)
        except ValueError as exc:
            raise errors.ConfigError(str(exc)) from exc
        console.print(f"Mapped {args.lti_role} → {role.value}; {changed} stored members re-mapped.")
        return EXIT_OK
    if args.action == "reset":
        changed = service.reset_role_rules()
        console.print(f"Restored the default mapping; {changed} stored members re-mapped.")
        return EXIT_OK
    mapping = service.role_mapping()
    table = mapping.table()
    overrides = set(mapping.overrides)
    if args.json:
        console.json(
            [
                {"lti_role": k, "tool_role": v.value, "default": k not in overrides}
                for k, v in sorted(table.items())
            ]
        )
        return EXIT_OK
    rows = [["LTI ROLE", "TOOL ROLE", ""]]
    for key, role in sorted(table.items()):
        note = "changed" if key in overrides and DEFAULT_RULES.get(key) != role else ""
        rows.append([key, role.value, note])
    _table(rows, console)
    console.print("Anything else, and members with only institution or system roles: Other.")
    return EXIT_OK


def cmd_info(args: argparse.Namespace, console: Console) -> int:
    """What an admin (or a support request) needs to know about this installation."""
    import platform

    from PySide6 import __version__ as pyside_version

    from rostergui.core import errors
    from rostergui.core.paths import data_dir
    from rostergui.core.secrets import SecretStore
    from rostergui.core.store.db import describe_url

    store = SecretStore()
    try:
        store.check()
        keyring_state = "usable"
    except errors.RosterSyncError as exc:
        keyring_state = exc.message
    directory = data_dir(args.data_dir)
    db = args.db_url or f"sqlite:///{directory / 'rostersync.db'}"
    data = {
        "version": __version__,
        "python": platform.python_version(),
        "qt": pyside_version,
        "platform": platform.platform(),
        "frozen": bool(getattr(sys, "frozen", False)),
        "data_dir": str(directory),
        "database": describe_url(db),
        "keyring_backend": store.describe(),
        "keyring": keyring_state,
    }
    if args.json:
        console.json(data)
    else:
        for key, value in data.items():
            console.print(f"{key.replace('_', ' '):<16} {value}")
    return EXIT_OK


def run_simulator(args: argparse.Namespace, console: Console) -> int:
    from rostergui.simulator import serve

    return serve(
        args.host, args.port, latency=args.latency_ms / 1000, churn=args.churn, out=console.out
    )


COMMANDS: dict[str, Callable[[argparse.Namespace, RosterService, Console], int]] = {
    "contexts": cmd_contexts,
    "sync": cmd_sync,
    "members": cmd_members,
    "export": cmd_export,
    "history": cmd_history,
    "roles": cmd_roles,
}


def run(
    argv: Sequence[str] | None = None,
    *,
    out: TextIO | None = None,
    err: TextIO | None = None,
    secrets: SecretStore | None = None,
) -> int:
    """Parse and run one command; returns the exit status. Never raises (but SystemExit)."""
    started = time.monotonic()
    console = Console(out or sys.stdout, err or sys.stderr)
    argv = sys.argv[1:] if argv is None else argv
    parser = build_parser(window_only=opens_window(argv))
    args = parser.parse_args(argv)
    problem = usage_problem(args)
    if problem:
        getattr(args, "usage_parser", parser).error(problem)  # exits with status 2
    args.started_at = started
    command = args.command or "gui"
    if command in ("gui", "demo") and not getattr(args, "headless", False):
        from rostergui.ui.app import run_gui

        return run_gui(args)
    return run_headless(command, args, console, secrets)


def run_headless(
    command: str, args: argparse.Namespace, console: Console, secrets: SecretStore | None
) -> int:
    """Every command but the window: logging, the service, and one line per error."""
    from rostergui.core import errors
    from rostergui.core.logs import setup_logging
    from rostergui.core.paths import data_dir
    from rostergui.core.service import RosterService
    from rostergui.core.store.db import describe_url

    directory = data_dir(args.data_dir)
    log_path = setup_logging(directory if command != "simulator" else None, verbose=args.verbose)
    service: RosterService | None = None
    try:
        if command == "simulator":
            return run_simulator(args, console)
        if command == "info":
            return cmd_info(args, console)
        if command == "demo":
            from rostergui.demo import run_headless_demo

            return run_headless_demo(args, console)
        service = RosterService.open(data_directory=directory, db_url=args.db_url, secrets=secrets)
        log.info("Running %s against %s", command, describe_url(str(service.engine.url)))
        return COMMANDS[command](args, service, console)
    except OutputClosed as exc:
        log.info("%s stopped: the reader of its output went away", command)
        discard_output(exc.stream)
        return EXIT_FAILED
    except errors.RosterSyncError as exc:
        log.error("%s failed: %s (%s)", command, exc.message, exc.detail or "")
        _report(console, exc.message)
        return EXIT_FAILED
    except KeyboardInterrupt:
        _report(console, "interrupted")
        return 130
    except Exception:
        log.exception("Unexpected failure in %s", command)
        where = f"; details are in {log_path}" if log_path else ""
        _report(console, f"unexpected error — this is a bug, please report it{where}")
        return EXIT_FAILED
    finally:
        if service is not None:
            service.close()


def _report(console: Console, message: str) -> None:
    """The one error line, unless nobody is reading stderr any more."""
    try:
        console.error(message)
    except OutputClosed as exc:
        discard_output(exc.stream)


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


def main(argv: Sequence[str] | None = None) -> None:
    """The ``rostergui`` command. A closed stdout (``rostergui members X | head``) ends it
    quietly, without a traceback, with status 1 (see the module docstring)."""
    from rostergui.core.private_files import use_private_umask

    # Whatever a run creates (the database's side files, a rotated log, an export) is the
    # user's alone, even where no explicit mode is set.
    use_private_umask()
    code: int | str | None
    try:
        code = run(argv)
    except SystemExit as exc:  # argparse: usage errors, --help, --version
        code = exc.code
    try:
        sys.stdout.flush()  # what is still buffered, while a closed pipe can be handled here
    except BrokenPipeError:
        discard_output(sys.stdout)
        code = code or EXIT_FAILED
    sys.exit(code)


if __name__ == "__main__":  # pragma: no cover
    main()
