"""Every benchmark in one command, written to ``docs/PERFORMANCE.md`` with the commands that
produced each table.

The benchmarks run one after another, never in parallel: the machine has few cores and each
benchmark compares against a baseline measured in the same run, which only holds when nothing
else of ours competes for the CPU meanwhile.

    python bench/run_all.py                   # full sizes, writes docs/PERFORMANCE.md
    python bench/run_all.py --quick --output /tmp/PERFORMANCE.md
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
from dataclasses import dataclass
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent


@dataclass(frozen=True)
class Benchmark:
    title: str
    script: str
    about: str


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
        "Window, export and start-up",
        "app_bench.py",
        "The member table next to `QStandardItemModel` + `QSortFilterProxyModel`, the "
        "window's responsiveness while it syncs, CSV export next to a bare `csv.writer`, and "
        "start-up next to a bare PySide6 window.",
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
    with tempfile.TemporaryDirectory(prefix="rostersync-bench-all-") as scratch:
        for bench in BENCHMARKS:
            table = Path(scratch) / f"{Path(bench.script).stem}.md"
            argv = [str(HERE / bench.script), *(["--quick"] if args.quick else [])]
            print(f"\n== {bench.title}: {shown_command(argv)}\n", flush=True)
            # The child's own output goes straight to ours, so progress shows as it runs.
            done = subprocess.run([sys.executable, *argv, "--output", str(table)], check=False,
                                  cwd=ROOT)
            body = table.read_text(encoding="utf-8").strip() if table.exists() else ""
            if done.returncode != 0 or not body:
                failed.append(bench.title)
                body = f"**This benchmark failed (exit status {done.returncode}).**"
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
    if failed:
        print(f"Failed: {', '.join(failed)}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
