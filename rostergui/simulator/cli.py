"""Foreground entry point: run the simulator and print the demo credentials."""

from __future__ import annotations

import signal
import sys
import threading
from types import FrameType
from typing import TextIO

from rostergui.simulator.server import Simulator


def _clip(text: str, width: int) -> str:
    text = " ".join(text.split())
    return text if len(text) <= width else text[: width - 1] + "…"


def describe(sim: Simulator, out: TextIO) -> None:
    """Print the base URL, API key and per-course credentials as a table.

    These are fake demo secrets, printed so they can be pasted into RosterSync.
    """
    print("LTIAAS simulator", file=out)
    print(f"  Base URL : {sim.base_url}", file=out)
    print(f"  API key  : {sim.api_key}", file=out)
    churn = "on" if sim.churn else "off"
    print(f"  Latency  : {sim.latency:g} s    Churn: {churn}    Seed: {sim.seed}", file=out)
    print(file=out)
    rows = [("SLUG", "TITLE", "MEMBERS", "SERVICE KEY", "LTIK")]
    for course in sim.courses.values():
        members = str(len(course.roster)) if course.nrps_available else "no NRPS"
        rows.append(
            (course.slug, _clip(course.title, 40), members, course.service_key, course.ltik)
        )
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    for row in rows:
        cells = [
            cell.rjust(widths[i]) if i == 2 else cell.ljust(widths[i]) for i, cell in enumerate(row)
        ]
        print("  " + "  ".join(cells).rstrip(), file=out)
    print(file=out)
    print("Press Ctrl+C to stop.", file=out, flush=True)


def serve(
    host: str = "127.0.0.1",
    port: int = 0,
    *,
    latency: float = 0.0,
    churn: bool = False,
    seed: int = 7,
    out: TextIO = sys.stdout,
) -> int:
    """Run the simulator until Ctrl+C or SIGTERM; returns the process exit code."""
    sim = Simulator(seed=seed, latency=latency, churn=churn)
    try:
        sim.start(host, port)
    except OSError as exc:
        print(f"Cannot listen on {host}:{port}: {exc}", file=out, flush=True)
        return 1
    stopping = threading.Event()
    previous = None
    in_main = threading.current_thread() is threading.main_thread()

    def on_sigterm(signum: int, frame: FrameType | None) -> None:
        stopping.set()

    if in_main:
        previous = signal.signal(signal.SIGTERM, on_sigterm)
    try:
        describe(sim, out)
        while not stopping.wait(0.5):
            pass
    except KeyboardInterrupt:
        pass
    finally:
        if in_main:
            signal.signal(signal.SIGTERM, previous)
        sim.stop()
    print("Simulator stopped.", file=out, flush=True)
    return 0
