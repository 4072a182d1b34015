"""Data model of the simulated LMS side: members, rosters, courses and faults.

Rosters can be huge (100,000 members), so generated members are not stored:
a roster holds a sequence of *entries*, where an ``int`` is an index that a
:class:`MemberSource` turns into a member on demand. Explicit :class:`Member`
tuples (hand-written sample members, enrolments, status changes) and raw LMS
dicts (``replace_roster``) can sit in the same sequence. Every change creates
a new immutable sequence and a new version number, so a roster walk that
pinned an older version keeps seeing exactly the pages it started with.
"""

from __future__ import annotations

import hashlib
import json
from collections import OrderedDict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal, NamedTuple

from rostergui.simulator.names import LOCALES, Locale

MEMBERSHIP = "http://purl.imsglobal.org/vocab/lis/v2/membership#"
INSTITUTION = "http://purl.imsglobal.org/vocab/lis/v2/institution/person#"
SYSTEM = "http://purl.imsglobal.org/vocab/lis/v2/system/person#"
LEARNER = MEMBERSHIP + "Learner"
INSTRUCTOR = MEMBERSHIP + "Instructor"
TEACHING_ASSISTANT = (
    "http://purl.imsglobal.org/vocab/lis/v2/membership/Instructor#TeachingAssistant"
)
COURSE_OFFERING = "http://purl.imsglobal.org/vocab/lis/v2/course#CourseOffering"

FieldStyle = Literal["camel", "snake"]
IdStyle = Literal["serial", "numeric", "hex40", "hex32", "uuid"]
FaultKind = Literal[
    "rate_limit", "server_error", "malformed_json", "bad_shape", "slow", "disconnect"
]
FAULT_KINDS: frozenset[str] = frozenset(
    {"rate_limit", "server_error", "malformed_json", "bad_shape", "slow", "disconnect"}
)
MEMBER_STATUSES: frozenset[str] = frozenset({"Active", "Inactive"})


def derive_secret(seed: int, slug: str, purpose: str, length: int = 20) -> str:
    """Deterministic hex string, so demo keys stay the same from run to run."""
    digest = hashlib.sha256(f"{seed}:{slug}:{purpose}".encode()).hexdigest()
    return digest[:length]


def expand_role(role: str) -> str:
    """Turn a short context role name (``Learner``) into its LIS membership URI."""
    if ":" in role or "/" in role:
        return role
    return MEMBERSHIP + role


def role_matches(roles: Iterable[str], wanted: str) -> bool:
    """The NRPS ``role`` filter: exact role match, or a short name of a context role.

    ``wanted`` may be a full URI (matched exactly) or a short name such as
    ``Learner``, which also matches ``…/membership#Learner`` case-insensitively.
    """
    short = None
    if ":" not in wanted and "/" not in wanted:
        short = (MEMBERSHIP + wanted).lower()
    for role in roles:
        if role == wanted:
            return True
        if short is not None and role.lower() == short:
            return True
    return False


class Member(NamedTuple):
    """One roster member in a neutral form; rendered per course field style."""

    user_id: str
    roles: tuple[str, ...]
    name: str | None = None
    given_name: str | None = None
    family_name: str | None = None
    email: str | None = None
    status: str = "Active"
    picture: str | None = None
    sourcedid: str | None = None


RawMember = dict[str, Any]
Entry = int | Member | RawMember


#: Optional member fields in the order LMSes send them: (attribute and snake_case key, camelCase).
_OPTIONAL_FIELDS = (
    ("name", "name"),
    ("given_name", "givenName"),
    ("family_name", "familyName"),
    ("email", "email"),
    ("picture", "picture"),
)


def member_to_json(
    member: Member | RawMember, *, snake: bool, numeric_ids: bool, send_status: bool
) -> RawMember:
    """Render one member as the LMS sends it; absent optional fields are omitted."""
    if isinstance(member, dict):
        return member
    uid: str | int = int(member.user_id) if numeric_ids else member.user_id
    out: RawMember = {"user_id" if snake else "userId": uid, "roles": list(member.roles)}
    if send_status:
        out["status"] = member.status
    for attribute, camel in _OPTIONAL_FIELDS:
        value = getattr(member, attribute)
        if value is not None:
            out[attribute if snake else camel] = value
    if snake and member.sourcedid is not None:  # Moodle's LTI 1.1 leftover
        out["lis_person_sourcedid"] = member.sourcedid
    return out


def raw_user_id(member: RawMember) -> str:
    """User id of a raw LMS dict, whichever field style it uses."""
    value = member.get("userId", member.get("user_id"))
    return "" if value is None else str(value)


def _json_text(value: object) -> str:
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False)


_M64 = (1 << 64) - 1


def _mix(value: int) -> int:
    """SplitMix64 finaliser: a cheap, well-spread hash of a member index."""
    value = (value + 0x9E3779B97F4A7C15) & _M64
    value = ((value ^ (value >> 30)) * 0xBF58476D1CE4E5B9) & _M64
    value = ((value ^ (value >> 27)) * 0x94D049BB133111EB) & _M64
    return value ^ (value >> 31)


class MemberSource:
    """Deterministic member factory: member *i* is a pure function of (seed, slug, i).

    It backs lazily generated rosters (``count`` > 0) and also invents the
    people added later by ``Simulator.enroll`` and churn, so that they look
    like the rest of the course.
    """

    def __init__(
        self,
        *,
        salt: str,
        count: int = 0,
        id_style: IdStyle = "serial",
        numeric_base: int = 100,
        email_domain: str = "students.sim.example",
        staff: Sequence[tuple[int, tuple[str, ...]]] = (),
        learner_roles: tuple[str, ...] = (LEARNER,),
        institution_role: str | None = None,
        institution_permille: int = 0,
        inactive_permille: int = 0,
        no_email_permille: int = 0,
        picture_base: str | None = None,
        picture_permille: int = 0,
        locales: Sequence[Locale] = LOCALES,
    ) -> None:
        self.salt = salt
        self.count = count
        self.id_style: IdStyle = id_style
        self.numeric_base = numeric_base
        self.email_domain = email_domain
        self.learner_roles = learner_roles
        self.institution_role = institution_role
        self.institution_permille = institution_permille
        self.inactive_permille = inactive_permille
        self.no_email_permille = no_email_permille
        self.picture_base = picture_base
        self.picture_permille = picture_permille
        self.locales = tuple(locales)
        self._salt_int = int(hashlib.sha256(salt.encode()).hexdigest()[:16], 16)
        self._staff: list[tuple[int, tuple[str, ...]]] = []
        upto = 0
        for size, roles in staff:
            upto += size
            self._staff.append((upto, roles))
        self._staff_total = upto
        self._roles_json: dict[tuple[str, ...], str] = {}
        self._names_json: dict[tuple[int, int, int, bool], tuple[str, str]] = {}
        self._domain_text = _json_text(email_domain)[1:-1]
        self._picture_text = _json_text(picture_base or "")[1:-1]
        self._institution = institution_role is not None and institution_permille > 0

    def make_id(self, serial: int) -> str:
        """User id for the member with this 1-based serial number."""
        style = self.id_style
        if style == "serial":
            return f"u{serial:06d}"
        if style == "numeric":
            return str(self.numeric_base + serial)
        digest = hashlib.sha1(f"{self.salt}:{serial}".encode()).hexdigest()  # noqa: S324
        if style == "hex40":
            return digest
        if style == "hex32":
            return digest[:32]
        return f"{digest[:8]}-{digest[8:12]}-{digest[12:16]}-{digest[16:20]}-{digest[20:32]}"

    def user_id(self, index: int) -> str:
        """User id of generated member ``index`` (0-based)."""
        return self.make_id(index + 1)

    def roles(self, index: int) -> tuple[str, ...]:
        """Roles of generated member ``index`` without building the whole member."""
        if index < self._staff_total:
            for upto, roles in self._staff:
                if index < upto:
                    return roles
        if self.institution_role is not None and self.institution_permille:
            h = _mix(self._salt_int ^ index)
            if (h >> 8) % 1000 < self.institution_permille:
                return (*self.learner_roles, self.institution_role)
        return self.learner_roles

    def member(self, index: int) -> Member:
        """Generated member ``index`` (0-based); the same every time it is asked for."""
        return self.new_member(index + 1, self.roles(index), learner=index >= self._staff_total)

    def _draw(self, serial: int, learner: bool) -> tuple[int, int, int, bool, bool, bool]:
        """The dice for one person: locale, name parts, e-mail, status and picture."""
        h = _mix(self._salt_int ^ (serial - 1))
        li = (h >> 16) % len(self.locales)
        locale = self.locales[li]
        gi = (h >> 24) % len(locale.given)
        fi = (h >> 32) % len(locale.family)
        has_email = (h >> 40) % 1000 >= self.no_email_permille
        inactive = learner and h % 1000 < self.inactive_permille
        picture = self.picture_base is not None and (h >> 48) % 1000 < self.picture_permille
        return li, gi, fi, has_email, inactive, picture

    def _email_local(self, li: int, gi: int, fi: int) -> str:
        locale = self.locales[li]
        local = f"{locale.given[gi][1]}.{locale.family[fi][1]}"
        return local.replace(" ", "").replace("'", "")

    def new_member(self, serial: int, roles: tuple[str, ...], *, learner: bool = True) -> Member:
        """A fresh, plausible person with the given serial number and roles."""
        li, gi, fi, has_email, inactive, picture = self._draw(serial, learner)
        locale = self.locales[li]
        given = locale.given[gi][0]
        family = locale.family[fi][0]
        email = None
        if has_email:
            email = f"{self._email_local(li, gi, fi)}{serial}@{self.email_domain}"
        return Member(
            user_id=self.make_id(serial),
            roles=roles,
            name=locale.full_name(given, family),
            given_name=given,
            family_name=family,
            email=email,
            status="Inactive" if inactive else "Active",
            picture=f"{self.picture_base}/{serial}.png" if picture else None,
        )

    def member_json(self, index: int, *, snake: bool, numeric_ids: bool, send_status: bool) -> str:
        """Encoded JSON of generated member ``index``, built without an intermediate dict.

        Equivalent to encoding ``member_to_json(self.member(index), ...)``; this
        is the hot path when serving pages of a 100,000-member course.
        """
        # Same dice as _draw() and new_member(), inlined: this runs 100,000 times a walk.
        serial = index + 1
        learner = index >= self._staff_total
        roles = self.learner_roles if learner and not self._institution else self.roles(index)
        h = (self._salt_int ^ index) + 0x9E3779B97F4A7C15 & _M64
        h = (h ^ (h >> 30)) * 0xBF58476D1CE4E5B9 & _M64
        h = (h ^ (h >> 27)) * 0x94D049BB133111EB & _M64
        h ^= h >> 31
        locales = self.locales
        li = (h >> 16) % len(locales)
        locale = locales[li]
        names_key = (li, (h >> 24) % len(locale.given), (h >> 32) % len(locale.family), snake)
        names = self._names_json.get(names_key)
        if names is None:
            names = self._names_json[names_key] = self._encode_names(*names_key)
        names_json, email_local = names
        roles_json = self._roles_json.get(roles)
        if roles_json is None:
            roles_json = self._roles_json[roles] = _json_text(list(roles))
        head = '{"user_id":' if snake else '{"userId":'
        if self.id_style == "serial":
            uid_json = f'"u{serial:06d}"'
        else:
            uid = self.make_id(serial)
            uid_json = str(int(uid)) if numeric_ids else f'"{uid}"'
        status = ""
        if send_status:
            inactive = learner and h % 1000 < self.inactive_permille
            status = ',"status":"Inactive"' if inactive else ',"status":"Active"'
        email = ""
        if (h >> 40) % 1000 >= self.no_email_permille:
            email = f',"email":"{email_local}{serial}@{self._domain_text}"'
        pic = ""
        if self._picture_text and (h >> 48) % 1000 < self.picture_permille:
            pic = f',"picture":"{self._picture_text}/{serial}.png"'
        return f'{head}{uid_json},"roles":{roles_json}{status}{names_json}{email}{pic}}}'

    def _encode_names(self, li: int, gi: int, fi: int, snake: bool) -> tuple[str, str]:
        locale = self.locales[li]
        given = locale.given[gi][0]
        family = locale.family[fi][0]
        given_key, family_key = "givenName", "familyName"
        if snake:
            given_key, family_key = "given_name", "family_name"
        text = (
            f',"name":{_json_text(locale.full_name(given, family))}'
            f',"{given_key}":{_json_text(given)},"{family_key}":{_json_text(family)}'
        )
        return text, _json_text(self._email_local(li, gi, fi))[1:-1]


class Roster:
    """The ordered, versioned member list of one course.

    Not thread-safe by itself: the simulator serialises all access behind its
    lock. Sequences handed out by :meth:`pin` and :meth:`snapshot` are never
    mutated afterwards, so they can be read without the lock.
    """

    MAX_PINNED = 16

    def __init__(
        self,
        source: MemberSource,
        members: Iterable[Member | RawMember] = (),
        *,
        next_serial: int | None = None,
    ) -> None:
        explicit: tuple[Entry, ...] = tuple(members)
        if explicit and source.count:
            raise ValueError("a roster is either generated or explicit, not both")
        self.source = source
        self._entries: Sequence[Entry] = explicit if explicit else range(source.count)
        self._version = 1
        self._pinned: OrderedDict[int, Sequence[Entry]] = OrderedDict()
        default_serial = source.count + len(explicit) + 1
        self._next_serial = default_serial if next_serial is None else next_serial

    def __len__(self) -> int:
        return len(self._entries)

    @property
    def version(self) -> int:
        """Bumped on every change; carried in ``next`` URLs to pin a walk."""
        return self._version

    @property
    def entries(self) -> Sequence[Entry]:
        """The current immutable entry sequence."""
        return self._entries

    def resolve(self, entry: Entry) -> Member | RawMember:
        """Turn an entry into a member (generated on demand for indices)."""
        if isinstance(entry, int):
            return self.source.member(entry)
        return entry

    def user_id_of(self, entry: Entry) -> str:
        """User id of an entry, as a string."""
        if isinstance(entry, int):
            return self.source.user_id(entry)
        if isinstance(entry, Member):
            return entry.user_id
        return raw_user_id(entry)

    def roles_of(self, entry: Entry) -> Sequence[str]:
        """Roles of an entry (cheap for generated members)."""
        if isinstance(entry, int):
            return self.source.roles(entry)
        if isinstance(entry, Member):
            return entry.roles
        roles = entry.get("roles", [])
        return [str(r) for r in roles] if isinstance(roles, list) else []

    def user_ids(self) -> list[str]:
        """All current user ids, in roster order."""
        return [self.user_id_of(e) for e in self._entries]

    def members(self) -> list[Member | RawMember]:
        """All current members, resolved (builds every generated member: avoid for 100k)."""
        return [self.resolve(e) for e in self._entries]

    def pin(self) -> tuple[int, Sequence[Entry]]:
        """Remember the current version so later pages of a walk can still be served."""
        self._pinned[self._version] = self._entries
        self._pinned.move_to_end(self._version)
        while len(self._pinned) > self.MAX_PINNED:
            self._pinned.popitem(last=False)
        return self._version, self._entries

    def snapshot(self, version: int | None) -> tuple[int, Sequence[Entry]]:
        """Entries of a pinned version; falls back to the live roster if it was evicted."""
        if version is not None:
            if version == self._version:
                return version, self._entries
            pinned = self._pinned.get(version)
            if pinned is not None:
                return version, pinned
        return self._version, self._entries

    def _commit(self, entries: Sequence[Entry]) -> None:
        self._entries = entries
        self._version += 1

    def create_members(self, count: int, roles: tuple[str, ...]) -> list[Member]:
        """Invent ``count`` new people (not yet added) with consecutive serials."""
        out = []
        for _ in range(count):
            out.append(self.source.new_member(self._next_serial, roles))
            self._next_serial += 1
        return out

    def add(self, members: Sequence[Member | RawMember]) -> None:
        """Append members at the end, as an LMS lists new enrolments last."""
        if members:
            self._commit((*self._entries, *members))

    def remove_ids(self, user_ids: Iterable[str]) -> list[str]:
        """Remove members by user id; every id must be present (else ``KeyError``)."""
        wanted = {str(u) for u in user_ids}
        if not wanted:
            return []
        kept: list[Entry] = []
        removed: list[str] = []
        for entry in self._entries:
            uid = self.user_id_of(entry)
            if uid in wanted:
                removed.append(uid)
            else:
                kept.append(entry)
        missing = wanted.difference(removed)
        if missing:
            raise KeyError(f"not enrolled: {', '.join(sorted(missing))}")
        self._commit(tuple(kept))
        return removed

    def remove_positions(self, positions: Iterable[int]) -> list[str]:
        """Remove the members at these indices of the current sequence."""
        ordered = sorted(set(positions), reverse=True)
        if not ordered:
            return []
        entries = list(self._entries)
        removed = []
        for pos in ordered:
            removed.append(self.user_id_of(entries[pos]))
            del entries[pos]
        self._commit(tuple(entries))
        removed.reverse()
        return removed

    def set_status(self, user_id: str, status: str) -> None:
        """Mark a member Active or Inactive (``KeyError`` if not enrolled)."""
        if status not in MEMBER_STATUSES:
            raise ValueError(f"status must be 'Active' or 'Inactive', not {status!r}")
        for pos, entry in enumerate(self._entries):
            if self.user_id_of(entry) != str(user_id):
                continue
            current = self.resolve(entry)
            updated: Member | RawMember
            if isinstance(current, dict):
                updated = {**current, "status": status}
            else:
                updated = current._replace(status=status)
            entries = list(self._entries)
            entries[pos] = updated
            self._commit(tuple(entries))
            return
        raise KeyError(f"not enrolled: {user_id}")

    def replace(self, members: Iterable[Member | RawMember]) -> None:
        """Swap the whole roster for explicit members."""
        self._commit(tuple(members))


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
        """Members per page for a requested ``limit``, honouring LMS quirks."""
        if self.ignores_limit:
            return self.fixed_page_size
        return max(1, min(limit or self.default_limit, self.max_limit))


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
    name of the attack that answered.
    """

    method: str
    path: str
    query: dict[str, str]
    auth_scheme: str | None
    status: int
    course: str | None = None
    page: int | None = None
    attack: str | None = None
