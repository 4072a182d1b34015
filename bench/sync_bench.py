"""Sync benchmark: RosterSync's full sync against the bare transport floor, side by side.

The simulator runs in its own process (as LTIAAS would be another machine) and each measured
sync runs in a fresh child process, so its peak memory is its own. Every figure is the median
of several alternating runs in one session, and each target is a *ratio* to a bare loop that
only GETs the same pages with httpx and parses the JSON: absolute times drift on a shared
machine, ratios measured together hold.

    python bench/sync_bench.py            # full sizes (100,000 members, 1,000 pages)
    python bench/sync_bench.py --quick    # small sizes: checks that it runs, not how fast
"""

from __future__ import annotations

import argparse
import functools
import json
import multiprocessing
import os
import re
import resource
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from stats import median

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(ROOT))

#: Members asked for per page, by the bare loop and by RosterSync alike (a sync asks for 1,000
#: by default; the measurements here compare the two at one page size).
PAGE = 100


def mooc_courses(sizes: list[int]) -> list[Any]:
    """One sample MOOC course per size, ``mooc-<size>``."""
    from rostergui.simulator.samples import mooc_course

    return [mooc_course(count=n, slug=f"mooc-{n}") for n in sizes]


def _serve(courses: Callable[[], list[Any]], latency: float, port_queue: Any, stop: Any) -> None:
    from rostergui.simulator import Simulator

    built = courses()
    sim = Simulator(courses=built, latency=latency)
    sim.start("127.0.0.1", 0)
    keys = {c.slug: c.service_key for c in built}
    port_queue.put((sim.base_url, sim.api_key, keys))
    stop.wait()
    sim.stop()


@dataclass
class SimProcess:
    base_url: str
    api_key: str
    keys: dict[str, str]
    process: multiprocessing.process.BaseProcess
    stop: Any

    def close(self) -> None:
        self.stop.set()
        self.process.join(10)


def start_sim_with(courses: Callable[[], list[Any]], latency: float) -> SimProcess:
    """The simulator in its own process, serving what ``courses`` (picklable) builds there."""
    ctx = multiprocessing.get_context("spawn")
    queue, stop = ctx.Queue(), ctx.Event()
    process = ctx.Process(target=_serve, args=(courses, latency, queue, stop), daemon=True)
    process.start()
    base_url, api_key, keys = queue.get(timeout=120)
    return SimProcess(base_url, api_key, keys, process, stop)


def start_sim(sizes: list[int], latency: float) -> SimProcess:
    return start_sim_with(functools.partial(mooc_courses, sizes), latency)


# --- child side ----------------------------------------------------------------------------


def child_bare(base_url: str, api_key: str, key: str) -> dict[str, float]:
    """The floor: GET every page through LTIAAS's ?url= paging and parse the JSON."""
    import httpx

    headers = {"Authorization": f"SERVICE-AUTH-V1 {api_key}:{key}"}
    started = time.perf_counter()
    members = pages = 0
    with httpx.Client(base_url=base_url, headers=headers, timeout=60) as client:
        params: dict[str, Any] = {"limit": PAGE}
        while True:
            body = client.get("/api/memberships", params=params).json()
            pages += 1
            members += len(body["members"])
            if not body.get("next"):
                break
            params = {"url": body["next"]}
    return {"seconds": time.perf_counter() - started, "pages": pages, "members": members}


def _statement_label(sql: str) -> str:
    """A short name for a statement: its verb and the table it writes or reads."""
    words = " ".join(sql.split())
    found = re.match(r"(INSERT INTO \w+|UPDATE \w+|CREATE TEMPORARY TABLE \w+|DROP TABLE)",
                     words)
    if found:
        return found.group(1)
    table = re.search(r" FROM (\w+)", words)
    return f"SELECT … FROM {table.group(1)}" if table else words[:40]


class _Profile:
    """Where one sync's time goes: the time the fetching loop spent handing pages to the
    database, and the apply phase's statements by label."""

    def __init__(self, engine: Any) -> None:
        from sqlalchemy import event

        from rostergui.core import staging, sync

        self.applying = False
        self.staging = 0.0
        self.statements: dict[str, float] = {}
        self._started = 0.0
        event.listen(engine, "before_cursor_execute", self._before)
        event.listen(engine, "after_cursor_execute", self._after)
        add_page = staging.StagedRoster.add_page

        def timed_add_page(staged: Any, page: Any) -> None:
            started = time.perf_counter()
            add_page(staged, page)
            self.staging += time.perf_counter() - started

        staging.StagedRoster.add_page = timed_add_page  # type: ignore[method-assign]
        apply = sync.SyncEngine._apply

        def marked_apply(engine: Any, *args: Any) -> None:
            self.applying = True
            try:
                apply(engine, *args)
            finally:
                self.applying = False

        sync.SyncEngine._apply = marked_apply  # type: ignore[method-assign]

    def _before(self, *_args: Any) -> None:
        self._started = time.perf_counter()

    def _after(self, _conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        if self.applying:
            label = _statement_label(statement)
            took = time.perf_counter() - self._started
            self.statements[label] = self.statements.get(label, 0.0) + took


def bench_service(directory: str, base_url: str, api_key: str, key: str, *,
                  page_size: int) -> Any:
    """A service on a fresh database in ``directory``, its keys in memory, with the course
    "bench" added (its connection check taken as passed)."""
    from rostergui.core.secrets import MemoryKeyring, SecretStore
    from rostergui.core.service import ConnectionCheck, RosterService

    service = RosterService.open(data_directory=directory, secrets=SecretStore(MemoryKeyring()),
                                 page_size=page_size)
    try:
        check = ConnectionCheck("https://bench.example", None, "ctx", "Bench", None, None, True)
        service.add_course("bench", base_url, api_key, service_key=key, check=check)
    except BaseException:
        service.close()
        raise
    return service


def child_sync(base_url: str, api_key: str, key: str, runs: int) -> dict[str, Any]:
    """Full syncs (first, then unchanged re-syncs) on a fresh database, each profiled when
    ``runs`` is given as ``-N``."""
    profile_first = runs < 0
    runs = abs(runs)
    with tempfile.TemporaryDirectory() as directory:
        service = bench_service(directory, base_url, api_key, key, page_size=PAGE)
        profile = _Profile(service.engine) if profile_first else None
        results = []
        for _ in range(runs):
            result = service.sync("bench")
            if not result.ok:
                raise SystemExit(f"sync failed: {result.error}")
            results.append({"seconds": result.seconds, "fetch": result.fetch_seconds,
                            "apply": result.apply_seconds, "added": result.added})
            if profile is not None:
                results[-1]["profile"] = {"statements": profile.statements,
                                          "staging": profile.staging}
                profile.statements, profile.staging = {}, 0.0
        service.close()
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return {"runs": results, "peak_mb": peak_mb}


def run_child(mode: str, sim: SimProcess, slug: str, runs: int = 1) -> dict[str, Any]:
    args = [sys.executable, str(Path(__file__).resolve()), "--child", mode, sim.base_url,
            sim.api_key, sim.keys[slug], str(runs)]
    done = subprocess.run(args, capture_output=True, text=True, check=False, timeout=1800)
    if done.returncode != 0:
        raise SystemExit(f"child {mode} failed:\n{done.stderr}")
    return dict(json.loads(done.stdout.strip().splitlines()[-1]))


# --- parent side ---------------------------------------------------------------------------


def measure(sim: SimProcess, slug: str, repeats: int) -> dict[str, Any]:
    """Alternate bare loops and syncs so drift hits both alike."""
    run_child("bare", sim, slug)  # warm the simulator's page cache
    bare, first, again, fetch, apply_, peaks = [], [], [], [], [], []
    for _ in range(repeats):
        bare.append(run_child("bare", sim, slug)["seconds"])
        synced = run_child("sync", sim, slug, runs=2)
        first.append(synced["runs"][0]["seconds"])
        fetch.append(synced["runs"][0]["fetch"])
        apply_.append(synced["runs"][0]["apply"])
        again.append(synced["runs"][1]["seconds"])
        peaks.append(synced["peak_mb"])
    return {
        "bare": median(bare),
        "first": median(first),
        "first_fetch": median(fetch),
        "first_apply": median(apply_),
        "resync": median(again),
        "peak_mb": max(peaks),
    }


def report_profile(say: Any, runs: list[dict[str, Any]], members: int) -> None:
    """Where a first sync and an unchanged re-sync spend their time (one profiled run)."""
    say(f"Where the time goes ({members:,} members, one separate run with timers on every "
        "database statement):")
    say()
    say("| | first sync | re-sync, unchanged |")
    say("|---|---:|---:|")
    first, again = runs
    say(f"| whole sync | {first['seconds']:.3f} s | {again['seconds']:.3f} s |")
    say(f"| fetch phase | {first['fetch']:.3f} s | {again['fetch']:.3f} s |")
    say(f"| … of which staging pages in SQLite, while the next page is fetched | "
        f"{first['profile']['staging']:.3f} s | {again['profile']['staging']:.3f} s |")
    say(f"| apply phase | {first['apply']:.3f} s | {again['apply']:.3f} s |")
    labels = sorted(set(first["profile"]["statements"]) | set(again["profile"]["statements"]),
                    key=lambda label: -first["profile"]["statements"].get(label, 0.0))
    for label in labels:
        cells = [run["profile"]["statements"].get(label) for run in runs]
        if all(cell is None or cell < 0.005 for cell in cells):
            continue
        shown = " | ".join("—" if cell is None else f"{cell:.3f} s" for cell in cells)
        say(f"| … `{label}` | {shown} |")
    for run in runs:
        run["rest"] = run["apply"] - sum(run["profile"]["statements"].values())
    say(f"| … commit and the rest | {first['rest']:.3f} s | {again['rest']:.3f} s |")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small sizes, for CI")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--output", type=Path, help="write the Markdown table here")
    parser.add_argument("--child", nargs=5, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        mode, base_url, api_key, key, runs = args.child
        data = (child_bare(base_url, api_key, key) if mode == "bare"
                else child_sync(base_url, api_key, key, int(runs)))
        print(json.dumps(data))
        return 0

    sizes = [1_000, 2_000, 5_000] if args.quick else [10_000, 50_000, 100_000]
    repeats = 1 if args.quick else args.repeats
    largest = sizes[-1]
    lines: list[str] = []

    def say(text: str = "") -> None:
        print(text, flush=True)
        lines.append(text)

    say(f"Sync benchmark — {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}, "
        f"{os.cpu_count()} cores, Python {sys.version.split()[0]}, "
        f"{'quick' if args.quick else 'full'} mode, median of {repeats}")
    say()
    sim = start_sim(sizes, 0.0)
    try:
        results = {n: measure(sim, f"mooc-{n}", repeats) for n in sizes}
    finally:
        sim.close()
    lat_size = sizes[0] if args.quick else largest
    slow = start_sim([lat_size], 0.02)
    try:
        latency = measure(slow, f"mooc-{lat_size}", 1 if args.quick else 2)
    finally:
        slow.close()

    sim = start_sim([largest], 0.0)
    try:
        profiled = run_child("sync", sim, f"mooc-{largest}", runs=-2)["runs"]
    finally:
        sim.close()

    big = results[largest]
    say("| measurement | members | bare loop | RosterSync | ratio | target |")
    say("|---|---:|---:|---:|---:|---|")
    say(f"| first sync | {largest:,} | {big['bare']:.2f} s | {big['first']:.2f} s "
        f"(fetch {big['first_fetch']:.2f} + apply {big['first_apply']:.2f}) | "
        f"{big['first'] / big['bare']:.2f}× | ≤ 1.5× |")
    say(f"| re-sync, unchanged | {largest:,} | {big['bare']:.2f} s | {big['resync']:.2f} s | "
        f"{big['resync'] / big['bare']:.2f}× | ≤ 1.3× |")
    say(f"| first sync, +20 ms per page | {lat_size:,} | {latency['bare']:.2f} s | "
        f"{latency['first']:.2f} s | {latency['first'] / latency['bare']:.2f}× | ≤ 1.1× |")
    say()
    say("| members | peak RSS of a headless sync | per 1,000 members |")
    say("|---:|---:|---:|")
    for n in sizes:
        peak = results[n]["peak_mb"]
        say(f"| {n:,} | {peak:.0f} MB | {peak / n * 1000:.2f} MB |")
    say()
    say(f"Target: peak ≤ 250 MB at {largest:,} members, growing less than linearly.")
    say()
    report_profile(say, profiled, largest)
    if args.output:
        args.output.parent.mkdir(parents=True, exist_ok=True)
        args.output.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
