"""A roster page as the LMS sends it through LTIAAS, checked once, at the trust boundary.

Everything a sync stores comes through here, so every rule about what is acceptable lives in
this module, and one parse decides: the values checked are the values stored.

* A body is decoded once (orjson; the standard library for what orjson refuses but JSON allows,
  such as a byte-order mark or UTF-16). ``NaN``/``Infinity`` tokens, nesting too deep for any
  roster and invalid text are refused. A member object that repeats a key is read the one way
  the parser reads it, and the database later sees that parsed object re-encoded, never the
  body as sent.
* A member is stored exactly or refused, never truncated or merged: text holding a NUL or a
  lone surrogate (which no database column keeps intact), a user id that is no text or whole
  number, longer than the column, or a status outside LTI's three are refused with the page
  and member named. Other control characters (newlines, escapes, bidi marks) are stored as sent
  and escaped where they are shown on a terminal.
* The end of a roster is only a missing ``next``. A ``next`` that is present but not a usable
  web address fails the sync: treating it as the end would apply a partial roster.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, NamedTuple
from urllib.parse import urlsplit

import orjson

from rostergui.core import errors

#: A user id longer than this does not fit the ``people.user_id`` column.
MAX_ID_LENGTH = 255
#: A context id is stored in a column of this width.
MAX_CONTEXT_ID_LENGTH = 500
#: Roles per member, and characters per role: far above what any LMS sends (a handful of URIs
#: of about 70 characters), low enough that a role list stays a small database value.
MAX_ROLES = 64
MAX_ROLE_LENGTH = 255
#: A ``next`` link is sent back to LTIAAS in a query string; web servers refuse far shorter.
MAX_URL_LENGTH = 8192

#: LTI membership statuses as the specification spells them.
PLAIN_STATUSES = frozenset({"Active", "Inactive", "Deleted"})
_STATUSES = {s.casefold(): s for s in PLAIN_STATUSES}

_SUPPORT = "nothing was changed — try again later or contact LTIAAS support"


class Member(NamedTuple):
    """One roster entry as the LMS sent it, normalised (user id always a string).

    A named tuple: a 100,000-member roster builds 100,000 of these, and tuples are the
    cheapest immutable records Python has.
    """

    user_id: str
    roles: tuple[str, ...]
    status: str  # "Active", "Inactive" or "Deleted"; a missing status means Active
    name: str | None = None
    given_name: str | None = None
    family_name: str | None = None
    email: str | None = None


@dataclass(frozen=True, slots=True)
class RosterPage:
    """One page as received. Members stay raw until :attr:`members` is read, so a sync can
    parse them on another thread while the next page is on its way.

    ``plain`` says every member has the common shape (see :func:`plain_members`), so the raw
    members, re-encoded, can be read by a database's JSON functions with the same result as
    :func:`parse_member` gives.
    """

    raw_members: list[Any]
    next_url: str | None
    context_id: str | None
    context_title: str | None
    page_url: str | None
    where: str
    content: bytes = b""
    plain: bool = False

    @property
    def members(self) -> list[Member]:
        raw_members = self.raw_members
        if self.content and any(
            type(_field(m, "userId", "user_id")) is float for m in raw_members if type(m) is dict
        ):
            # orjson reads an integer beyond 64 bits as a float; the json module keeps it exact.
            raw_members = _decode_exact(self.content)["members"]
        return [parse_member(m, self.where, number) for number, m in enumerate(raw_members, 1)]


# --- decoding -------------------------------------------------------------------------------


class JsonError(ValueError):
    """A body that is not JSON RosterSync reads."""


def _no_constant(name: str) -> Any:
    raise JsonError(f"{name} is not a JSON value")


def _decode_exact(content: bytes) -> Any:
    """The standard library's reading: exact integers, any JSON encoding, no NaN."""
    try:
        text = content.decode(json.detect_encoding(content))
        return json.loads(text, parse_constant=_no_constant)
    except RecursionError as exc:
        raise JsonError("nested too deeply") from exc
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise JsonError(str(exc)) from exc


def decode_json(content: bytes) -> Any:
    """Decode a response body (raises :class:`JsonError`).

    orjson first (roster pages decode about twice as fast); the standard library for what
    orjson refuses but JSON allows (a byte-order mark, UTF-16), so the faster parser never
    turns a readable answer into an error. What neither reads is refused.
    """
    return _decode(content)[0]


def _decode(content: bytes) -> tuple[Any, bool]:
    """The decoded body, and whether orjson read it (so its text is valid Unicode)."""
    try:
        return orjson.loads(content), True
    except orjson.JSONDecodeError:
        return _decode_exact(content), False


# --- members --------------------------------------------------------------------------------


def _malformed(what: str, where: str, number: int | None = None) -> errors.MalformedResponseError:
    place = f"{where}, member {number}" if number is not None else where
    return errors.MalformedResponseError(f"LTIAAS returned {what} ({place}); {_SUPPORT}")


def _exact_text(value: str, what: str, where: str, number: int | None) -> str:
    """``value`` if a database stores it exactly; a NUL or a lone surrogate is refused."""
    if "\x00" in value:
        raise _malformed(f"{what} containing a NUL character", where, number)
    if not value.isascii():
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            raise _malformed(f"{what} that is not valid Unicode", where, number) from None
    return value


def optional_text(value: Any, what: str, where: str, number: int | None) -> str | None:
    if value is None:
        return None
    if isinstance(value, str):
        return _exact_text(value, what, where, number)
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    if isinstance(value, float) and math.isfinite(value):
        return str(value)
    raise _malformed(f"{what} that is not text", where, number)


def _user_id(value: Any, where: str, number: int | None) -> str:
    """A user id as text: numbers are the same person as their digits (``1``, ``1.0``, "1")."""
    if isinstance(value, str):
        text = value
    elif isinstance(value, int) and not isinstance(value, bool):
        text = str(value)
    elif isinstance(value, float) and math.isfinite(value) and value.is_integer():
        text = str(int(value))
    elif isinstance(value, float):
        raise _malformed("a member whose user id is not a whole number", where, number)
    elif value is None:
        raise _malformed("a member without a user id", where, number)
    else:
        raise _malformed("a member whose user id is not text", where, number)
    if text == "":
        raise _malformed("a member without a user id", where, number)
    if len(text) > MAX_ID_LENGTH:
        raise _malformed(
            f"a user id longer than {MAX_ID_LENGTH} characters, the most RosterSync stores",
            where,
            number,
        )
    return _exact_text(text, "a user id", where, number)


def _status(value: Any, where: str, number: int | None) -> str:
    """LTI's status, in any letter case or as a full membership URI; missing means Active."""
    if value is None:
        return "Active"
    if isinstance(value, str):
        word = value.strip().rsplit("#", 1)[-1].casefold()
        if word == "":
            return "Active"
        if word in _STATUSES:
            return _STATUSES[word]
        shown = value if len(value) <= 40 else value[:40] + "…"
        raise _malformed(f"an unknown membership status {shown!r}", where, number)
    raise _malformed("a membership status that is not text", where, number)


def _field(raw: Mapping[str, Any], camel: str, snake: str) -> Any:
    value = raw.get(camel)
    return raw.get(snake) if value is None else value


def parse_member(raw: Any, where: str, number: int | None = None) -> Member:
    """Check and normalise one member object (camelCase or snake_case field names).

    ``where`` and ``number`` place it in the roster for the error message."""
    if not isinstance(raw, dict):
        raise _malformed("a roster entry that is not an object", where, number)
    user_id = _user_id(_field(raw, "userId", "user_id"), where, number)
    roles = raw.get("roles")
    if roles is None:
        roles = []
    if not isinstance(roles, list) or not all(isinstance(r, str) for r in roles):
        raise _malformed("member roles that are not a list of text", where, number)
    if len(roles) > MAX_ROLES:
        raise _malformed(f"a member with more than {MAX_ROLES} roles", where, number)
    for role in roles:
        _exact_text(role, "a role", where, number)
    problem = role_problem(roles)
    if problem is not None:
        raise _malformed(problem, where, number)
    return Member(
        user_id,
        tuple(roles),
        _status(raw.get("status"), where, number),
        optional_text(raw.get("name"), "a name", where, number),
        optional_text(_field(raw, "givenName", "given_name"), "a given name", where, number),
        optional_text(_field(raw, "familyName", "family_name"), "a family name", where, number),
        optional_text(raw.get("email"), "an email address", where, number),
    )


def role_problem(roles: Sequence[str]) -> str | None:
    """Why a role list cannot be stored as it is, or None.

    Roles are URIs or words: a control character in one is no role (and the stored role list
    is one role per line), and none is longer than ``MAX_ROLE_LENGTH``. Checked per member for
    pages that are normalised, and once per distinct role list for plain pages
    (:meth:`~rostergui.core.staging.StagedRoster.finish`), where a roster of 100,000 repeats a
    handful of lists."""
    for role in roles:
        if len(role) > MAX_ROLE_LENGTH:
            return f"a role longer than {MAX_ROLE_LENGTH} characters"
        if not role.isprintable():
            return "a role containing control characters"
    return None


def plain_members(members: list[Any]) -> bool:
    """True when every member has the shape nearly every LMS sends, which needs no
    normalising: an object with camelCase text ``userId`` (at most ``MAX_ID_LENGTH``
    characters), ``givenName`` and ``familyName``, text or missing ``name`` and ``email``, a
    list of at most ``MAX_ROLES`` role strings and a status spelled as LTI does, or none. For
    such a member :func:`parse_member` returns the fields unchanged (a missing status is
    Active), provided its text holds no NUL and is valid Unicode (the caller knows that of the
    whole body, :func:`parse_page`) and its roles pass :func:`role_problem` (checked once per
    distinct role list when the roster is complete).

    One loop over the page rather than a call per member: it runs for every member of every
    roster, on the thread that fetches.
    """
    statuses = PLAIN_STATUSES
    for raw in members:
        if type(raw) is not dict:
            return False
        get = raw.get
        user_id, roles, status = get("userId"), get("roles"), get("status")
        name, email = get("name"), get("email")
        if not (
            type(user_id) is str
            and 0 < len(user_id) <= MAX_ID_LENGTH
            and type(get("givenName")) is str
            and type(get("familyName")) is str
            and (status is None or status in statuses)
            and (name is None or type(name) is str)
            and (email is None or type(email) is str)
            and type(roles) is list
            and len(roles) <= MAX_ROLES
        ):
            return False
        for role in roles:
            if type(role) is not str:
                return False
    return True


# --- pages ----------------------------------------------------------------------------------


def next_link(body: Mapping[str, Any], where: str) -> str | None:
    """The page's ``next`` link, or None at the end of the roster.

    Only a missing ``next`` ends a roster. Anything else that is not an absolute http(s)
    address (a number, an object, null, blank, a relative path, an address too long to send
    back) fails the sync, so a broken answer can never pass for a complete roster."""
    if "next" not in body:
        return None
    value = body["next"]
    problem = None
    if not isinstance(value, str) or not value.strip():
        problem = "an empty or non-text next-page link"
    elif len(value) > MAX_URL_LENGTH:
        problem = f"a next-page link longer than {MAX_URL_LENGTH:,} characters"
    elif not value.isprintable() or " " in value:
        problem = "a next-page link with spaces or control characters"
    else:
        try:
            parts = urlsplit(value)
            usable = parts.scheme in ("http", "https") and bool(parts.hostname)
        except ValueError:
            usable = False
        if not usable:
            problem = "a next-page link that is not a web address"
    if problem is not None:
        raise errors.MalformedResponseError(
            f"LTIAAS returned {problem} ({where}), so the roster cannot be read to its end; "
            f"{_SUPPORT}",
            detail=f"next = {str(value)[:200]!r}",
        )
    return value  # type: ignore[no-any-return]


def _web_address(value: Any) -> str | None:
    """An informational address (the page's ``id``): kept when it is a short, well-formed
    http(s) address, else ignored; nothing depends on it being there."""
    if not isinstance(value, str) or len(value) > MAX_CONTEXT_ID_LENGTH or not value.isascii():
        return None
    try:
        parts = urlsplit(value)
        usable = parts.scheme in ("http", "https") and bool(parts.hostname) and parts.port != 0
    except ValueError:
        return None
    return value if usable and "\x00" not in value else None


def parse_page(body: Any, where: str, content: bytes = b"", *, exact: bool = True) -> RosterPage:
    """Check one page's shape. ``exact`` says the body was decoded by orjson, which refuses
    invalid Unicode, so only a NUL in the text is left to look for."""
    if not isinstance(body, dict) or not isinstance(body.get("members"), list):
        raise errors.MalformedResponseError(
            f"LTIAAS answered without a member list ({where}); {_SUPPORT}"
        )
    next_url = next_link(body, where)
    context: dict[str, Any] = body["context"] if isinstance(body.get("context"), dict) else {}
    context_id = optional_text(context.get("id"), "a course id", where, None)
    if context_id is not None and len(context_id) > MAX_CONTEXT_ID_LENGTH:
        raise _malformed(f"a course id longer than {MAX_CONTEXT_ID_LENGTH} characters", where, None)
    members: list[Any] = body["members"]
    return RosterPage(
        raw_members=members,
        next_url=next_url,
        context_id=context_id,
        context_title=optional_text(context.get("title"), "a course title", where, None),
        page_url=_web_address(body.get("id")),
        where=where,
        content=content,
        # An escaped NUL is the one way a string decoded by orjson can hold one.
        plain=exact and bool(content) and b"\\u0000" not in content and plain_members(members),
    )


def read_page(content: bytes, where: str) -> RosterPage:
    """Decode and check one page's body (raises ``MalformedResponseError``)."""
    try:
        body, exact = _decode(content)
    except JsonError as exc:
        raise errors.MalformedResponseError(
            f"LTIAAS sent an answer that is not valid JSON for the roster {where}; {_SUPPORT}",
            detail=f"{exc}; body starts {content[:80]!r}",
        ) from exc
    return parse_page(body, where, content, exact=exact)
