"""The command line's grammar: ``argparse`` only, nothing of the core.

``rostergui`` with no command opens the window, which must appear without waiting for anything
it does not need yet, so this module imports no SQLAlchemy, httpx or keyring, and for a command
line that surely opens the window (:func:`opens_window`) the dozen parsers of the headless
commands are not even built.
"""

from __future__ import annotations

import argparse
import os
from collections.abc import Sequence

from rostergui import APP_NAME, __version__
from rostergui.arguments import add_load_options, stale_after, whole_number

#: The commands that open the window; options of ``rostergui`` itself that take a value.
WINDOW_COMMANDS = ("gui", "demo")
_VALUE_OPTIONS = ("--data-dir", "--db-url")

#: Where the command line takes new keys from (besides a prompt when adding a course).
SECRET_VARIABLES = ("ROSTERGUI_API_KEY", "ROSTERGUI_SERVICE_KEY", "ROSTERGUI_LTIK")


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
    demo.add_argument(
        "--catalogue",
        action="store_true",
        help="add a catalogue of 2,000 small courses, to try the course list and Find person "
        "at scale (synced once the demo is up)",
    )
    for window_parser in (gui, demo):
        window_parser.add_argument(
            "--check-start",
            action="store_true",
            help="show the window, print how long that took, and quit (checks an installation)",
        )
    if not window_only:
        _add_headless_commands(sub)
    return parser


def _add_filters(parser: argparse.ArgumentParser) -> None:
    # The status words are the core's; only the headless commands need them (see module doc).
    from rostergui.core.states import StatusFilter

    parser.add_argument("--role", help="only this tool role (e.g. Learner, 'Teaching Assistant')")
    parser.add_argument(
        "--status",
        choices=[s.value for s in StatusFilter],
        default=StatusFilter.ACTIVE.value,
        help="member status to include (default: active)",
    )
    parser.add_argument("--search", help="words that must all occur in name, email or user id")


def _add_headless_commands(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    # The page sizes are the core's; only the headless commands need them (see module doc).
    from rostergui.core.limits import (
        DEFAULT_JOBS,
        DEFAULT_PAGE_SIZE,
        DEFAULT_PER_ORIGIN,
        MAX_JOBS,
        MAX_PAGE_SIZE,
        MIN_PAGE_SIZE,
    )

    info = sub.add_parser("info", help="show version, data folder, database and keyring")
    info.add_argument("--json", action="store_true")

    sim = sub.add_parser("simulator", help="run the LTIAAS-compatible simulator")
    sim.add_argument("--host", default="127.0.0.1")
    sim.add_argument("--port", type=int, default=8765)
    add_load_options(sim)
    sim.add_argument("--churn", action="store_true", help="change rosters a little per sync")
    sim.add_argument(
        "--attack",
        action="append",
        default=[],
        type=_attack,
        metavar="NAME[:COURSE[:PAGE]]",
        help="answer with a named hostile answer (repeatable; see python -m rostergui.simulator "
        "--list-attacks)",
    )

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
    imp = ctx_sub.add_parser(
        "import",
        help="add many courses from a CSV file",
        description="Columns: name, base_url, and service_key or ltik (platform_id optional); "
        "UTF-8, comma or semicolon separated. The API key of each LTIAAS address comes from "
        "the keyring, else ROSTERGUI_API_KEY, else a hidden prompt. The file holds secrets: "
        "delete it afterwards.",
    )
    imp.add_argument("file", metavar="FILE.csv")
    imp.add_argument(
        "--check", action="store_true", help="test every row's keys with LTIAAS before saving"
    )
    imp.add_argument("--json", action="store_true")
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
    sync.add_argument(
        "--page-size",
        type=whole_number(MIN_PAGE_SIZE, MAX_PAGE_SIZE),
        default=DEFAULT_PAGE_SIZE,
        metavar="N",
        help=f"members to ask the LMS for per page, {MIN_PAGE_SIZE}–{MAX_PAGE_SIZE:,} "
        f"(default: {DEFAULT_PAGE_SIZE:,}; an LMS may send fewer, Canvas at most 50)",
    )
    sync.add_argument(
        "--jobs",
        type=whole_number(1, MAX_JOBS),
        default=DEFAULT_JOBS,
        metavar="N",
        help=f"courses synced at once, 1–{MAX_JOBS} (default: {DEFAULT_JOBS}); at most "
        f"{DEFAULT_PER_ORIGIN} at once share one LTIAAS address",
    )
    sync.add_argument(
        "--stale-after",
        type=stale_after,
        default=None,
        metavar="DURATION",
        help="skip courses synced successfully within this time, e.g. 30m, 6h or 2d",
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

    ppl = sub.add_parser("people", help="find a person across every course")
    ppl_sub = ppl.add_subparsers(dest="action", metavar="ACTION", required=True)
    find = ppl_sub.add_parser(
        "search",
        help="everyone whose name, email or user id holds every word (any order, accents "
        "optional), with each course they are or were in",
    )
    find.add_argument("text", metavar="TEXT")
    find.add_argument("--json", action="store_true")
    find.set_defaults(usage_parser=find)

    roles = sub.add_parser("roles", help="show or change the LTI → tool role mapping")
    roles_sub = roles.add_subparsers(dest="action", metavar="ACTION", required=True)
    rl = roles_sub.add_parser("list", help="show the mapping")
    rl.add_argument("--json", action="store_true")
    rs = roles_sub.add_parser("set", help="map an LTI role (e.g. Instructor#Grader) to a role")
    rs.add_argument("lti_role")
    rs.add_argument("tool_role")
    roles_sub.add_parser("reset", help="restore the default mapping")


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
    if (command, action) == ("people", "search") and not args.text.strip():
        return "give the words to search for, for example: people search 'ana lopez'"
    if command == "demo" and args.headless and args.check_start:
        return "--check-start shows the window; leave out --headless"
    return None


def _attack(text: str) -> object:
    """``--attack``: parsed by the simulator, imported only when the option is used."""
    from rostergui.simulator.cli import attack_option

    return attack_option(text)
