"""``rostergui contexts import`` and ``rostergui people search``: a whole catalogue at once.

The import reads and checks every row before anything is saved, asks for one API key per
LTIAAS address (the keyring's, else ``ROSTERGUI_API_KEY``, else a hidden prompt), then reports
each row: imported, skipped, invalid or refused, with the reason. It always reminds the admin
that the file holds keys and should be deleted, whatever happened.
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from rostergui.cli.output import EXIT_FAILED, EXIT_OK, Console, iso
from rostergui.cli.secret_input import ask_secret, env_secret
from rostergui.core import course_import
from rostergui.core.course_import import ImportOutcome, ImportRow, RowOutcome
from rostergui.core.people import PersonMatch
from rostergui.core.service import RosterService

#: Seconds between two progress lines on stderr.
_PROGRESS_EVERY = 2.0


def cmd_import(args: argparse.Namespace, service: RosterService, console: Console) -> int:
    """``contexts import FILE [--check] [--json]``: exit 0 when every row was imported."""
    try:
        rows = service.plan_import(args.file)
        outcomes = _import(rows, args, service, console)
    finally:
        if Path(args.file).is_file():
            console.error(
                f"reminder: '{args.file}' holds secret keys; delete it (and any copy) now that "
                "it has been read"
            )
    if args.json:
        console.json([outcome_json(o) for o in outcomes])
    else:
        for line in outcome_lines(outcomes):
            console.print(line)
    console.note(summary(outcomes))
    every = all(o.outcome == RowOutcome.IMPORTED for o in outcomes)
    return EXIT_OK if every else EXIT_FAILED


def _import(
    rows: Sequence[ImportRow],
    args: argparse.Namespace,
    service: RosterService,
    console: Console,
) -> list[ImportOutcome]:
    origins = course_import.origins(rows)
    api_keys: dict[str, str] = {}
    if origins:
        service.check_keyring()  # before anyone is asked for a key
        from_env = env_secret("ROSTERGUI_API_KEY")
        for origin in origins:
            key = service.saved_api_key(origin) or from_env
            key = key or ask_secret(f"LTIAAS API key for {origin}: ")
            if key:
                api_keys[origin] = key
            else:
                console.error(
                    f"no API key for {origin}: its rows are refused; set ROSTERGUI_API_KEY "
                    "(or run on a terminal to be asked)"
                )
    ready = sum(row.ready for row in rows)
    if args.check and ready:
        console.note(f"Checking {ready} rows with LTIAAS…")
    last = time.monotonic()

    def progress(done: int, total: int) -> None:
        nonlocal last
        now = time.monotonic()
        if now - last >= _PROGRESS_EVERY:
            last = now
            console.note(f"import: {done:,} of {total:,} steps done")

    return service.import_courses(rows, api_keys=api_keys, check=args.check, progress=progress)


def outcome_json(outcome: ImportOutcome) -> dict[str, Any]:
    return {
        "row": outcome.row,
        "name": outcome.name,
        "outcome": outcome.outcome.value,
        "reason": outcome.reason,
    }


def outcome_lines(outcomes: Sequence[ImportOutcome]) -> list[str]:
    """One line per row: ``row 4 'Biology 101': skipped — a course named … is already
    stored``."""
    lines = []
    for o in outcomes:
        name = f" '{o.name}'" if o.name else ""
        reason = f" — {o.reason}" if o.reason else ""
        lines.append(f"row {o.row}{name}: {o.outcome.value}{reason}")
    return lines


def summary(outcomes: Sequence[ImportOutcome]) -> str:
    counts: dict[RowOutcome, int] = {kind: 0 for kind in RowOutcome if kind != RowOutcome.READY}
    for o in outcomes:
        counts[o.outcome] = counts.get(o.outcome, 0) + 1
    return ", ".join(f"{count:,} {kind.value}" for kind, count in counts.items())


def cmd_people(args: argparse.Namespace, service: RosterService, console: Console) -> int:
    """``people search TEXT [--json]``: everyone matching, with every course they are or
    were in. Finding nobody is not a failure (exit 0, a note on stderr)."""
    found = service.search_people(args.text)
    if args.json:
        console.json([person_json(p) for p in found])
    else:
        for line in person_lines(found):
            console.print(line)
    if not found:
        console.note(f"Nobody in any stored course matches '{args.text}'")
    else:
        console.note(f"{len(found):,} people")
    return EXIT_OK


def person_json(person: PersonMatch) -> dict[str, Any]:
    return {
        "platform_id": person.platform_id,
        "user_id": person.user_id,
        "name": person.name,
        "email": person.email,
        "courses": [
            {
                "course": c.course,
                "role": c.role,
                "status": str(c.status),
                "last_seen_at": iso(c.last_seen_at),
            }
            for c in person.courses
        ],
    }


def person_lines(people: Sequence[PersonMatch]) -> list[str]:
    lines = []
    for person in people:
        email = f" <{person.email}>" if person.email else ""
        lines.append(
            f"{person.name or '(no name)'}{email} · user {person.user_id} · {person.platform_id}"
        )
        for c in person.courses:
            removed = " (removed, roster kept)" if c.archived else ""
            lines.append(
                f"    {c.course}{removed}: {c.role}, {c.status}, last seen "
                f"{c.last_seen_at:%Y-%m-%d %H:%M} UTC"
            )
    return lines
