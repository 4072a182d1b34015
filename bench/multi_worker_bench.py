"""Several-machines benchmark: one ``rostergui sync --all`` process next to three sharing a round.

Three ``sync --all --stale-after 1h`` processes on one PostgreSQL database split a round through
the course leases: each course is claimed by one of them, the others find it busy or already
synced and move on. The round is latency-bound (the simulator, in its own process, waits on
every page as an LMS does), so three workers should take about a third of one worker's time
plus their start-up. Each way gets a fresh database with the same courses; the count of
courses synced comes from the sync history, and must be exactly the number of courses.

The three "machines" here share one machine's cores with the simulator, which real hosts would
not; small pages (25 members, 40 a course) keep the round bound by latency, not by CPU.

    python bench/multi_worker_bench.py                  # 60 courses, 100 ms a page (~5 min)
    python bench/multi_worker_bench.py --quick          # 6 courses, 5 ms a page: that it runs
    python bench/multi_worker_bench.py --db-url postgresql+psycopg://…/postgres

Without ``--db-url`` it starts a throw-away PostgreSQL server with scripts/pg-test-server.sh on
``--pg-port`` (default: a port free now, so it never meets a test suite's server) and stops it
at the end; without PostgreSQL's server programs installed it says so and exits with status 3.
"""

from __future__ import annotations

import argparse
import concurrent.futures
import dataclasses
import functools
import os
import resource
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(HERE))

from sync_bench import SimProcess, start_sim_with  # noqa: E402

TARGET = 0.40
#: Quick mode's course leases (``ROSTERGUI_SYNC_LEASE_SECONDS``), in seconds.
QUICK_LEASE_SECONDS = "1"
WORKERS = 3


def round_courses(count: int, members: int, cap: int) -> list[Any]:
    """``count`` courses of ``members`` each, ``cap`` a page at most (Canvas: 50)."""
    from rostergui.simulator.samples import mooc_course

    return [
        dataclasses.replace(
            mooc_course(count=members, slug=f"c{i:02d}"), context_id=f"c-{i}", max_limit=cap
        )
        for i in range(count)
    ]


#: The exit status when no PostgreSQL server can be started here (bench/run_all.py skips it).
NO_POSTGRES = 3


def postgres_installed() -> bool:
    """Whether scripts/pg-test-server.sh can start a server here (it looks in the same place)."""
    return any(Path("/usr/lib/postgresql").glob("*/bin/initdb"))


def free_port() -> str:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return str(sock.getsockname()[1])


def start_pg(port: str) -> str:
    out = subprocess.run(
        ["bash", str(ROOT / "scripts/pg-test-server.sh"), "start"],
        env={**os.environ, "ROSTERGUI_TEST_PG_PORT": port},
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    if "ROSTERGUI_TEST_PG_URL=" not in out:
        raise SystemExit(NO_POSTGRES)
    return out.strip().split("=", 1)[1]


def stop_pg(port: str) -> None:
    subprocess.run(
        ["bash", str(ROOT / "scripts/pg-test-server.sh"), "stop"],
        env={**os.environ, "ROSTERGUI_TEST_PG_PORT": port},
        check=False,
    )


def fresh_database(admin_url: str) -> str:
    from sqlalchemy import create_engine
    from sqlalchemy.engine import make_url

    name = f"rs_bench_{uuid.uuid4().hex[:10]}"
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
    admin.dispose()
    return make_url(admin_url).set(database=name).render_as_string(hide_password=False)


def drop_database(admin_url: str, url: str) -> None:
    from sqlalchemy import create_engine
    from sqlalchemy.engine import make_url

    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{make_url(url).database}" WITH (FORCE)')
    admin.dispose()


def add_courses(url: str, sim: SimProcess, data_dir: Path) -> None:
    """Every simulator course, added once."""
    from keyrings.alt.file import PlaintextKeyring

    from rostergui.core.secrets import SecretStore
    from rostergui.core.service import RosterService

    service = RosterService.open(
        data_directory=data_dir, db_url=url, secrets=SecretStore(PlaintextKeyring())
    )
    try:
        # The checks with LTIAAS eight at a time; the saves one by one (one keyring file).
        with concurrent.futures.ThreadPoolExecutor(8) as pool:
            checks = {
                slug: pool.submit(
                    service.check_connection, sim.base_url, sim.api_key, service_key=key
                )
                for slug, key in sim.keys.items()
            }
            for slug, key in sim.keys.items():
                service.add_course(
                    slug, sim.base_url, sim.api_key, service_key=key, check=checks[slug].result()
                )
    finally:
        service.close()


def run_round(url: str, workers: int, env: dict[str, str]) -> tuple[float, float]:
    """``workers`` processes of ``sync --all`` at once: seconds until the last has ended, and
    the CPU seconds they used together."""
    argv = [sys.executable, "-m", "rostergui", "sync", "--all", "--stale-after", "1h", "--json"]
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    processes = [
        subprocess.Popen(
            argv,
            env={**env, "ROSTERGUI_DB_URL": url},
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(workers)
    ]
    for process in processes:
        _out, err = process.communicate(timeout=3600)
        if process.returncode != 0:
            raise SystemExit(f"a worker failed ({process.returncode}): {err[-2000:]}")
    seconds = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime
    return seconds, cpu


def synced_counts(url: str) -> tuple[int, int]:
    """Courses with a successful run, and successful runs in all (from the sync history)."""
    from sqlalchemy import create_engine, func, select

    from rostergui.core.states import Outcome
    from rostergui.core.store.schema import sync_runs

    engine = create_engine(url)
    with engine.connect() as conn:
        ok = sync_runs.c.outcome == Outcome.OK
        courses = conn.execute(
            select(func.count(func.distinct(sync_runs.c.context_pk))).where(ok)
        ).scalar_one()
        runs = conn.execute(select(func.count()).select_from(sync_runs).where(ok)).scalar_one()
    engine.dispose()
    return int(courses), int(runs)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="6 small courses, 5 ms a page")
    parser.add_argument("--courses", type=int, help="default 60 (quick: 6)")
    parser.add_argument("--members", type=int, help="per course (default 1,000; quick: 100)")
    parser.add_argument("--page-cap", type=int, default=25, help="the LMS's largest page")
    parser.add_argument("--repeats", type=int, default=2, help="alternating runs (quick: 1)")
    parser.add_argument("--latency-ms", type=float, help="per page (default 100, quick: 5)")
    parser.add_argument("--db-url", help="a PostgreSQL server's admin URL (…/postgres)")
    parser.add_argument("--output", type=Path, help="write the Markdown table here")
    parser.add_argument("--pg-port", help="the throw-away server's port (default: a free one)")
    args = parser.parse_args()
    count = args.courses or (6 if args.quick else 60)
    members = args.members or (100 if args.quick else 1000)
    repeats = 1 if args.quick else max(1, args.repeats)
    latency_ms = args.latency_ms if args.latency_ms is not None else (5 if args.quick else 100)
    if not args.db_url and not postgres_installed():
        print("PostgreSQL's server programs are not installed (/usr/lib/postgresql/*/bin): "
              "give --db-url, or install them to run this benchmark", file=sys.stderr)
        return NO_POSTGRES
    port = args.pg_port or free_port()
    admin_url = args.db_url or start_pg(port)
    lines: list[str] = []

    def say(text: str = "") -> None:
        print(text, flush=True)
        lines.append(text)

    pages = -(-members // args.page_cap)
    say(
        f"Several-machines benchmark — {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}, "
        f"{os.cpu_count()} cores, Python {sys.version.split()[0]}, PostgreSQL, {count} courses "
        f"× {members:,} members ({pages} pages of {args.page_cap}), {latency_ms:g} ms a page, "
        f"each process `sync --all --stale-after 1h` with the default --jobs, median of "
        f"{repeats}" + (f", leases of {QUICK_LEASE_SECONDS} s" if args.quick else "")
    )
    say()
    sim = start_sim_with(
        functools.partial(round_courses, count, members, args.page_cap), latency_ms / 1000
    )
    figures: dict[int, tuple[float, int, int]] = {}
    times: dict[int, list[float]] = {1: [], WORKERS: []}
    cpus: dict[int, list[float]] = {1: [], WORKERS: []}
    strays: list[str] = []  # runs that did not sync every course exactly once
    try:
        with tempfile.TemporaryDirectory() as tmp:
            env = {
                **os.environ,
                "ROSTERGUI_DATA_DIR": str(Path(tmp) / "data"),
                "PYTHON_KEYRING_BACKEND": "keyrings.alt.file.PlaintextKeyring",
                "XDG_DATA_HOME": str(Path(tmp) / "xdg"),
            }
            if args.quick:
                # A course another worker holds is asked about again once the lease it saw
                # could have run out (at most every 15 s): with short leases the quick round
                # takes seconds, not the 15 s wait.
                env["ROSTERGUI_SYNC_LEASE_SECONDS"] = QUICK_LEASE_SECONDS
            os.environ.update({k: env[k] for k in ("PYTHON_KEYRING_BACKEND", "XDG_DATA_HOME")})
            # Alternating, each on a fresh database: a machine shared with other work slows
            # both ways alike.
            for _repeat in range(repeats):
                for workers in (1, WORKERS):
                    url = fresh_database(admin_url)
                    try:
                        add_courses(url, sim, Path(tmp) / "data")
                        seconds, cpu = run_round(url, workers, env)
                        times[workers].append(seconds)
                        cpus[workers].append(cpu)
                        courses, runs = synced_counts(url)
                    finally:
                        drop_database(admin_url, url)
                    if not courses == runs == count:
                        strays.append(f"{workers} worker(s): {courses} courses, {runs} runs")
                    figures[workers] = (statistics.median(times[workers]), courses, runs)
    finally:
        sim.close()
        if not args.db_url:
            stop_pg(port)

    one, three = figures[1][0], figures[WORKERS][0]
    ratio = three / one
    exact = not strays
    say("| workers | round | workers' CPU | courses synced | successful runs | target |")
    say("|---:|---:|---:|---:|---:|---|")
    for workers, (seconds, courses, runs) in figures.items():
        target = f"exactly {count}" if workers == 1 else f"≤ {TARGET:.2f}× one worker"
        cpu = statistics.median(cpus[workers])
        say(f"| {workers} | {seconds:.1f} s | {cpu:.1f} s | {courses} | {runs} | {target} |")
    say()
    say(
        f"Three workers took {ratio:.2f}× one worker's time (target ≤ {TARGET:.2f}×: "
        f"{'met' if ratio <= TARGET else 'MISSED'}); every course synced exactly once each "
        f"way, in every run: {'yes' if exact else 'NO — ' + '; '.join(strays)}. Times include "
        "each process's start-up; the workers' CPU is their user and system time together "
        f"(the machine's {os.cpu_count()} cores also run the simulator and PostgreSQL)."
    )
    if args.output:
        args.output.parent.mkdir(parents=True, exist_ok=True)
        args.output.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return 0 if exact and (ratio <= TARGET or args.quick) else 1


if __name__ == "__main__":
    raise SystemExit(main())
