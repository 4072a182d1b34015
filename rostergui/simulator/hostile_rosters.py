"""Hostile roster pages: unusable paging and hostile member data.

``paging``: a ``next`` that is present but unusable, a missing or wrong ``members``, endless
paging with fresh huge links, and paging loops. ``member``: NUL, lone surrogates and control
characters, float, NaN, boolean, object and list ids, duplicates, over-long ids, an unknown
status. Each builder rewrites the page the simulator would have sent; :data:`SPECS` names
them for :mod:`.attacks`. The constants say what a test should find afterwards.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from typing import Any

from rostergui.simulator.attack_kit import (
    Answer,
    AttackSpec,
    Builder,
    Context,
    ascii_json,
    hostile_member,
    json_answer,
    json_array,
    member_texts,
    page_members,
    render_page,
    usable_link,
    with_members,
    with_param,
)
from rostergui.simulator.members import LEARNER, MEMBERSHIP, json_text, member_to_json

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


# --- paging -----------------------------------------------------------------------------


def _next_is(raw: Callable[[Context, dict[str, Any]], str]) -> Builder:
    def build(ctx: Context) -> Answer:
        page = ctx.page()
        return json_answer(render_page(page, next_json=raw(ctx, page)))

    return build


def _next_huge(ctx: Context, page: dict[str, Any]) -> str:
    real = usable_link(ctx, page)
    pad = max(1, ctx.attack.sized() - len(real) - 5)
    return json_text(with_param(real, "pad", "A" * pad))


def _members_missing(ctx: Context) -> Answer:
    return json_answer(render_page(ctx.page(), drop=("members",)))


def _members_object(ctx: Context) -> Answer:
    page = ctx.page()
    texts = member_texts(page)
    keyed = "{" + ",".join(f'"{i}":{t}' for i, t in enumerate(texts)) + "}"
    return json_answer(render_page(page, members=keyed))


def _members_null(ctx: Context) -> Answer:
    return json_answer(render_page(ctx.page(), members="null"))


def _endless_next(ctx: Context) -> Answer:
    page = ctx.page()
    head = f"{ctx.course.lms_origin}{ctx.course.nrps_path}?endless={ctx.serial}&token="
    seed = hashlib.sha256(f"{ctx.course.slug}:{ctx.serial}".encode()).hexdigest()
    room = max(1, ctx.attack.sized() - len(head))
    token = (seed * (room // len(seed) + 1))[:room]
    return json_answer(render_page(page, next_json=json_text(head + token)))


def _paging_loop(ctx: Context) -> Answer:
    return json_answer(render_page(ctx.page(), next_json=json_text(ctx.first_page_url)))


def _paging_cycle(ctx: Context) -> Answer:
    page = ctx.page()
    real = page.get("next")
    target = real if isinstance(real, str) and real else ctx.first_page_url
    return json_answer(
        render_page(page, next_json=json_text(with_param(target, "cycle", str(ctx.serial))))
    )


# --- member data ------------------------------------------------------------------------


def _add_ids(*uid_json: str, name: str) -> Builder:
    def build(ctx: Context) -> Answer:
        extra = [
            hostile_member(ctx, uid, name=f"{name} {i + 1}" if len(uid_json) > 1 else name)
            for i, uid in enumerate(uid_json)
        ]
        return with_members(ctx, extra)

    return build


def _id_controls(ctx: Context) -> Answer:
    extra = [
        hostile_member(ctx, ascii_json(uid), name=f"Control id {i + 1}")
        for i, uid in enumerate(CONTROL_IDS)
    ]
    return with_members(ctx, extra)


def _name_controls(ctx: Context) -> Answer:
    member = hostile_member(
        ctx, '"name-controls"', name=CONTROL_NAME, given=CONTROL_GIVEN, family=CONTROL_FAMILY
    )
    return with_members(ctx, [member])


def _role_controls(ctx: Context) -> Answer:
    member = hostile_member(
        ctx, '"role-controls"', name="Role Controls", roles=(LEARNER, CONTROL_ROLE)
    )
    return with_members(ctx, [member])


def _id_too_long(ctx: Context) -> Answer:
    uid = ("long-" + "x" * ctx.attack.sized())[: ctx.attack.sized()]
    return with_members(ctx, [hostile_member(ctx, ascii_json(uid), name="Long Id")])


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
    for member in page_members(page):
        as_float = _float_id(member.get(ctx.id_key))
        texts.append(json_text(member if as_float is None else {**member, ctx.id_key: as_float}))
    return json_answer(render_page(page, members=json_array(texts)))


def _duplicate_on_page(ctx: Context) -> Answer:
    page = ctx.page()
    members = page_members(page)
    extra = [json_text({**members[0], "roles": [DUPLICATE_ROLE]})] if members else []
    return json_answer(
        render_page(page, members=json_array([json_text(m) for m in members] + extra))
    )


def _duplicate_across_pages(ctx: Context) -> Answer:
    course = ctx.course
    roster = course.roster
    entries = roster.entries
    if not entries:
        return with_members(ctx, [])
    first = member_to_json(
        roster.resolve(entries[0]),
        snake=ctx.snake,
        numeric_ids=course.numeric_user_ids,
        send_status=course.send_status,
    )
    return with_members(ctx, [json_text({**first, "roles": [DUPLICATE_ROLE]})])


def _unknown_status(ctx: Context) -> Answer:
    page = ctx.page()
    members = page_members(page)
    if members:
        members[0] = {**members[0], "status": UNKNOWN_STATUS}
    return json_answer(render_page(page, members=json_array([json_text(m) for m in members])))


# --- the registry -----------------------------------------------------------------------

SPECS = (
    # paging
    AttackSpec("next_number", "paging", '"next": 12345', _next_is(lambda c, p: "12345")),
    AttackSpec(
        "next_object",
        "paging",
        '"next": {"url": …}',
        _next_is(lambda c, p: json_text({"url": usable_link(c, p)})),
    ),
    AttackSpec(
        "next_list",
        "paging",
        '"next": [the real link]',
        _next_is(lambda c, p: json_text([usable_link(c, p)])),
    ),
    AttackSpec("next_empty", "paging", '"next": ""', _next_is(lambda c, p: '""')),
    AttackSpec(
        "next_whitespace",
        "paging",
        '"next": " \\t\\r\\n "',
        _next_is(lambda c, p: json_text(" \t\r\n ")),
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
        _add_ids(ascii_json("nul\x00id"), name="Nul Id"),
    ),
    AttackSpec(
        "id_surrogate",
        "member",
        'adds a member with id "\\ud800lone" (a lone surrogate)',
        _add_ids(ascii_json("\ud800lone"), name="Surrogate Id"),
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
)
