"""Foreground entry point: run the simulator and print the demo credentials.

``rostergui simulator`` calls :func:`serve`; ``python -m rostergui.simulator`` does too, and can
also start it hostile (``--attack NAME[:course[:page]]``, see :mod:`rostergui.simulator.attacks`).
"""

from __future__ import annotations

import argparse
import math
import signal
import sys
import threading
from collections.abc import Iterable, Sequence
from types import FrameType
from typing import TextIO, TypedDict

from rostergui.arguments import add_load_options
from rostergui.simulator.attacks import ATTACKS, Attack, parse_attack
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
    if sim.max_in_flight is not None:
        print(
            f"  Limit    : {sim.max_in_flight} requests at once, then 429 with Retry-After: "
            f"{math.ceil(sim.busy_retry_after)}",
            file=out,
        )
    attacks = [fault for fault in sim.faults if isinstance(fault, Attack)]
    if attacks:
        print(f"  Attacks  : {', '.join(a.describe() for a in attacks)}", file=out)
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
    attacks: Iterable[Attack] = (),
    max_in_flight: int | None = None,
    busy_retry_after: float = 1.0,
) -> int:
    """Run the simulator until Ctrl+C or SIGTERM; returns the process exit code.

    ``attacks`` are injected before the first request (see :func:`parse_attack`);
    ``max_in_flight`` and ``busy_retry_after`` are :class:`Simulator`'s.
    """
    sim = Simulator(
        seed=seed,
        latency=latency,
        churn=churn,
        max_in_flight=max_in_flight,
        busy_retry_after=busy_retry_after,
    )
    try:
        for attack in attacks:
            sim.inject(attack)
    except KeyError as exc:
        print(f"Cannot inject the attack: {exc.args[0]}", file=out, flush=True)
        return 1
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


def attack_option(text: str) -> Attack:
    """``argparse`` type for ``--attack``: a usage error rather than a traceback."""
    try:
        return parse_attack(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


class LoadOptions(TypedDict):
    latency: float
    max_in_flight: int | None
    busy_retry_after: float


def load_options(args: argparse.Namespace) -> LoadOptions:
    """:func:`serve`'s keyword arguments for the options of :func:`add_load_options`."""
    return LoadOptions(
        latency=args.latency_ms / 1000,
        max_in_flight=args.max_in_flight,
        busy_retry_after=args.retry_after,
    )


def list_attacks(out: TextIO) -> None:
    """One line per attack: name, category and what it sends."""
    width = max(len(name) for name in ATTACKS)
    for spec in ATTACKS.values():
        print(f"{spec.name:<{width}}  {spec.category:<6}  {spec.summary}", file=out)


def main(argv: Sequence[str] | None = None, out: TextIO = sys.stdout) -> int:
    """``python -m rostergui.simulator``: the simulator, optionally hostile."""
    parser = argparse.ArgumentParser(
        prog="python -m rostergui.simulator",
        description="Run the LTIAAS-compatible simulator, optionally with attacks.",
    )
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8765)
    add_load_options(parser)
    parser.add_argument("--churn", action="store_true", help="change rosters a little per sync")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument(
        "--attack",
        action="append",
        default=[],
        type=attack_option,
        metavar="NAME[:COURSE[:PAGE]][,PARAM=VALUE…]",
        help="answer hostilely (repeatable); params: times, interval, duration, size",
    )
    parser.add_argument("--list-attacks", action="store_true", help="list the attacks and exit")
    args = parser.parse_args(argv)
    if args.list_attacks:
        list_attacks(out)
        return 0
    return serve(
        args.host,
        args.port,
        churn=args.churn,
        seed=args.seed,
        out=out,
        attacks=args.attack,
        **load_options(args),
    )
