"""Running one command line: the window, or a headless command with one line per error."""

from __future__ import annotations

import argparse
import logging
import sys
import time
from collections.abc import Sequence
from typing import TYPE_CHECKING, TextIO

from rostergui.cli.output import (
    EXIT_FAILED,
    Console,
    OutputClosed,
    command_hint,
    discard_output,
)
from rostergui.cli.parser import build_parser, opens_window, usage_problem

if TYPE_CHECKING:
    from rostergui.core.secrets import SecretStore
    from rostergui.core.service import RosterService

log = logging.getLogger(__name__)


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
    from rostergui.cli import commands
    from rostergui.core import errors
    from rostergui.core.logs import setup_logging
    from rostergui.core.paths import data_dir
    from rostergui.core.service import RosterService

    directory = data_dir(args.data_dir)
    log_path = setup_logging(directory if command != "simulator" else None, verbose=args.verbose)
    service: RosterService | None = None
    try:
        if command in commands.STANDALONE:
            return commands.STANDALONE[command](args, console)
        # ``sync --page-size``: the limit asked of the LMS (the service's default otherwise).
        options = {"page_size": args.page_size} if command == "sync" else {}
        service = RosterService.open(
            data_directory=directory, db_url=args.db_url, secrets=secrets, **options
        )
        where = RosterService.describe_database(directory, args.db_url)
        log.info("Running %s against %s", command, where)
        return commands.COMMANDS[command](args, service, console)
    except OutputClosed as exc:
        log.info("%s stopped: the reader of its output went away", command)
        discard_output(exc.stream)
        return EXIT_FAILED
    except errors.RosterSyncError as exc:
        log.error("%s failed: %s (%s)", command, exc.message, exc.detail or "")
        _report(console, exc.message + command_hint(exc.kind, getattr(args, "name", "") or ""))
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


def main(argv: Sequence[str] | None = None) -> None:
    """The ``rostergui`` command. A closed stdout (``rostergui members X | head``) ends it
    quietly, without a traceback, with status 1 (see :mod:`rostergui.cli`)."""
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
