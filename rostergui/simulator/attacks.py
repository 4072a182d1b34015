"""Hostile answers on demand: what a broken LMS, a confused proxy or a malicious server sends.

An :class:`Attack` is queued with ``Simulator.inject`` exactly like a
:class:`~rostergui.simulator.model.Fault` and is matched the same way (``course``, ``page``,
``times``), but it *answers* the request: the simulator first builds the answer it would
normally give, and the attack rewrites it or replaces it. Every attack has a name (see
:data:`ATTACKS` and :data:`ATTACK_NAMES`), so tests can be parametrised over them and
``python -m rostergui.simulator --attack NAME[:course[:page]]`` can start a hostile server.

Unlike a fault, an attack stays until ``clear_faults`` unless ``times`` is given: a hostile
server stays hostile, retries included.

The categories:

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

import functools
import hashlib
import json
import struct
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any, Literal
from urllib.parse import quote, quote_plus

from rostergui.simulator.members import LEARNER, MEMBERSHIP, member_to_json
from rostergui.simulator.model import SimCourse

JSON_TYPE = "application/json; charset=utf-8"

Category = Literal["paging", "member", "body", "size", "time", "secret"]
Trickle = Literal["body", "headers"]

#: The ids ``id_controls`` adds: a line break, a terminal escape, a bidi override, tab and bell.
CONTROL_IDS: tuple[str, ...] = (
    "line\nbreak",
    "esc\x1b[31mred\x1b[0m",
    "bidi\u202etxt.exe",
    "tab\tbell\x07cr\r",
)
#: Name, given and family name of the member ``name_controls`` adds (id ``name-controls``).
CONTROL_NAME = "Mallory\n\x1b[2J\x1b[31mAdmin\x1b[0m \u202eredliaM\r\x07"
CONTROL_GIVEN = "Mal\nlory\x1b]0;title\x07"
CONTROL_FAMILY = "\u202eyrollaM\x1b[0m"
#: The extra role of the member ``role_controls`` adds (id ``role-controls``), next to Learner.
CONTROL_ROLE = "http://evil.example/role\x1b[2J\r\n\u202e#Instructor"
#: The roles a duplicated member arrives with (the original copy keeps its own).
DUPLICATE_ROLE = MEMBERSHIP + "Administrator"
#: The id ``id_fraction`` adds, as JSON text.
FRACTION_ID = "1.5"
#: The status ``unknown_status`` gives the page's first member.
UNKNOWN_STATUS = "Suspended-For-Reasons-Long"
#: The id ``repeated_keys`` puts first in the page's first member (its real id follows).
DECOY_ID = "decoy-repeated-key"

_HTML = (
    b"<!DOCTYPE html>\n<html><head><title>Sign in to continue</title></head>\n"
    b'<body><h1>Network login</h1><form method="post" action="/login">'
    b'<input name="user"><input name="password" type="password"></form></body></html>\n'
)


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


# --- rendering --------------------------------------------------------------------------


def _text(value: object) -> str:
    """JSON as the simulator sends it."""
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False)


def _ascii(value: object) -> str:
    """JSON with every non-ASCII character escaped: keeps lone surrogates and NaN writable."""
    return json.dumps(value, separators=(",", ":"), ensure_ascii=True)


def _render(
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
            text = _text(value)
        parts.append(f"{_text(key)}:{text}")
    if next_json is not None and "next" not in page and "next" not in drop:
        parts.append(f'"next":{next_json}')
    return ("{" + ",".join(parts) + extra + "}").encode("utf-8")


def _array(texts: list[str]) -> str:
    return "[" + ",".join(texts) + "]"


def _members(page: dict[str, Any]) -> list[dict[str, Any]]:
    members = page.get("members")
    return [m for m in members if isinstance(m, dict)] if isinstance(members, list) else []


def _member_texts(page: dict[str, Any]) -> list[str]:
    return [_text(m) for m in _members(page)]


def _hostile(
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
        f'"roles":{_ascii(list(roles))}',
        '"status":"Active"',
        f'"name":{_ascii(name)}',
    ]
    if given is not None:
        parts.append(f'"{given_key}":{_ascii(given)}')
    if family is not None:
        parts.append(f'"{family_key}":{_ascii(family)}')
    return "{" + ",".join(parts) + "}"


def _json(body: bytes, *, status: int = 200) -> Answer:
    return Answer(status=status, body=body)


def _with_members(ctx: Context, extra: list[str]) -> Answer:
    page = ctx.page()
    return _json(_render(page, members=_array(_member_texts(page) + extra)))


def _link(ctx: Context, page: dict[str, Any]) -> str:
    """The page's real ``next`` if it has one, else its own link (a usable LMS URL)."""
    for key in ("next", "id"):
        value = page.get(key)
        if isinstance(value, str) and value:
            return value
    return ctx.first_page_url


def _with_param(url: str, name: str, value: str) -> str:
    return f"{url}{'&' if '?' in url else '?'}{name}={value}"


# --- paging -----------------------------------------------------------------------------


def _next_is(raw: Callable[[Context, dict[str, Any]], str]) -> Builder:
    def build(ctx: Context) -> Answer:
        page = ctx.page()
        return _json(_render(page, next_json=raw(ctx, page)))

    return build


def _next_huge(ctx: Context, page: dict[str, Any]) -> str:
    real = _link(ctx, page)
    pad = max(1, ctx.attack.sized() - len(real) - 5)
    return _text(_with_param(real, "pad", "A" * pad))


def _members_missing(ctx: Context) -> Answer:
    return _json(_render(ctx.page(), drop=("members",)))


def _members_object(ctx: Context) -> Answer:
    page = ctx.page()
    texts = _member_texts(page)
    keyed = "{" + ",".join(f'"{i}":{t}' for i, t in enumerate(texts)) + "}"
    return _json(_render(page, members=keyed))


def _members_null(ctx: Context) -> Answer:
    return _json(_render(ctx.page(), members="null"))


def _endless_next(ctx: Context) -> Answer:
    page = ctx.page()
    head = f"{ctx.course.lms_origin}{ctx.course.nrps_path}?endless={ctx.serial}&token="
    seed = hashlib.sha256(f"{ctx.course.slug}:{ctx.serial}".encode()).hexdigest()
    room = max(1, ctx.attack.sized() - len(head))
    token = (seed * (room // len(seed) + 1))[:room]
    return _json(_render(page, next_json=_text(head + token)))


def _paging_loop(ctx: Context) -> Answer:
    return _json(_render(ctx.page(), next_json=_text(ctx.first_page_url)))


def _paging_cycle(ctx: Context) -> Answer:
    page = ctx.page()
    real = page.get("next")
    target = real if isinstance(real, str) and real else ctx.first_page_url
    return _json(_render(page, next_json=_text(_with_param(target, "cycle", str(ctx.serial)))))


# --- member data ------------------------------------------------------------------------


def _add_ids(*uid_json: str, name: str) -> Builder:
    def build(ctx: Context) -> Answer:
        extra = [
            _hostile(ctx, uid, name=f"{name} {i + 1}" if len(uid_json) > 1 else name)
            for i, uid in enumerate(uid_json)
        ]
        return _with_members(ctx, extra)

    return build


def _id_controls(ctx: Context) -> Answer:
    extra = [
        _hostile(ctx, _ascii(uid), name=f"Control id {i + 1}") for i, uid in enumerate(CONTROL_IDS)
    ]
    return _with_members(ctx, extra)


def _name_controls(ctx: Context) -> Answer:
    member = _hostile(
        ctx, '"name-controls"', name=CONTROL_NAME, given=CONTROL_GIVEN, family=CONTROL_FAMILY
    )
    return _with_members(ctx, [member])


def _role_controls(ctx: Context) -> Answer:
    member = _hostile(ctx, '"role-controls"', name="Role Controls", roles=(LEARNER, CONTROL_ROLE))
    return _with_members(ctx, [member])


def _id_too_long(ctx: Context) -> Answer:
    uid = ("long-" + "x" * ctx.attack.sized())[: ctx.attack.sized()]
    return _with_members(ctx, [_hostile(ctx, _ascii(uid), name="Long Id")])


def _float_id(value: object) -> float | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return float(value)
    if isinstance(value, str) and value.isascii() and value.isdigit():
        return float(int(value))
    return None


def _id_float(ctx: Context) -> Answer:
    page = ctx.page()
    texts = []
    for member in _members(page):
        as_float = _float_id(member.get(ctx.id_key))
        texts.append(_text(member if as_float is None else {**member, ctx.id_key: as_float}))
    return _json(_render(page, members=_array(texts)))


def _duplicate_on_page(ctx: Context) -> Answer:
    page = ctx.page()
    members = _members(page)
    extra = [_text({**members[0], "roles": [DUPLICATE_ROLE]})] if members else []
    return _json(_render(page, members=_array([_text(m) for m in members] + extra)))


def _duplicate_across_pages(ctx: Context) -> Answer:
    course = ctx.course
    roster = course.roster
    entries = roster.entries
    if not entries:
        return _with_members(ctx, [])
    first = member_to_json(
        roster.resolve(entries[0]),
        snake=ctx.snake,
        numeric_ids=course.numeric_user_ids,
        send_status=course.send_status,
    )
    return _with_members(ctx, [_text({**first, "roles": [DUPLICATE_ROLE]})])


def _unknown_status(ctx: Context) -> Answer:
    page = ctx.page()
    members = _members(page)
    if members:
        members[0] = {**members[0], "status": UNKNOWN_STATUS}
    return _json(_render(page, members=_array([_text(m) for m in members])))


# --- body-level garbage -----------------------------------------------------------------


def _repeated_keys(ctx: Context) -> Answer:
    page = ctx.page()
    texts = _member_texts(page)
    if texts:
        texts[0] = f'{{"{ctx.id_key}":{_text(DECOY_ID)},' + texts[0][1:]
    return _json(_render(page, members=_array(texts)))


def _bom(ctx: Context) -> Answer:
    return _json(b"\xef\xbb\xbf" + ctx.body)


def _utf16(ctx: Context) -> Answer:
    body = ctx.body.decode("utf-8").encode("utf-16")
    return Answer(body=body, content_type="application/json; charset=utf-16")


def _deep_nesting(ctx: Context) -> Answer:
    depth = ctx.attack.sized()
    return _json(b"[" * depth + b"]" * depth)


def _nan_tokens(ctx: Context) -> Answer:
    page = ctx.page()
    texts = [t[:-1] + ',"x_score":NaN,"x_weight":Infinity}' for t in _member_texts(page)]
    return _json(_render(page, members=_array(texts), extra=',"x_total":-Infinity'))


def _truncated(ctx: Context) -> Answer:
    body = ctx.body
    cut = max(1, len(body) * 2 // 3)
    while cut > 1 and body[cut] >= 0x80:  # cut between characters: broken JSON, valid UTF-8
        cut -= 1
    return _json(body[:cut])


def _html(ctx: Context) -> Answer:
    return Answer(body=_HTML, content_type="text/html; charset=utf-8")


def _wrong_type(ctx: Context) -> Answer:
    return Answer(body=ctx.body, content_type="text/html; charset=utf-8")


# --- size -------------------------------------------------------------------------------

_UNIT_BYTES = 1 << 20
_GZIP_HEADER = b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x02\xff"


@dataclass(frozen=True, slots=True)
class _BombParts:
    """A deflate stream cut at full flushes, so the middle segment can be repeated at will."""

    head: bytes
    unit: bytes
    tail: bytes
    head_z: bytes
    unit_z: bytes
    tail_z: bytes


@functools.cache
def _bomb_parts() -> _BombParts:
    head = b'{"id":"bomb","context":{"id":"bomb"},"members":['
    member = b'{"userId":"bomb","roles":[],"name":"Bomb"},'
    unit = member + b" " * (_UNIT_BYTES - len(member))
    tail = b'{"userId":"bomb","roles":[]}]}'
    packer = zlib.compressobj(9, zlib.DEFLATED, -15)
    head_z = packer.compress(head) + packer.flush(zlib.Z_FULL_FLUSH)
    unit_z = packer.compress(unit) + packer.flush(zlib.Z_FULL_FLUSH)
    # After a full flush the compressor starts afresh: every further unit compresses alike.
    again = packer.compress(unit) + packer.flush(zlib.Z_FULL_FLUSH)
    if again != unit_z:  # pragma: no cover - zlib guarantees it
        raise RuntimeError("deflate output after a full flush is not repeatable")
    tail_z = packer.compress(tail) + packer.flush(zlib.Z_FINISH)
    return _BombParts(head, unit, tail, head_z, unit_z, tail_z)


def gzip_bomb(size: int) -> tuple[int, int, Callable[[], Iterator[bytes]]]:
    """A gzip stream of a roster page that inflates to about ``size`` bytes.

    Returns (compressed length, inflated length, a function giving the stream in chunks).
    The stream is produced while it is sent: the simulator holds one megabyte of it at most.
    """
    parts = _bomb_parts()
    units = max(1, -(-(size - len(parts.head) - len(parts.tail)) // len(parts.unit)))
    inflated = len(parts.head) + units * len(parts.unit) + len(parts.tail)
    compressed = (
        len(_GZIP_HEADER) + len(parts.head_z) + units * len(parts.unit_z) + len(parts.tail_z) + 8
    )

    def stream() -> Iterator[bytes]:
        yield _GZIP_HEADER + parts.head_z
        crc = zlib.crc32(parts.head)
        batch = 64
        for done in range(0, units, batch):
            count = min(batch, units - done)
            for _ in range(count):
                crc = zlib.crc32(parts.unit, crc)
            yield parts.unit_z * count
        crc = zlib.crc32(parts.tail, crc)
        yield parts.tail_z + struct.pack("<II", crc, inflated & 0xFFFFFFFF)

    return compressed, inflated, stream


def _gzip_bomb(ctx: Context) -> Answer:
    length, _, stream = gzip_bomb(ctx.attack.sized())
    return Answer(headers=(("Content-Encoding", "gzip"),), stream=stream, length=length)


def _huge_body(ctx: Context) -> Answer:
    """The real answer with a padding string that makes it ``size`` bytes: valid JSON."""
    body = ctx.body.rstrip()
    head = body[:-1] + b',"padding":"' if body.endswith(b"}") else b'{"padding":"'
    end = b'"}'
    pad = max(0, ctx.attack.sized() - len(head) - len(end))
    block = b"x" * _UNIT_BYTES

    def stream() -> Iterator[bytes]:
        yield head
        left = pad
        while left > 0:
            step = min(left, len(block))
            yield block if step == len(block) else block[:step]
            left -= step
        yield end

    return Answer(stream=stream, length=len(head) + pad + len(end))


# --- time -------------------------------------------------------------------------------


def _trickle_body(ctx: Context) -> Answer:
    return Answer(body=ctx.body, trickle="body")


def _trickle_headers(ctx: Context) -> Answer:
    return Answer(body=ctx.body, trickle="headers")


def _never_answer(ctx: Context) -> Answer:
    return Answer(hang=True)


# --- secrets ----------------------------------------------------------------------------


def _echo(status: int) -> Builder:
    def build(ctx: Context) -> Answer:
        auth = ctx.auth
        _, _, credentials = auth.partition(" ")
        secret = credentials.partition(":")[2]
        description = (
            f"Refused {secret} with key {ctx.api_key} "
            f"(encoded {quote(secret, safe='')} {quote(ctx.api_key, safe='')} "
            f"{quote_plus(ctx.api_key)}); header was {auth}; as sent: {quote(auth, safe='')}"
        )
        details = {
            "message": "INVALID_API_KEY" if status == 401 else "INTERNAL_SERVER_ERROR",
            "description": description,
            "externalError": status >= 500,
        }
        error = f"Rejected {quote_plus(auth)} for {ctx.api_key}"
        body = _text({"status": status, "error": error, "details": details}).encode("utf-8")
        return Answer(status=status, body=body)

    return build


# --- the registry -----------------------------------------------------------------------

_SPECS = (
    # paging
    AttackSpec("next_number", "paging", '"next": 12345', _next_is(lambda c, p: "12345")),
    AttackSpec(
        "next_object",
        "paging",
        '"next": {"url": …}',
        _next_is(lambda c, p: _text({"url": _link(c, p)})),
    ),
    AttackSpec(
        "next_list",
        "paging",
        '"next": [the real link]',
        _next_is(lambda c, p: _text([_link(c, p)])),
    ),
    AttackSpec("next_empty", "paging", '"next": ""', _next_is(lambda c, p: '""')),
    AttackSpec(
        "next_whitespace",
        "paging",
        '"next": " \\t\\r\\n "',
        _next_is(lambda c, p: _text(" \t\r\n ")),
    ),
    AttackSpec(
        "next_not_url", "paging", '"next": "not a url"', _next_is(lambda c, p: '"not a url"')
    ),
    AttackSpec("next_ftp", "paging", '"next": "ftp://x"', _next_is(lambda c, p: '"ftp://x"')),
    AttackSpec(
        "next_huge",
        "paging",
        "next is the real link padded to size characters",
        _next_is(_next_huge),
        size=200_000,
    ),
    AttackSpec("members_missing", "paging", "no members key", _members_missing),
    AttackSpec("members_object", "paging", "members is an object keyed 0, 1, …", _members_object),
    AttackSpec("members_null", "paging", '"members": null', _members_null),
    AttackSpec(
        "endless_next",
        "paging",
        "every page links to a fresh, unique next of size characters, forever",
        _endless_next,
        size=60_000,
    ),
    AttackSpec("paging_loop", "paging", "next links back to the walk's first page", _paging_loop),
    AttackSpec(
        "paging_cycle",
        "paging",
        "next always carries a fresh &cycle=n and the last page links to the first: the same "
        "members forever, no link ever repeated",
        _paging_cycle,
    ),
    # member data
    AttackSpec(
        "id_nul",
        "member",
        'adds a member with id "nul\\u0000id"',
        _add_ids(_ascii("nul\x00id"), name="Nul Id"),
    ),
    AttackSpec(
        "id_surrogate",
        "member",
        'adds a member with id "\\ud800lone" (a lone surrogate)',
        _add_ids(_ascii("\ud800lone"), name="Surrogate Id"),
    ),
    AttackSpec("id_controls", "member", "adds members with CONTROL_IDS as ids", _id_controls),
    AttackSpec(
        "name_controls", "member", "adds member name-controls with CONTROL_NAME", _name_controls
    ),
    AttackSpec(
        "role_controls", "member", "adds member role-controls with CONTROL_ROLE", _role_controls
    ),
    AttackSpec(
        "id_float", "member", "integer ids on the page are sent as floats (123 → 123.0)", _id_float
    ),
    AttackSpec(
        "id_fraction",
        "member",
        "adds a member with id 1.5",
        _add_ids(FRACTION_ID, name="Fraction Id"),
    ),
    AttackSpec(
        "id_nan",
        "member",
        "adds members with ids NaN, Infinity and -Infinity (raw tokens)",
        _add_ids("NaN", "Infinity", "-Infinity", name="Not a number"),
    ),
    AttackSpec(
        "id_bool", "member", "adds a member with id true", _add_ids("true", name="Boolean Id")
    ),
    AttackSpec(
        "id_object",
        "member",
        'adds a member with id {"id":"u1"}',
        _add_ids('{"id":"u1"}', name="Object Id"),
    ),
    AttackSpec(
        "id_list", "member", 'adds a member with id ["u1"]', _add_ids('["u1"]', name="List Id")
    ),
    AttackSpec(
        "id_too_long",
        "member",
        "adds a member whose id has size characters",
        _id_too_long,
        size=300,
    ),
    AttackSpec(
        "duplicate_on_page",
        "member",
        "the page's first member again at its end, with DUPLICATE_ROLE",
        _duplicate_on_page,
    ),
    AttackSpec(
        "duplicate_across_pages",
        "member",
        "the roster's first member (from page 1) again on this page, with DUPLICATE_ROLE",
        _duplicate_across_pages,
    ),
    AttackSpec(
        "unknown_status", "member", "the page's first member has UNKNOWN_STATUS", _unknown_status
    ),
    # body-level garbage
    AttackSpec(
        "repeated_keys",
        "body",
        'the first member is {"userId":DECOY_ID,"userId":<its id>,…}',
        _repeated_keys,
    ),
    AttackSpec("bom", "body", "a UTF-8 byte order mark before the JSON", _bom, roster_only=False),
    AttackSpec(
        "utf16", "body", "the answer encoded as UTF-16 (with BOM)", _utf16, roster_only=False
    ),
    AttackSpec(
        "deep_nesting",
        "body",
        "size opening brackets, then as many closing ones",
        _deep_nesting,
        roster_only=False,
        size=100_000,
    ),
    AttackSpec(
        "nan_tokens",
        "body",
        "NaN, Infinity and -Infinity tokens in extra member and page fields",
        _nan_tokens,
    ),
    AttackSpec(
        "truncated_json",
        "body",
        "the answer cut off after two thirds",
        _truncated,
        roster_only=False,
    ),
    AttackSpec(
        "html_200", "body", "a login page as text/html with status 200", _html, roster_only=False
    ),
    AttackSpec(
        "wrong_content_type",
        "body",
        "the real answer labelled text/html",
        _wrong_type,
        roster_only=False,
    ),
    # size
    AttackSpec(
        "gzip_bomb",
        "size",
        "Content-Encoding: gzip, about 1 MB that inflates to size bytes of a roster page",
        _gzip_bomb,
        roster_only=False,
        size=1 << 30,
    ),
    AttackSpec(
        "huge_body",
        "size",
        "the real answer padded to size bytes (valid JSON), streamed",
        _huge_body,
        roster_only=False,
        size=200_000_000,
    ),
    # time
    AttackSpec(
        "trickle_body",
        "time",
        "headers at once, then the body one byte per interval",
        _trickle_body,
        roster_only=False,
    ),
    AttackSpec(
        "trickle_headers",
        "time",
        "the status line and headers one byte per interval",
        _trickle_headers,
        roster_only=False,
    ),
    AttackSpec(
        "never_answer",
        "time",
        "reads the request and sends nothing until duration is up",
        _never_answer,
        roster_only=False,
    ),
    # secrets
    AttackSpec(
        "echo_secret_401",
        "secret",
        "401 whose error and description echo the Authorization header, the API key and the "
        "service key, raw and percent-encoded",
        _echo(401),
        roster_only=False,
    ),
    AttackSpec(
        "echo_secret_500",
        "secret",
        "the same echo in a 500 (external error) body",
        _echo(500),
        roster_only=False,
    ),
)

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
