"""How much and how long an LTIAAS server may take, and how often a request is retried.

The bounds are plain values, apart from the client that enforces them, so the tests, the
benchmarks and the simulator's attacks can name and tighten them. :class:`PagingCycle` is
the one bound that needs state: it notices a roster whose ``next`` links go round in a loop.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Limits:
    """How much and how long a server may take. Each bound gives an error naming it.

    A page of 1,000 members is about 0.5 MB and arrives in well under a second; these limits
    are far above what a working LMS needs and far below what would hurt the machine.
    """

    #: One answer, as sent and unpacked: room for a 15,000-member roster sent as one page
    #: (some LMSes ignore ``limit``), while a few pages in flight stay well under a gigabyte
    #: even when parsed into the smallest objects JSON can express.
    page_bytes: int = 8 * 1024 * 1024
    #: What is read of an error answer (to quote it).
    error_bytes: int = 64 * 1024
    #: One request, from connecting to its last byte, however the server trickles.
    request_seconds: float = 120.0
    #: One roster, from its first page to its last.
    roster_seconds: float = 4 * 3600.0
    #: Pages and members in one roster.
    pages: int = 100_000
    members: int = 2_000_000


#: The ``limit`` a sync asks the LMS for: large pages, because each page costs a round trip
#: through LTIAAS to the LMS (100–500 ms) and the next page is known only when the last one
#: has arrived. An LMS that caps ``limit`` (Canvas: 50) simply sends smaller pages; a short
#: page never ends a roster, only a missing ``next`` does. 1,000 members are about 0.5 MB.
DEFAULT_PAGE_SIZE = 1000
#: The page sizes that may be asked for: 10,000 members are about 5 MB, within ``page_bytes``.
MIN_PAGE_SIZE, MAX_PAGE_SIZE = 1, 10_000


def checked_page_size(size: int | None) -> int | None:
    """``size`` if it may be asked for (``None``: no ``limit``, the LMS's own default)."""
    if size is None:
        return None
    if isinstance(size, bool) or not isinstance(size, int):
        raise TypeError(f"page_size must be a whole number, not {type(size).__name__}")
    if not MIN_PAGE_SIZE <= size <= MAX_PAGE_SIZE:
        raise ValueError(
            f"page_size must be between {MIN_PAGE_SIZE:,} and {MAX_PAGE_SIZE:,}, not {size:,}"
        )
    return size


#: Courses synced at once by a round ("Sync all", ``sync --all``): the LMS's latency, not this
#: machine, bounds one course's sync, so a few at once divide the round's time.
DEFAULT_JOBS = 4
#: The most courses at once. Each running sync holds one database connection for its whole
#: fetch (its staging table lives there) and briefly a second one, and the database pool
#: keeps 15; beyond 12 the courses would wait for connections rather than for the LMS.
MAX_JOBS = 12
#: Requests (and so courses) at once per LTIAAS origin: the courses on one origin share one
#: LTIAAS account, which LTIAAS and the LMSes behind it limit as a whole.
DEFAULT_PER_ORIGIN = 4


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    attempts: int = 5
    total_seconds: float = 90.0
    base_delay: float = 0.5
    max_delay: float = 20.0


class PagingCycle:
    """Notices a paging loop in constant memory (Brent's algorithm over link digests): a
    roster of any length keeps two digests and two counters, not every link it saw."""

    def __init__(self) -> None:
        self._mark: bytes | None = None
        self._power = self._length = 1

    def repeats(self, link: str) -> bool:
        digest = hashlib.blake2b(link.encode(), digest_size=16).digest()
        if digest == self._mark:
            return True
        if self._power == self._length:
            self._mark, self._power, self._length = digest, self._power * 2, 0
        self._length += 1
        return False


def duration(seconds: float) -> str:
    if seconds >= 3600:
        hours = seconds / 3600
        return f"{hours:g} hour" + ("s" if hours != 1 else "")
    if seconds >= 60:
        return f"{seconds / 60:g} min"
    return f"{seconds:g} s"
