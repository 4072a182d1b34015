"""Every benchmark in one command, written to ``docs/PERFORMANCE.md`` with the commands that
produced each table.

The benchmarks run one after another, never in parallel: the machine has few cores and each
benchmark compares against a baseline measured in the same run, which only holds when nothing
else of ours competes for the CPU meanwhile.

    python bench/run_all.py                   # full sizes, writes docs/PERFORMANCE.md
    python bench/run_all.py --quick --output /tmp/PERFORMANCE.md

A benchmark that cannot run on this machine (the several-machines one needs PostgreSQL's
server programs) is skipped with its reason, printed and written in its section.
"""

from __future__ import annotations

import argparse
import os
import platform
import shlex
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent


#: A benchmark's exit status when it cannot run here (bench/multi_worker_bench.py: no PostgreSQL).
CANNOT_RUN = 3


def postgres_missing() -> str | None:
    """Why the several-machines benchmark cannot start its PostgreSQL server here, if it cannot
    (scripts/pg-test-server.sh looks for the server programs in the same place)."""
    if any(Path("/usr/lib/postgresql").glob("*/bin/initdb")):
        return None
    return "PostgreSQL's server programs are not installed (/usr/lib/postgresql/*/bin)"


@dataclass(frozen=True)
class Benchmark:
    title: str
    script: str
    about: str
    #: Why it cannot run on this machine (``None``: it can).
    cannot_run: Callable[[], str | None] = lambda: None


BENCHMARKS = (
    Benchmark(
        "Sync",
        "sync_bench.py",
        "A full sync against the bare transport floor (GET every page with httpx and parse "
        "it), the simulator in another process, each sync in a fresh child process.",
    ),
    Benchmark(
        "Fewer pages",
        "page_size_bench.py",
        "A 5,000-member course synced asking for 100 and for 1,000 members a page, on an LMS "
        "that honours `limit` and on one that caps it at 50 (Canvas), the simulator in another "
        "process answering each page after a fixed latency.",
    ),
    Benchmark(
        "Many courses at once",
        "parallel_bench.py",
        "\"Sync all\" of 20 courses × 2,000 members one course after another next to a round "
        "of 4 at once, on an LMS that sends 50 members a page and takes 100 ms a page; the "
        "same round with the simulator taking at most 4 requests at once and answering `429` "
        "beyond them; and the real window (offscreen) running its own \"Sync all\" while a "
        "10 ms timer on its GUI thread measures how long it froze at a time. Each round in a "
        "fresh child process on a fresh SQLite database, the simulator in its own process.",
    ),
    Benchmark(
        "Several machines sharing one round",
        "multi_worker_bench.py",
        "Three `rostergui sync --all --stale-after 1h` processes on one PostgreSQL database "
        "next to one, each way on a fresh database with the same courses, the simulator in its "
        "own process answering every page after a fixed latency; the count of courses synced "
        "comes from the sync history. It starts its own throw-away PostgreSQL server.",
        cannot_run=postgres_missing,
    ),
    Benchmark(
        "Window, export and start-up",
        "app_bench.py",
        "The member table next to `QStandardItemModel` + `QSortFilterProxyModel`, the "
        "window's responsiveness while it syncs, CSV export next to a bare `csv.writer`, and "
        "start-up next to a bare PySide6 window.",
    ),
    Benchmark(
        "A course list for 2,000 courses, and Find person",
        "catalogue_ui_bench.py",
        "The window's course panel given 2,000 loaded courses, then filtered letter by letter, "
        "next to `QStandardItemModel` + `QSortFilterProxyModel` with the same delegate; then "
        "the Find person window over 500,000 memberships next to the same window searching on "
        "the GUI thread, a 5 ms timer on the GUI thread recording its longest stall.",
    ),
    Benchmark(
        "Importing a catalogue, and the people index underneath Find person",
        "catalogue_bench.py",
        "`rostergui contexts import` of 2,000 service-key rows on a fresh SQLite database, "
        "split into validation, database and keyring, next to one bare `INSERT` and one bare "
        "keyring write per row; then `PeopleIndex` over 2,000 courses and 500,000 memberships "
        "searched at every keystroke, next to a linear scan of every membership row.",
    ),
)


def shown_command(argv: list[str]) -> str:
    """A command as someone would type it from the repository root."""
    parts = []
    for arg in argv:
        path = Path(arg)
        inside = path.is_absolute() and path.is_relative_to(ROOT)
        parts.append(str(path.relative_to(ROOT)) if inside else arg)
    return shlex.join(["python", *parts])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true",
                        help="small sizes: checks that every benchmark runs, not how fast")
    parser.add_argument("--output", type=Path, default=ROOT / "docs" / "PERFORMANCE.md",
                        help="the Markdown file to write (default: docs/PERFORMANCE.md)")
    args = parser.parse_args()
    output: Path = args.output.resolve()
    started = time.monotonic()
    sections: list[str] = []
    failed: list[str] = []
    skipped: list[str] = []
    with tempfile.TemporaryDirectory(prefix="rostersync-bench-all-") as scratch:
        for bench in BENCHMARKS:
            table = Path(scratch) / f"{Path(bench.script).stem}.md"
            argv = [str(HERE / bench.script), *(["--quick"] if args.quick else [])]
            print(f"\n== {bench.title}: {shown_command(argv)}\n", flush=True)
            reason = bench.cannot_run()
            if reason is None:
                # The child's own output goes straight to ours, so progress shows as it runs.
                done = subprocess.run([sys.executable, *argv, "--output", str(table)],
                                      check=False, cwd=ROOT)
                body = table.read_text(encoding="utf-8").strip() if table.exists() else ""
                if done.returncode == CANNOT_RUN and not body:
                    reason = "it could not run on this machine (see its output)"
            if reason is not None:
                print(f"Skipped: {reason}.", flush=True)
                skipped.append(bench.title)
                body = f"*Skipped in this run: {reason}.*"
            elif not body:
                failed.append(bench.title)
                body = f"**This benchmark failed (exit status {done.returncode}).**"
            elif done.returncode != 0:
                # Its tables stand; the benchmark says itself which target it missed.
                failed.append(bench.title)
                body += f"\n\n(It ended with exit status {done.returncode}: a target missed.)"
            sections.append(
                f"## {bench.title}\n\n{bench.about}\n\nCommand: `{shown_command(argv)}`\n\n"
                f"{body}\n"
            )
    command = shown_command(sys.argv)
    minutes = (time.monotonic() - started) / 60
    head = [
        "# Performance",
        "",
        "How fast RosterSync is at 100,000 members, measured on one machine in one run. The "
        "machine is shared and noisy, so every figure sits next to a baseline measured in the "
        "same run (alternating, medians) and most targets are ratios to it: absolute times "
        "drift between runs, ratios measured together hold.",
        "",
        f"Produced by `{command}` on {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())} "
        f"({os.cpu_count()} cores, {platform.system()} {platform.machine()}, Python "
        f"{platform.python_version()}; {minutes:.0f} min). Each section names the command "
        "that produced its tables on its own.",
        "",
    ]
    if args.quick:
        head += ["*Quick mode: small sizes, one run each. These figures only show that the "
                 "benchmarks run; they say nothing about the targets.*", ""]
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_text("\n".join(head) + "\n" + "\n".join(sections), encoding="utf-8")
    print(f"\nWrote {output}", flush=True)
    if skipped:
        print(f"Skipped: {', '.join(skipped)}", flush=True)
    if failed:
        print(f"Failed: {', '.join(failed)}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
