"""``rostergui contexts``: add, update, list, remove and import courses.

Secrets come from the environment or a hidden prompt, never from the command line, and each
is registered for redaction before anything else sees it.
"""

from __future__ import annotations

import argparse

from rostergui.cli.commands_catalogue import cmd_import
from rostergui.cli.output import EXIT_OK, Console, course_json, course_rows, table
from rostergui.cli.secret_input import ask_secret, env_secret
from rostergui.core import errors
from rostergui.core.service import RosterService
from rostergui.core.states import AuthScheme


def cmd_contexts(args: argparse.Namespace, service: RosterService, console: Console) -> int:
    if args.action == "list":
        courses = service.courses()
        if args.json:
            console.json([course_json(c) for c in courses])
        elif not courses:
            console.print(
                "No courses yet; add one with: rostergui contexts add --name … --base-url …"
            )
        else:
            table(course_rows(courses), console)
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
    if args.action == "import":
        return cmd_import(args, service, console)
    if args.action == "remove":
        service.remove_course(args.name, keep_roster=args.keep_roster)
        kept = " (roster kept)" if args.keep_roster else ""
        console.print(f"Removed '{args.name}' and its secrets{kept}.")
        return EXIT_OK
    return add_course(args, service, console)


def add_course(args: argparse.Namespace, service: RosterService, console: Console) -> int:
    """``contexts add``: the keyring is checked before anyone is asked for a key."""
    service.check_keyring()
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
            "and Roles for the tool in the LMS, then give the course a new launch token with "
            "'contexts update'"
        )
    elif course.auth_scheme == AuthScheme.LTIK:
        console.error(
            "warning: LTIAAS gave no service key, so syncs use the launch token, which expires "
            "after 24 hours"
        )
    return EXIT_OK
