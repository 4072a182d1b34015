"""The headless commands: one function per command, each calling the service and handing what
comes back to the presenter in :mod:`rostergui.cli.output` (courses are in
:mod:`rostergui.cli.commands_courses`).

Imported only for a headless command, so it may import the core at once.
"""

from __future__ import annotations

import argparse
import platform
import signal
import sys
import threading
from collections.abc import Callable
from datetime import datetime
from types import FrameType
from typing import Any

from rostergui import __version__
from rostergui.cli.commands_catalogue import cmd_people
from rostergui.cli.commands_courses import cmd_contexts
from rostergui.cli.output import (
    EXIT_FAILED,
    EXIT_HELD,
    EXIT_OK,
    Console,
    OutputClosed,
    ProgressPrinter,
    course_line,
    history_lines,
    info_lines,
    member_json,
    member_rows,
    role_rows,
    roles_json,
    round_lines,
    run_json,
    sync_json,
    sync_lines,
    table,
)
from rostergui.core import errors, export
from rostergui.core.paths import data_dir
from rostergui.core.roles import DEFAULT_RULES, ToolRole
from rostergui.core.service import RosterService
from rostergui.core.states import Trigger
from rostergui.core.store.rows import utcnow
from rostergui.core.sync import SyncResult
from rostergui.core.sync_round import SyncRound


def parse_role_option(text: str | None) -> ToolRole | None:
    if not text:
        return None
    try:
        return ToolRole.parse(text)
    except ValueError as exc:
        raise errors.ConfigError(str(exc)) from exc


class _CancelOnInterrupt:
    """First Ctrl-C cancels every running and waiting sync cleanly; a second stops at once."""

    def __init__(self, cancel: Callable[[], None]) -> None:
        self._cancel = cancel
        self._cancelled = False
        self._previous: Any = None

    def __enter__(self) -> None:
        if threading.current_thread() is threading.main_thread():
            self._previous = signal.signal(signal.SIGINT, self._handle)

    def _handle(self, _signum: int, _frame: FrameType | None) -> None:
        if self._cancelled:
            raise KeyboardInterrupt
        self._cancelled = True
        self._cancel()
        sys.stderr.write("\nCancelling… (press Ctrl-C again to stop at once)\n")

    def __exit__(self, *exc: object) -> None:
        if self._previous is not None:
            signal.signal(signal.SIGINT, self._previous)


def cmd_sync(args: argparse.Namespace, service: RosterService, console: Console) -> int:
    """Sync the named courses (or all) through one round, ``--jobs`` at once: a progress line
    per course on stderr, each summary as it ends, the JSON list in the order asked."""
    # Names and --all together, or neither, are usage errors (see parser.usage_problem).
    if args.all:
        names = [c.name for c in service.courses()]
        if not names:
            raise errors.NoCoursesError("There are no courses to sync")
    else:
        names = list(dict.fromkeys(args.names))
    # In a round of every course (cron, perhaps on several hosts sharing a database), a course
    # synced elsewhere after the round began counts as done: a course found busy is asked about
    # again until its holder's lease could have run out, then skipped if the holder finished it
    # or synced here if the holder died. Courses named one by one are answered at once.
    if args.stale_after is not None:
        since: datetime | None = utcnow() - args.stale_after
    else:
        since = utcnow() if args.all else None
    round_ = SyncRound(service, jobs=args.jobs)
    shared = args.jobs > 1 and len(names) > 1
    printers: dict[str, ProgressPrinter] = {}
    printed: set[str] = set()
    closed: list[OutputClosed] = []
    lock = threading.Lock()

    def progress(name: str) -> ProgressPrinter:
        printer = ProgressPrinter(name, console.err, shared=shared)
        with lock:
            printers[name] = printer
        return printer

    def ended(result: SyncResult) -> None:
        with lock:
            printer = printers.get(result.name)
            if printer is not None:
                printer.done()
            printed.add(result.name)
            if args.json or closed:
                return
            try:
                for line in sync_lines(result):
                    console.print(line)
            except OutputClosed as exc:  # the reader went away: the syncs still finish
                closed.append(exc)

    with _CancelOnInterrupt(round_.cancel_all):
        report = round_.run(
            names,
            allow_mass_drop=args.allow_mass_drop,
            trigger=Trigger.COMMAND,
            synced_since=since,
            progress=progress,
            on_result=ended,
        )
    if closed:
        raise closed[0]
    results = report.results
    if args.json:
        console.json(sync_json(results))
    else:
        for line in round_lines(report, printed):
            console.print(line)
    if any(not (r.ok or r.held or r.skipped) for r in results):
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
    table(member_rows(rows), console)
    console.note(f"{len(rows)} members")
    return EXIT_OK


def cmd_export(args: argparse.Namespace, service: RosterService, console: Console) -> int:
    """Write a regular file only; an existing one only with ``--force`` (see core.export)."""
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
        console.json([run_json(r, service.changes(r.id) if args.changes else None) for r in runs])
        return EXIT_OK
    for line in history_lines(runs, service.changes if args.changes else None):
        console.print(line)
    return EXIT_OK


def cmd_roles(args: argparse.Namespace, service: RosterService, console: Console) -> int:
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
    if args.json:
        console.json(roles_json(mapping))
        return EXIT_OK
    table(role_rows(mapping, DEFAULT_RULES), console)
    console.print("Anything else, and members with only institution or system roles: Other.")
    return EXIT_OK


def cmd_info(args: argparse.Namespace, console: Console) -> int:
    """What an admin (or a support request) needs to know about this installation. Works
    without opening the database."""
    from PySide6 import __version__ as pyside_version

    directory = data_dir(args.data_dir)
    keyring_backend, keyring_state = RosterService.keyring_report()
    data = {
        "version": __version__,
        "python": platform.python_version(),
        "qt": pyside_version,
        "platform": platform.platform(),
        "frozen": bool(getattr(sys, "frozen", False)),
        "data_dir": str(directory),
        "database": RosterService.describe_database(directory, args.db_url),
        "keyring_backend": keyring_backend,
        "keyring": keyring_state,
    }
    if args.json:
        console.json(data)
    else:
        for line in info_lines(data):
            console.print(line)
    return EXIT_OK


def cmd_demo(args: argparse.Namespace, console: Console) -> int:
    """``rostergui demo --headless``: sync the samples (all but the 100k one) and report."""
    from rostergui.demo import start_demo
    from rostergui.demo_catalogue import CATALOGUE_SIZE

    size = CATALOGUE_SIZE if args.catalogue else 0
    demo = start_demo(args.data_dir, db_url=args.db_url, catalogue=size)
    try:
        console.print(f"Simulator at {demo.simulator.base_url}; data in {demo.data_directory}")
        for note in demo.notes:
            console.error(note)
        for name in demo.samples_to_sync():
            for line in sync_lines(demo.service.sync(name, trigger=Trigger.DEMO)):
                console.print(line)
        if demo.catalogue:
            results = demo.sync_catalogue()
            for line in (ln for r in results if not r.ok for ln in sync_lines(r)):
                console.print(line)
            console.print(f"Synced {sum(r.ok for r in results):,} of the catalogue's courses.")
        console.print("")
        for course in demo.service.courses():
            console.print(course_line(course))
    finally:
        demo.close()
    return EXIT_OK


def cmd_simulator(args: argparse.Namespace, console: Console) -> int:
    from rostergui.simulator.cli import load_options, serve

    return serve(
        args.host,
        args.port,
        churn=args.churn,
        out=console.out,
        attacks=args.attack,
        **load_options(args),
    )


#: The commands that need the service; ``info``, ``simulator`` and ``demo`` open none.
COMMANDS: dict[str, Callable[[argparse.Namespace, RosterService, Console], int]] = {
    "contexts": cmd_contexts,
    "sync": cmd_sync,
    "members": cmd_members,
    "export": cmd_export,
    "history": cmd_history,
    "roles": cmd_roles,
    "people": cmd_people,
}
#: The commands that work without the database.
STANDALONE: dict[str, Callable[[argparse.Namespace, Console], int]] = {
    "info": cmd_info,
    "simulator": cmd_simulator,
    "demo": cmd_demo,
}
