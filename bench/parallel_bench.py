"""Parallel-sync benchmark: "Sync all" one course after another next to a round of 4 at once.

One course's sync is bound by the LMS: every page is a round trip through LTIAAS, and the next
page is known only when the last has arrived. Twenty courses of 2,000 members at 50 members a
page (Canvas's cap) and 100 ms a page are 800 round trips; one after another they take 80 s
however fast the rest is. A round (:mod:`rostergui.core.sync_round`) runs 4 at once, at most 4
of one LTIAAS origin. Measured side by side in one run, each round in a fresh child process
(so its peak memory is its own) on a fresh SQLite database, the simulator in a process of its
own: once answering every request, once limited to 4 requests at once (429 with Retry-After
beyond them, as a busy LTIAAS account would); and the real window (offscreen) running its own
"Sync all" of the same courses, a 10 ms timer on its GUI thread measuring how long it froze.

    python bench/parallel_bench.py           # 20 courses × 2,000 members, 100 ms a page
    python bench/parallel_bench.py --quick   # 6 × 300 members, 5 ms a page: checks it runs

With ``--compare-with DIR`` (a checkout of another commit, e.g. from ``git archive``) the
window's Sync all also runs ``--window-runs`` times with this code and as many with DIR's,
alternating against the same simulator, and a second table gives both sides' stalls.
"""

from __future__ import annotations

import argparse
import functools
import gc
import itertools
import json
import multiprocessing
import os
import resource
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(ROOT))

JOBS = 4
PER_PAGE = 50  # the simulated LMS caps every page at this (Canvas)
TARGET_RATIO, TARGET_LIMITED, TARGET_MB, TARGET_STALL_MS = 0.30, 0.35, 250, 50


def make_courses(count: int, members: int) -> list[Any]:
    """``count`` courses of ``members`` each on one LMS that sends 50 members a page."""
    import dataclasses

    from rostergui.simulator.samples import mooc_course

    return [
        dataclasses.replace(mooc_course(count=members, slug=f"p{i}"), context_id=f"p-{i}",
                            max_limit=PER_PAGE)
        for i in range(count)
    ]


def _serve(courses: Callable[[], list[Any]], latency: float, max_in_flight: int | None,
           queue: Any, stop: Any) -> None:
    from rostergui.simulator import Simulator

    built = courses()
    sim = Simulator(courses=built, latency=latency, max_in_flight=max_in_flight)
    sim.start("127.0.0.1", 0)
    queue.put((sim.base_url, sim.api_key, {c.slug: c.service_key for c in built}))
    stop.wait()
    counts = sim.in_flight
    queue.put({"peak": counts.peak, "refused": counts.refused})
    sim.stop()


@dataclass
class SimProcess:
    base_url: str
    api_key: str
    keys: dict[str, str]
    process: multiprocessing.process.BaseProcess
    queue: Any
    stop: Any

    def close(self) -> dict[str, int]:
        """Stop it; what it counted: the most requests at once, and how many it refused."""
        self.stop.set()
        counts = dict(self.queue.get(timeout=30))
        self.process.join(10)
        return counts


def start_sim(courses: Callable[[], list[Any]], latency: float,
              max_in_flight: int | None) -> SimProcess:
    ctx = multiprocessing.get_context("spawn")
    queue, stop = ctx.Queue(), ctx.Event()
    process = ctx.Process(target=_serve, args=(courses, latency, max_in_flight, queue, stop),
                          daemon=True)
    process.start()
    base_url, api_key, keys = queue.get(timeout=300)
    return SimProcess(base_url, api_key, keys, process, queue, stop)


# --- the child: one round on a fresh database -------------------------------------------------


def child_round(base_url: str, api_key: str, keys: dict[str, str], jobs: int) -> dict[str, Any]:
    from rostergui.core.secrets import MemoryKeyring, SecretStore
    from rostergui.core.service import ConnectionCheck, RosterService
    from rostergui.core.sync_round import SyncRound

    with tempfile.TemporaryDirectory() as directory:
        service = RosterService.open(data_directory=directory,
                                     secrets=SecretStore(MemoryKeyring()))
        try:
            for slug, key in keys.items():  # the connection check taken as passed
                check = ConnectionCheck("https://bench.example", None, f"ctx-{slug}", slug, None,
                                        None, True)
                service.add_course(slug, base_url, api_key, service_key=key, check=check)
            started = time.perf_counter()
            report = SyncRound(service, jobs=jobs).run(list(keys))
            seconds = time.perf_counter() - started
        finally:
            service.close()
    failed = [r.name for r in report.results if not r.ok]
    return {
        "seconds": seconds,
        "failed": failed,
        "members": sum(r.added for r in report.results),
        "pages": sum(r.pages for r in report.results),
        "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    }


def child_window(base_url: str, api_key: str, keys: dict[str, str]) -> dict[str, Any]:
    """The real window (offscreen) runs "Sync all", 4 at once; a 10 ms timer on the GUI thread
    measures how long the window froze at a time."""
    from PySide6.QtCore import QEventLoop, QSettings, Qt, QTimer
    from PySide6.QtWidgets import QApplication

    import rostergui.ui  # noqa: F401 - applies the PySide reference guard before any Qt use
    from rostergui.core.secrets import MemoryKeyring, SecretStore
    from rostergui.core.service import ConnectionCheck, RosterService
    from rostergui.ui.main_window import MainWindow
    from rostergui.ui.settings import Settings

    with tempfile.TemporaryDirectory() as directory:
        QSettings.setDefaultFormat(QSettings.Format.IniFormat)
        QSettings.setPath(QSettings.Format.IniFormat, QSettings.Scope.UserScope, directory)
        app = QApplication.instance() or QApplication(sys.argv[:1])
        service = RosterService.open(data_directory=directory,
                                     secrets=SecretStore(MemoryKeyring()))
        for slug, key in keys.items():
            check = ConnectionCheck("https://bench.example", None, f"ctx-{slug}", slug, None,
                                    None, True)
            service.add_course(slug, base_url, api_key, service_key=key, check=check)
        window = MainWindow(service, Settings())
        window.resize(1280, 800)
        window.show()

        def wait(condition: Callable[[], bool], timeout: float) -> None:
            deadline = time.perf_counter() + timeout
            while not condition():
                if time.perf_counter() > deadline:
                    raise SystemExit("timed out waiting for the window")
                app.processEvents(QEventLoop.ProcessEventsFlag.AllEvents, 20)
                time.sleep(0.001)

        wait(lambda: window.course_model.loaded and not window.runner.busy, 120)
        # As `rostergui` does once its window is complete (rostergui/ui/app.py): what start-up
        # built lives as long as the app, out of the collector's sight.
        gc.freeze()
        events: list[tuple[float, str]] = []
        window.sync.started.connect(lambda n: events.append((time.perf_counter(), f"start {n}")))
        window.sync.finished.connect(
            lambda r: events.append((time.perf_counter(), f"end {r.name}"))
        )
        ticks: list[float] = []
        timer = QTimer()
        timer.setTimerType(Qt.TimerType.PreciseTimer)
        timer.setInterval(10)
        timer.timeout.connect(lambda: ticks.append(time.perf_counter()))
        results: list[Any] = []
        window.sync.finished.connect(results.append)
        ticks.append(time.perf_counter())
        timer.start()
        started = time.perf_counter()
        window.sync_all_action.trigger()
        wait(lambda: not window.sync.busy and not window.runner.busy, 3600)
        seconds = time.perf_counter() - started
        timer.stop()
        window.close()
        service.close()
    pairs = sorted(((b - a, b) for a, b in itertools.pairwise(ticks)), reverse=True)
    gaps = sorted(gap for gap, _end in pairs)
    longest = [
        {"ms": round(1000 * gap, 1), "end": end,
         "after": [label for at, label in events if end - gap - 0.2 <= at <= end]}
        for gap, end in pairs[:5]
    ]
    return {
        "longest": longest,
        "seconds": seconds,
        "failed": [r.name for r in results if not r.ok],
        "members": sum(r.added for r in results),
        "longest_gap_ms": 1000 * gaps[-1] if gaps else 0.0,
        "p99_gap_ms": 1000 * gaps[int(0.99 * (len(gaps) - 1))] if gaps else 0.0,
        "gaps_over_50ms": sum(g > 0.05 for g in gaps),
        "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    }


def run_child(sim: SimProcess, jobs: int, tree: Path = ROOT) -> dict[str, Any]:
    """``jobs`` courses at once in a child process; 0: the window's Sync all instead. ``tree``:
    the checkout whose code (and copy of this script) the child runs."""
    args = [sys.executable, str(tree / "bench" / Path(__file__).name), "--child", str(jobs)]
    given = json.dumps({"base_url": sim.base_url, "api_key": sim.api_key, "keys": sim.keys})
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen"}
    done = subprocess.run(args, input=given, capture_output=True, text=True, check=False,
                          timeout=3600, env=env)
    if done.returncode != 0:
        raise SystemExit(f"child round failed:\n{done.stderr[-3000:]}")
    return dict(json.loads(done.stdout.strip().splitlines()[-1]))


# --- the parent ---------------------------------------------------------------------------------


def say_compared(say: Callable[[str], None], compared: dict[str, list[dict[str, Any]]],
                 other: Path) -> None:
    """The window's stalls with this code next to the other checkout's, run alternately."""
    say(f"The window's Sync all, this code next to `{other.name}`'s, alternating, "
        f"{len(compared['this'])} runs each against the same simulator:")
    say("")
    say("| code | longest stall, each run | median | 99th percentile, median | "
        "gaps over 50 ms, all runs |")
    say("|---|---|---:|---:|---:|")
    for side, label in (("other", f"`{other.name}`"), ("this", "this checkout")):
        runs = compared[side]
        longest = [r["longest_gap_ms"] for r in runs]
        p99 = sorted(r["p99_gap_ms"] for r in runs)[len(runs) // 2]
        say(f"| {label} | {', '.join(f'{g:.0f} ms' for g in longest)} | "
            f"{sorted(longest)[len(longest) // 2]:.0f} ms | {p99:.0f} ms | "
            f"{sum(r['gaps_over_50ms'] for r in runs)} |")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small sizes, 5 ms a page, for CI")
    parser.add_argument("--output", type=Path, help="write the Markdown table here")
    parser.add_argument("--json", type=Path, help="write the figures as JSON here")
    parser.add_argument("--compare-with", type=Path, metavar="DIR",
                        help="also run the window's Sync all with the code checked out in DIR")
    parser.add_argument("--window-runs", type=int, default=3, metavar="N",
                        help="with --compare-with: window runs of each side (default 3)")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        given = json.loads(sys.stdin.read())
        jobs = int(args.child)
        if jobs == 0:
            data = child_window(given["base_url"], given["api_key"], given["keys"])
        else:
            data = child_round(given["base_url"], given["api_key"], given["keys"], jobs)
        print(json.dumps(data))
        return 0

    count, members, latency_ms = (6, 300, 5.0) if args.quick else (20, 2_000, 100.0)
    courses = functools.partial(make_courses, count, members)
    lines: list[str] = []

    def say(text: str = "") -> None:
        print(text, flush=True)
        lines.append(text)

    say(f"Parallel-sync benchmark — {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}, "
        f"{os.cpu_count()} cores, Python {sys.version.split()[0]}, "
        f"{'quick' if args.quick else 'full'} mode: {count} courses × {members:,} members, "
        f"{PER_PAGE} a page, {latency_ms:g} ms a page, {JOBS} courses at once")
    say()
    figures: dict[str, Any] = {}
    sim = start_sim(courses, latency_ms / 1000, None)
    try:
        figures["sequential"] = run_child(sim, 1)
        figures["parallel"] = run_child(sim, JOBS)
        figures["window"] = run_child(sim, 0)
        if args.compare_with:
            compared: dict[str, list[dict[str, Any]]] = {"this": [], "other": []}
            for _ in range(args.window_runs):
                compared["other"].append(run_child(sim, 0, args.compare_with.resolve()))
                compared["this"].append(run_child(sim, 0))
            figures["compared"] = compared
    finally:
        figures["open_counts"] = sim.close()
    limited = start_sim(courses, latency_ms / 1000, 4)
    try:
        figures["limited"] = run_child(limited, JOBS)
    finally:
        figures["limited_counts"] = limited.close()

    sequential = figures["sequential"]["seconds"]
    expected = count * members
    missed: list[str] = []
    for run in ("sequential", "parallel", "window", "limited"):
        if figures[run]["failed"] or figures[run]["members"] != expected:
            missed.append(f"{run}: failed {figures[run]['failed']}, "
                          f"{figures[run]['members']:,} of {expected:,} members")

    def row(label: str, run: str, target: float, extra: str = "") -> None:
        seconds = figures[run]["seconds"]
        ratio = seconds / sequential
        met = ratio <= target and not figures[run]["failed"]
        if not met:
            missed.append(label)
        say(f"| {label} | {count} × {members:,} | {sequential:.1f} s | {seconds:.1f} s | "
            f"{ratio:.2f}× | ≤ {target:.2f}×{extra}: {'met' if met else 'MISSED'} |")

    say("| measurement | courses | one after another | 4 at once | ratio | target |")
    say("|---|---:|---:|---:|---:|---|")
    row("Sync all", "parallel", TARGET_RATIO)
    counts = figures["limited_counts"]
    row(f"Sync all, LTIAAS taking 4 requests at once (peak {counts['peak']}, "
        f"{counts['refused']} answered 429)", "limited", TARGET_LIMITED, ", no failed course")
    row("Sync all in the window (4 at once, the setting's default)", "window", TARGET_RATIO)
    peak_mb = figures["parallel"]["peak_mb"]
    memory_met = peak_mb <= TARGET_MB
    if not memory_met:
        missed.append("peak memory")
    say(f"| peak memory (RSS high-water) of the process running 4 at once | {count} × "
        f"{members:,} | {figures['sequential']['peak_mb']:.0f} MB | {peak_mb:.0f} MB | | "
        f"≤ {TARGET_MB} MB: {'met' if memory_met else 'MISSED'} |")
    window = figures["window"]
    stalls_met = window["longest_gap_ms"] <= TARGET_STALL_MS
    if not stalls_met:
        missed.append("window stalls")
    say(f"| longest stall of the window's GUI thread during its Sync all (a 10 ms timer; "
        f"99th percentile {window['p99_gap_ms']:.0f} ms, {window['gaps_over_50ms']} gaps over "
        f"50 ms) | {count} × {members:,} | | {window['longest_gap_ms']:.0f} ms | | "
        f"≤ {TARGET_STALL_MS} ms: {'met' if stalls_met else 'MISSED'} |")
    say()
    pages = figures["parallel"]["pages"]
    say(f"Each round synced {expected:,} members on {pages:,} pages, each a round trip of at "
        f"least {latency_ms:g} ms, so one after another cannot take less than "
        f"{pages * latency_ms / 1000:.1f} s; 4 at once cannot take less than a quarter of "
        "that. The simulator, not RosterSync, counted the requests in flight.")
    if "compared" in figures:
        say()
        say_compared(say, figures["compared"], args.compare_with)
    if missed:
        say()
        say(f"Missed: {'; '.join(missed)}")
    if args.output:
        args.output.write_text("\n".join(lines) + "\n", encoding="utf-8")
    if args.json:
        args.json.write_text(json.dumps(figures, indent=2), encoding="utf-8")
    return 0 if not missed or args.quick else 1


if __name__ == "__main__":
    sys.exit(main())
