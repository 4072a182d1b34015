"""The parts hostile answers are built from: what an attack sees, what it sends, and helpers
that rewrite a roster page as JSON text.

An attack's builder gets a :class:`Context` (the request, and the answer the simulator was
about to send) and returns an :class:`Answer`. Pages are rewritten as text rather than
re-encoded, so a builder can put in what no JSON encoder would write: repeated keys, lone
surrogates, ``NaN``. The builders themselves are in :mod:`.hostile_rosters` and
:mod:`.hostile_bodies`; :mod:`.attacks` names them.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

from rostergui.simulator.members import LEARNER, json_text
from rostergui.simulator.model import SimCourse

if TYPE_CHECKING:
    from rostergui.simulator.attacks import Attack

JSON_TYPE = "application/json; charset=utf-8"

Category = Literal["paging", "member", "body", "size", "time", "secret"]
Trickle = Literal["body", "headers"]


@dataclass(slots=True)
class Answer:
    """What an attack sends. ``stream`` (with ``length``) replaces ``body`` for answers that
    are generated while they are written; ``hang`` sends nothing at all."""

    status: int = 200
    body: bytes = b""
    content_type: str | None = JSON_TYPE
    headers: tuple[tuple[str, str], ...] = ()
    stream: Callable[[], Iterator[bytes]] | None = None
    length: int = 0
    trickle: Trickle | None = None
    hang: bool = False

    @property
    def content_length(self) -> int:
        return self.length if self.stream is not None else len(self.body)


@dataclass(slots=True)
class Context:
    """What an attack sees of the request and of the answer it is about to spoil."""

    attack: Attack
    course: SimCourse
    path: str
    #: The answer's body as the simulator would send it (a roster page or an ID token).
    body: bytes
    #: The Authorization header as received, and the simulator's API key.
    auth: str
    api_key: str
    #: The link to the first page of this walk (roster requests only).
    first_page_url: str
    #: A number unique to this answer, for links that never repeat.
    serial: int

    @property
    def snake(self) -> bool:
        return self.course.field_style == "snake"

    @property
    def id_key(self) -> str:
        return "user_id" if self.snake else "userId"

    def page(self) -> dict[str, Any]:
        value = json.loads(self.body)
        return value if isinstance(value, dict) else {}


Builder = Callable[[Context], Answer]


@dataclass(frozen=True, slots=True)
class AttackSpec:
    name: str
    category: Category
    summary: str
    build: Builder
    #: Only meaningful on a roster page: an ID-token request passes untouched.
    roster_only: bool = True
    #: Default of ``Attack.size`` (0 where the attack has no size).
    size: int = 0


def ascii_json(value: object) -> str:
    """JSON with every non-ASCII character escaped: keeps lone surrogates and NaN writable."""
    return json.dumps(value, separators=(",", ":"), ensure_ascii=True)


def render_page(
    page: dict[str, Any],
    *,
    members: str | None = None,
    next_json: str | None = None,
    drop: tuple[str, ...] = (),
    extra: str = "",
) -> bytes:
    """A page as JSON text, with raw JSON for ``members`` and ``next`` where given."""
    parts: list[str] = []
    for key, value in page.items():
        if key in drop:
            continue
        if key == "members" and members is not None:
            text = members
        elif key == "next" and next_json is not None:
            text = next_json
        else:
            text = json_text(value)
        parts.append(f"{json_text(key)}:{text}")
    if next_json is not None and "next" not in page and "next" not in drop:
        parts.append(f'"next":{next_json}')
    return ("{" + ",".join(parts) + extra + "}").encode("utf-8")


def json_array(texts: list[str]) -> str:
    return "[" + ",".join(texts) + "]"


def page_members(page: dict[str, Any]) -> list[dict[str, Any]]:
    members = page.get("members")
    return [m for m in members if isinstance(m, dict)] if isinstance(members, list) else []


def member_texts(page: dict[str, Any]) -> list[str]:
    return [json_text(m) for m in page_members(page)]


def hostile_member(
    ctx: Context,
    uid_json: str,
    *,
    name: str,
    roles: tuple[str, ...] = (LEARNER,),
    given: str | None = None,
    family: str | None = None,
) -> str:
    """One member as raw JSON, in the course's field style, with the id given as JSON text."""
    given_key, family_key = (
        ("given_name", "family_name") if ctx.snake else ("givenName", "familyName")
    )
    parts = [
        f'"{ctx.id_key}":{uid_json}',
        f'"roles":{ascii_json(list(roles))}',
        '"status":"Active"',
        f'"name":{ascii_json(name)}',
    ]
    if given is not None:
        parts.append(f'"{given_key}":{ascii_json(given)}')
    if family is not None:
        parts.append(f'"{family_key}":{ascii_json(family)}')
    return "{" + ",".join(parts) + "}"


def json_answer(body: bytes, *, status: int = 200) -> Answer:
    return Answer(status=status, body=body)


def with_members(ctx: Context, extra: list[str]) -> Answer:
    page = ctx.page()
    return json_answer(render_page(page, members=json_array(member_texts(page) + extra)))


def usable_link(ctx: Context, page: dict[str, Any]) -> str:
    """The page's real ``next`` if it has one, else its own link (a usable LMS URL)."""
    for key in ("next", "id"):
        value = page.get(key)
        if isinstance(value, str) and value:
            return value
    return ctx.first_page_url


def with_param(url: str, name: str, value: str) -> str:
    return f"{url}{'&' if '?' in url else '?'}{name}={value}"
