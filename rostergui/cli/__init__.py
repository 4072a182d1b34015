"""The ``rostergui`` command: the window, the demo, the simulator and headless commands.

Headless commands are for cron jobs and scripts: progress goes to stderr, results to stdout
(text or stable JSON), every error is one line, and the exit status tells what happened:
0 all done, 1 something failed, 2 usage error, 3 nothing failed but a sync was held.
Secrets come from the environment or a hidden prompt, never from the command line.

Text output is for people and ``--json`` output is exact; both are escaped so that nothing
from the LMS can act on a terminal (see :mod:`rostergui.cli.output`). When the reader of
stdout goes away (``rostergui members X | head``) the command stops quietly with status 1: not
everything it had to say was delivered.

``rostergui`` with no command opens the window, which should appear without waiting for
anything it does not need yet: importing this package loads the parser and the console only;
the commands, and with them the core (SQLAlchemy, httpx, keyring), are imported when a
headless command runs.

* :mod:`~rostergui.cli.parser` the grammar (argparse only)
* :mod:`~rostergui.cli.runner` running one command line, errors and exit statuses
* :mod:`~rostergui.cli.commands`, :mod:`~rostergui.cli.commands_courses` one function per
  command, calling only :class:`~rostergui.core.service.RosterService`
* :mod:`~rostergui.cli.output` the console, escaping, tables and the presenter
"""

from rostergui.cli.output import (
    EXIT_FAILED,
    EXIT_HELD,
    EXIT_OK,
    EXIT_USAGE,
    Console,
    OutputClosed,
    ProgressPrinter,
    json_safe,
    terminal_safe,
)
from rostergui.cli.parser import WINDOW_COMMANDS, build_parser, opens_window, usage_problem
from rostergui.cli.runner import main, run, run_headless

__all__ = [
    "EXIT_FAILED",
    "EXIT_HELD",
    "EXIT_OK",
    "EXIT_USAGE",
    "WINDOW_COMMANDS",
    "Console",
    "OutputClosed",
    "ProgressPrinter",
    "build_parser",
    "json_safe",
    "main",
    "opens_window",
    "run",
    "run_headless",
    "terminal_safe",
    "usage_problem",
]
