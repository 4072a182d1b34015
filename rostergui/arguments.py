"""``argparse`` types and options shared by ``rostergui`` and ``python -m rostergui.simulator``.

It imports nothing but ``argparse`` and ``datetime``: the command line's parser builds the
``simulator`` command's options from here without importing the simulator.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable
from datetime import timedelta


def whole_number(low: int, high: int) -> Callable[[str], int]:
    """``argparse`` type: a whole number from ``low`` to ``high``, else a usage error."""

    def number(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"not a whole number: {text!r}") from None
        if not low <= value <= high:
            raise argparse.ArgumentTypeError(f"must be from {low:,} to {high:,}, not {value:,}")
        return value

    return number


#: The units of a ``--stale-after`` duration, in seconds.
_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86_400}
#: The longest ``--stale-after``: a year.
_LONGEST = 366 * 86_400


def stale_after(text: str) -> timedelta:
    """``argparse`` type: how long ago a course's last sync may be before it is synced again,
    a whole number and a unit: ``45s``, ``30m``, ``6h``, ``2d`` (at most a year)."""
    cleaned = text.strip().lower()
    unit = _UNITS.get(cleaned[-1:]) if cleaned else None
    number = cleaned[:-1].strip()
    if unit is None or not number.isascii() or not number.isdigit():
        raise argparse.ArgumentTypeError(
            f"not a duration: {text!r}; use a whole number and a unit, e.g. 30m, 6h or 2d"
        )
    seconds = int(number) * unit
    if not 1 <= seconds <= _LONGEST:
        raise argparse.ArgumentTypeError("must be from 1s to 366d")
    return timedelta(seconds=seconds)


def milliseconds(text: str) -> float:
    """``argparse`` type: a delay from 0 to 10 minutes, in milliseconds."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number: {text!r}") from None
    if not 0 <= value <= 600_000:  # also refuses nan and inf
        raise argparse.ArgumentTypeError("must be from 0 to 600000")
    return value


def add_load_options(parser: argparse.ArgumentParser) -> None:
    """The options that make the simulator slow or busy, shared by ``rostergui simulator`` and
    ``python -m rostergui.simulator``."""
    parser.add_argument(
        "--latency-ms",
        type=milliseconds,
        default=0.0,
        metavar="MS",
        help="delay added to every request, as an LMS takes its time for each page",
    )
    parser.add_argument(
        "--max-in-flight",
        type=whole_number(1, 1_000_000),
        default=None,
        metavar="N",
        help="answer 429 with Retry-After to requests beyond N at once (default: no limit)",
    )
    parser.add_argument(
        "--retry-after",
        type=whole_number(0, 3600),
        default=1,
        metavar="SECONDS",
        help="the Retry-After of those 429 answers (default: 1)",
    )
