"""How many requests the simulated LTIAAS origin takes at once.

A real LTIAAS deployment (or the LMS behind it) refuses a client that keeps too many requests
open: it answers ``429 Too Many Requests`` with ``Retry-After`` at once, without asking the
LMS. :class:`ConcurrencyGate` counts the requests in flight on one simulator, which is one
LTIAAS origin; the simulator asks it before anything else about an ``/api`` request and
answers 429 when it says no.

A request is in flight from its arrival until its answer starts to go out (or its connection
is dropped), so a client that never has more than the limit open is never refused, even when
its next request arrives before the server thread has finished writing the previous answer.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class GateCounts:
    """What the gate has seen since the simulator was made (or :meth:`ConcurrencyGate.reset`)."""

    in_flight: int
    peak: int
    refused: int


class ConcurrencyGate:
    """A counter of requests in flight with a limit given per request (it may change while
    the simulator runs). Thread-safe."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._in_flight = 0
        self._peak = 0
        self._refused = 0

    def enter(self, limit: int | None) -> bool:
        """Admit one request, unless ``limit`` are in flight already (``None``: no limit)."""
        with self._lock:
            if limit is not None and self._in_flight >= limit:
                self._refused += 1
                return False
            self._in_flight += 1
            self._peak = max(self._peak, self._in_flight)
            return True

    def leave(self) -> None:
        """One admitted request is answered."""
        with self._lock:
            self._in_flight -= 1

    def counts(self) -> GateCounts:
        with self._lock:
            return GateCounts(self._in_flight, self._peak, self._refused)

    def reset(self) -> None:
        """Forget the peak and the refusals (the requests in flight stay counted)."""
        with self._lock:
            self._peak = self._in_flight
            self._refused = 0
