"""The simulated LMS side of a course: its settings and quirks, and the faults to inject.

A :class:`SimCourse` ties a :class:`~rostergui.simulator.roster.Roster` to how its LMS pages
and spells members; :class:`Fault` is a failure a test asks for, and :class:`RequestRecord`
what the simulator saw. Members are in :mod:`.members`, the roster itself in :mod:`.roster`.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from typing import Literal

from rostergui.simulator.members import Member
from rostergui.simulator.roster import Roster

FieldStyle = Literal["camel", "snake"]
FaultKind = Literal[
    "rate_limit", "server_error", "malformed_json", "bad_shape", "slow", "disconnect"
]
FAULT_KINDS: frozenset[str] = frozenset(
    {"rate_limit", "server_error", "malformed_json", "bad_shape", "slow", "disconnect"}
)


def derive_secret(seed: int, slug: str, purpose: str, length: int = 20) -> str:
    """Deterministic hex string, so demo keys stay the same from run to run."""
    digest = hashlib.sha256(f"{seed}:{slug}:{purpose}".encode()).hexdigest()
    return digest[:length]


@dataclass(frozen=True, slots=True)
class PagingStyle:
    """How an LMS encodes page state in its ``next`` URL.

    ``page``: page number + page size (Canvas); ``offset``: start index + page
    size (Moodle, Blackboard, D2L); ``cursor``: one opaque token (Open edX).
    """

    kind: Literal["page", "offset", "cursor"]
    start_param: str = "page"
    size_param: str = "per_page"


@dataclass(eq=False)
class SimCourse:
    """One course on a simulated LMS, reachable through its service key or ltik."""

    slug: str
    title: str
    label: str
    context_id: str
    platform_id: str
    platform_name: str
    product: str
    lms_origin: str
    service_key: str
    ltik: str
    resource_link_id: str
    roster: Roster
    launch_user: Member
    nrps_path: str = "/nrps/memberships"
    paging: PagingStyle = field(default_factory=lambda: PagingStyle("page"))
    nrps_available: bool = True
    field_style: FieldStyle = "camel"
    default_limit: int = 10
    max_limit: int = 50
    ignores_limit: bool = False
    fixed_page_size: int = 37
    duplicate_across_pages: bool = False
    numeric_user_ids: bool = False
    send_status: bool = True
    resource_link_title: str = "Class roster"
    client_id: str = "10000000000001"
    deployment_id: str = "1:deployment"
    platform_version: str = "1.0"
    locale: str = "en"

    def page_size(self, limit: int | None) -> int:
        """Members per page for a requested ``limit``, honouring LMS quirks: ``default_limit``
        without one, at most ``max_limit`` (Canvas caps at 50), or always ``fixed_page_size``
        for an LMS that ignores ``limit``."""
        if self.ignores_limit:
            return self.fixed_page_size
        return max(1, min(limit or self.default_limit, self.max_limit))

    def largest_page(self) -> int:
        """The most members this course's LMS puts on one page."""
        return self.fixed_page_size if self.ignores_limit else max(1, self.max_limit)


@dataclass(frozen=True, slots=True)
class Fault:
    """A failure to inject into matching /api/memberships or /api/idtoken requests.

    ``page`` targets the n-th page of a roster walk (1 = the call without
    ``url``); ``times=None`` keeps the fault until ``clear_faults``.
    """

    kind: FaultKind
    course: str | None = None
    page: int | None = None
    times: int | None = 1
    retry_after: float = 1.0
    status: int = 503
    delay: float = 5.0
    external: bool = True

    def __post_init__(self) -> None:
        if self.kind not in FAULT_KINDS:
            raise ValueError(f"unknown fault kind {self.kind!r}")
        if self.times is not None and self.times < 1:
            raise ValueError("times must be None or at least 1")
        if self.page is not None and self.page < 1:
            raise ValueError("page numbers start at 1")
        if self.retry_after < 0 or self.delay < 0:
            raise ValueError("retry_after and delay must not be negative")
        if not 400 <= self.status <= 599:
            raise ValueError("status must be an HTTP error status")


@dataclass(frozen=True, slots=True)
class RequestRecord:
    """What the simulator saw and answered, for assertions in tests.

    ``status`` is 0 when the connection was dropped without a response;
    ``course`` is the slug the credentials resolved to, ``page`` the walk page, ``attack`` the
    name of the attack that answered, ``answered_at`` the :func:`time.monotonic` time the
    answer started to go out (to tell which requests waited for a shared back-off).
    """

    method: str
    path: str
    query: dict[str, str]
    auth_scheme: str | None
    status: int
    course: str | None = None
    page: int | None = None
    attack: str | None = None
    answered_at: float = 0.0
