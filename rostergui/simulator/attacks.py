"""Hostile answers on demand: what a broken LMS, a confused proxy or a malicious server sends.

An :class:`Attack` is queued with ``Simulator.inject`` exactly like a
:class:`~rostergui.simulator.model.Fault` and is matched the same way (``course``, ``page``,
``times``), but it *answers* the request: the simulator first builds the answer it would
normally give, and the attack rewrites it or replaces it. Every attack has a name (see
:data:`ATTACKS` and :data:`ATTACK_NAMES`), so tests can be parametrised over them and
``python -m rostergui.simulator --attack NAME[:course[:page]]`` can start a hostile server.

Unlike a fault, an attack stays until ``clear_faults`` unless ``times`` is given: a hostile
server stays hostile, retries included.

This module names the attacks and reads them from the command line; they are built in
:mod:`.hostile_rosters` (paging, member) and :mod:`.hostile_bodies` (body, size, time,
secret) from the parts in :mod:`.attack_kit`. The categories:

* ``paging``: a ``next`` that is present but unusable, a missing or wrong ``members``, endless
  paging with fresh huge links, and paging loops.
* ``member``: hostile member data: NUL, lone surrogates and control characters, float, NaN,
  boolean, object and list ids, duplicates, over-long ids, an unknown status.
* ``body``: answers that are not quite JSON, or JSON that is not quite an answer: repeated keys,
  a BOM, UTF-16, deep nesting, NaN tokens, truncation, HTML, a wrong Content-Type.
* ``size``: a gzip bomb and a huge body, both generated while they are sent.
* ``time``: a body or headers trickled a byte at a time, and a server that never answers.
* ``secret``: error bodies that echo the request's credentials back.

Everything that waits is bounded: by ``Attack.duration`` and by the simulator stopping.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from rostergui.simulator import hostile_bodies, hostile_rosters
from rostergui.simulator.attack_kit import AttackSpec


@dataclass(frozen=True, slots=True)
class Attack:
    """A hostile answer to inject into matching /api/memberships or /api/idtoken requests.

    ``page`` targets the n-th page of a roster walk (1 = the call without ``url``), ``course``
    a course slug; ``times=None`` (the default) keeps the attack until ``clear_faults``.
    ``interval`` is the pause between trickled bytes and ``duration`` the longest any attack
    waits or trickles before it closes the connection (seconds). ``size`` overrides the
    attack's size: characters, bytes or depth, see :data:`ATTACKS`.
    """

    name: str
    course: str | None = None
    page: int | None = None
    times: int | None = None
    interval: float = 1.0
    duration: float = 60.0
    size: int | None = None

    def __post_init__(self) -> None:
        if self.name not in ATTACKS:
            raise ValueError(f"unknown attack {self.name!r}; see ATTACK_NAMES")
        if self.times is not None and self.times < 1:
            raise ValueError("times must be None or at least 1")
        if self.page is not None and self.page < 1:
            raise ValueError("page numbers start at 1")
        if not self.interval > 0 or not self.duration > 0:
            raise ValueError("interval and duration must be positive")
        if self.size is not None and self.size < 1:
            raise ValueError("size must be positive")

    @property
    def spec(self) -> AttackSpec:
        return ATTACKS[self.name]

    @property
    def roster_only(self) -> bool:
        """Whether it rewrites a roster page, so it leaves /api/idtoken alone."""
        return self.spec.roster_only

    def sized(self) -> int:
        """The size this attack uses: the one given, or the attack's default."""
        return self.size if self.size is not None else self.spec.size

    def describe(self) -> str:
        """``name:course:page`` as ``parse_attack`` reads it."""
        page = "" if self.page is None else str(self.page)
        return f"{self.name}:{self.course or ''}:{page}".rstrip(":")


#: The attacks in a stable order: the roster's (paging, member data), then the body's
#: (body-level garbage, size, time, secrets).
_SPECS = (*hostile_rosters.SPECS, *hostile_bodies.SPECS)

#: Every attack by name, in a stable order.
ATTACKS: dict[str, AttackSpec] = {spec.name: spec for spec in _SPECS}
ATTACK_NAMES: tuple[str, ...] = tuple(ATTACKS)

_PARAMS = ("times", "interval", "duration", "size")


def parse_attack(text: str) -> Attack:
    """Read ``NAME[:course[:page]][,param=value…]`` (params: times, interval, duration, size).

    An empty or ``*`` course means any course; ``times=forever`` is the default.
    """
    spec, *params = text.strip().split(",")
    name, _, rest = spec.partition(":")
    course, _, page = rest.partition(":")
    values: dict[str, Any] = {}
    for param in params:
        key, sep, value = param.partition("=")
        key = key.strip()
        if not sep or key not in _PARAMS:
            raise ValueError(f"unknown attack parameter {param!r}; use {', '.join(_PARAMS)}")
        value = value.strip()
        try:
            if key == "times":
                values[key] = None if value in ("", "forever", "none") else int(value)
            elif key == "size":
                values[key] = int(value)
            else:
                values[key] = float(value)
        except ValueError:
            raise ValueError(f"attack parameter {key} needs a number, not {value!r}") from None
    try:
        number = int(page) if page.strip() else None
    except ValueError:
        raise ValueError(f"attack page must be a number, not {page!r}") from None
    course = course.strip()
    return Attack(
        name.strip(), course=None if course in ("", "*") else course, page=number, **values
    )
