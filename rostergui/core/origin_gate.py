"""One gate per LTIAAS origin, shared by every client of a service that talks to it.

Several courses syncing at once share one LTIAAS account, and LTIAAS (or the LMS behind it)
limits that account, not a course. Left to themselves, N clients that each meet a ``429`` each
back off on their own while the other N-1 keep knocking, and a revoked API key fails N courses
one after another with the same message. The gate makes the origin's state shared:

* **At most ``per_origin`` requests in flight** to the origin, however many courses run; a
  request waits for a free place (cancellable, bounded by the caller's deadline).
* **Shared back-off.** A ``429`` (with its ``Retry-After``), or a ``5xx`` that follows another
  ``5xx``, pauses *every* request to the origin until the pause ends. A single ``5xx`` slows
  down only the request that met it (one failing course is not the whole origin's fault).
* **A refused API key stops the origin.** Once LTIAAS says the account's API key is invalid,
  every later request with that key fails at once with the same message, without asking
  LTIAAS again; :class:`~rostergui.core.sync_round.SyncRound` then does not start the origin's
  remaining courses. The key is remembered only as a digest, and only for a while, so new keys
  are tried at once and an old one is tried again later.

Every wait is bounded (:data:`MAX_PAUSE_SECONDS`, the caller's deadline) and ends within
:data:`SLICE_SECONDS` of a cancel.
"""

from __future__ import annotations

import hashlib
import logging
import threading
import time
from collections.abc import Callable

from rostergui.core import errors
from rostergui.core.limits import DEFAULT_PER_ORIGIN, duration
from rostergui.core.ltiaas_errors import ApiKeyRefusedError

log = logging.getLogger(__name__)

#: The longest pause one answer can impose on the whole origin: a ``Retry-After`` of an hour
#: fails the requests that cannot wait that long (with the rate-limit message) instead.
MAX_PAUSE_SECONDS = 90.0
#: How long a refused API key is refused without asking LTIAAS again.
REFUSAL_SECONDS = 120.0
#: How often a waiting request looks at its cancel flag.
SLICE_SECONDS = 0.25
#: Consecutive 5xx answers on an origin that make its back-off shared.
SHARED_5XX = 2


def key_digest(api_key: str) -> bytes:
    """What the gate remembers of an API key: never the key itself."""
    return hashlib.blake2b(api_key.encode(), digest_size=16).digest()


class OriginGate:
    """The shared state of one LTIAAS origin (thread-safe)."""

    def __init__(
        self,
        origin: str,
        per_origin: int = DEFAULT_PER_ORIGIN,
        *,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if per_origin < 1:
            raise ValueError("per_origin must be at least 1")
        self.origin = origin
        self.per_origin = per_origin
        self._clock = clock
        self._cond = threading.Condition()
        self._in_flight = 0
        self._peak = 0
        self._resume_at = 0.0
        self._server_errors = 0
        self._refused: dict[bytes, tuple[float, str]] = {}

    # --- reading -----------------------------------------------------------------------------

    @property
    def peak(self) -> int:
        """The most requests that were in flight at once (for tests and benchmarks)."""
        with self._cond:
            return self._peak

    def paused_for(self) -> float:
        """Seconds left of the shared pause (0 when none)."""
        with self._cond:
            return max(0.0, self._resume_at - self._clock())

    def refusal(self, digest: bytes | None = None) -> str | None:
        """Why the API key (any key, without ``digest``) was refused lately, or None."""
        with self._cond:
            now = self._clock()
            for key, (until, message) in list(self._refused.items()):
                if until <= now:
                    del self._refused[key]
                elif digest is None or key == digest:
                    return message
            return None

    # --- a request ---------------------------------------------------------------------------

    def enter(self, digest: bytes, cancel: threading.Event, until: float) -> None:
        """Wait for the shared pause to end and a free place, then take it (:meth:`leave`
        gives it back). Raises the refusal of this key, a cancel, or — when the pause or the
        queue would outlast ``until`` (a :func:`time.monotonic` time) — a rate-limit error."""
        with self._cond:
            while True:
                refused = self._refused.get(digest)
                now = self._clock()
                if refused is not None and refused[0] > now:
                    raise ApiKeyRefusedError(refused[1])
                if cancel.is_set():
                    raise errors.SyncCancelledError()
                paused = self._resume_at - now
                if paused <= 0 and self._in_flight < self.per_origin:
                    self._in_flight += 1
                    self._peak = max(self._peak, self._in_flight)
                    return
                if now + max(paused, 0.0) >= until:
                    raise errors.RateLimitedError(
                        f"LTIAAS at {self.origin} kept asking RosterSync to wait (the courses "
                        "on it share one account); nothing was changed — wait a few minutes "
                        "and sync again"
                    )
                self._cond.wait(min(SLICE_SECONDS, until - now))

    def leave(self) -> None:
        with self._cond:
            self._in_flight = max(0, self._in_flight - 1)
            self._cond.notify_all()

    def answered(self) -> None:
        """A request succeeded: the origin's run of server errors is over."""
        with self._cond:
            self._server_errors = 0

    def failed(self, error: errors.LtiaasError, delay: float) -> None:
        """A request failed with ``error`` and its client will wait ``delay`` seconds: make
        that the whole origin's pause when the error is the origin's, not the course's."""
        with self._cond:
            shared = isinstance(error, errors.RateLimitedError)
            if isinstance(error, errors.UpstreamError):
                self._server_errors += 1
                shared = self._server_errors >= SHARED_5XX
            if not shared or delay <= 0:
                return
            resume = self._clock() + min(delay, MAX_PAUSE_SECONDS)
            if resume > self._resume_at:
                self._resume_at = resume
                log.warning(
                    "LTIAAS at %s: every request waits %s (%s)",
                    self.origin,
                    duration(round(min(delay, MAX_PAUSE_SECONDS), 1)),
                    error.kind,
                )
            self._cond.notify_all()

    def refuse(self, digest: bytes, message: str) -> None:
        """LTIAAS refused this API key: refuse it here for :data:`REFUSAL_SECONDS`."""
        with self._cond:
            self._refused[digest] = (self._clock() + REFUSAL_SECONDS, message)
            self._cond.notify_all()
        log.error("LTIAAS at %s refused the API key; its other courses stop", self.origin)


class OriginGates:
    """The gates of one service, one per origin, made on first use (thread-safe)."""

    def __init__(self, per_origin: int = DEFAULT_PER_ORIGIN) -> None:
        if per_origin < 1:
            raise ValueError("per_origin must be at least 1")
        self.per_origin = per_origin
        self._lock = threading.Lock()
        self._gates: dict[str, OriginGate] = {}

    def gate(self, origin: str) -> OriginGate:
        with self._lock:
            gate = self._gates.get(origin)
            if gate is None:
                gate = self._gates[origin] = OriginGate(origin, self.per_origin)
            return gate

    def refusal(self, origin: str) -> str | None:
        """Why the origin's API key was refused lately, or None (no gate is made for it)."""
        with self._lock:
            gate = self._gates.get(origin)
        return gate.refusal() if gate is not None else None
