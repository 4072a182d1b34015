"""Members of the simulated LMS: LIS roles, one member's fields, and how an LMS sends them.

A roster of 100,000 is not stored: :class:`MemberSource` makes member *i* on demand as a pure
function of (seed, course, *i*), and renders it straight to the JSON text an LMS would send,
without building a dict first. Hand-written members are :class:`Member` tuples, and a course
replaced by a test holds raw LMS dicts (:data:`RawMember`) as sent.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Sequence
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

IdStyle = Literal["serial", "numeric", "hex40", "hex32", "uuid"]
MEMBER_STATUSES: frozenset[str] = frozenset({"Active", "Inactive"})


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


def json_text(value: object) -> str:
    """JSON as the simulator sends it: compact, non-ASCII as is."""
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
        self._domain_text = json_text(email_domain)[1:-1]
        self._picture_text = json_text(picture_base or "")[1:-1]
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
            roles_json = self._roles_json[roles] = json_text(list(roles))
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
            f',"name":{json_text(locale.full_name(given, family))}'
            f',"{given_key}":{json_text(given)},"{family_key}":{json_text(family)}'
        )
        return text, json_text(self._email_local(li, gi, fi))[1:-1]
