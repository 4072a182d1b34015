"""LTI role parsing and the mapping from LTI roles to RosterSync's tool roles.

LMSes send roles in many spellings: full LTI 1.3 URIs, deprecated short names (``Instructor``),
LTI 1.1 URNs (``urn:lti:role:ims/lis/TeachingAssistant``), sub-roles
(``…/membership/Instructor#TeachingAssistant``) and inconsistent letter case. Every spelling is
parsed into a :class:`ParsedRole` (vocabulary, principal, sub-role) first; the mapping then looks
the *parsed* role up in a table. Nothing here matches substrings, so
``membership/Learner#Instructor`` stays a learner.

The mapping is data (:class:`RoleMapping`), not a chain of ifs: the defaults live in
:data:`DEFAULT_RULES` and an administrator's overrides are stored in the database.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from enum import StrEnum


class ToolRole(StrEnum):
    """RosterSync's own roles, highest first (the order is the precedence)."""

    ADMINISTRATOR = "Administrator"
    INSTRUCTOR = "Instructor"
    TEACHING_ASSISTANT = "Teaching Assistant"
    CONTENT_DEVELOPER = "Content Developer"
    MENTOR = "Mentor"
    LEARNER = "Learner"
    OTHER = "Other"

    @property
    def rank(self) -> int:
        """Lower is higher precedence."""
        return _RANK[self]

    @classmethod
    def parse(cls, text: str) -> ToolRole:
        """Accept a tool role in any case and with ``_``/``-`` for spaces (CLI friendliness)."""
        key = re.sub(r"[\s_-]+", " ", text.strip()).casefold()
        for role in cls:
            if role.value.casefold() == key:
                return role
        aliases = {"ta": cls.TEACHING_ASSISTANT, "student": cls.LEARNER}
        if key in aliases:
            return aliases[key]
        names = ", ".join(r.value for r in cls)
        raise ValueError(f"unknown role {text!r}; choose one of: {names}")


_RANK = {role: i for i, role in enumerate(ToolRole)}


class Vocabulary(StrEnum):
    CONTEXT = "context"
    INSTITUTION = "institution"
    SYSTEM = "system"
    LTI_SYSTEM = "lti-system"  # http://purl.imsglobal.org/vocab/lti/system/person#TestUser
    UNKNOWN = "unknown"


@dataclass(frozen=True, slots=True)
class ParsedRole:
    """One role string, understood. ``principal`` and ``sub_role`` use canonical spelling."""

    vocabulary: Vocabulary
    principal: str
    sub_role: str | None = None

    @property
    def key(self) -> str:
        """The mapping-table key: ``Instructor`` or ``Instructor#TeachingAssistant``."""
        return f"{self.principal}#{self.sub_role}" if self.sub_role else self.principal


# Canonical spellings of every name in the LTI 1.3 and LTI 1.1 vocabularies, so that parsed roles
# compare equal whatever case the LMS used. Unknown names keep the spelling they arrived in.
_KNOWN_NAMES = """
Administrator ContentDeveloper Instructor Learner Mentor Manager Member Officer
TeachingAssistant Student Faculty Guest None Other Staff Alumni Observer ProspectiveStudent
AccountAdmin Creator SysAdmin SysSupport User TestUser
Developer ExternalDeveloper ExternalSupport ExternalSystemAdministrator Support
SystemAdministrator ContentExpert ExternalContentExpert Librarian ExternalInstructor Grader
GuestInstructor Lecturer PrimaryInstructor SecondaryInstructor TeachingAssistantGroup
TeachingAssistantOffering TeachingAssistantSection TeachingAssistantSectionAssociation
TeachingAssistantTemplate ExternalLearner GuestLearner NonCreditLearner AreaManager
CourseCoordinator ExternalObserver Advisor Auditor ExternalAdvisor ExternalAuditor
ExternalLearningFacilitator ExternalMentor ExternalReviewer ExternalTutor LearningFacilitator
Reviewer Tutor Chair Communications Secretary Treasurer Vice-Chair
""".split()  # noqa: SIM905 - a word list reads better as text
_CANONICAL = {name.casefold(): name for name in _KNOWN_NAMES}

_LIS = "http://purl.imsglobal.org/vocab/lis/v2/"
_LTI_SYSTEM = "http://purl.imsglobal.org/vocab/lti/system/person#"
TEST_USER_ROLE = _LTI_SYSTEM + "TestUser"


def _canon(name: str) -> str:
    return _CANONICAL.get(name.casefold(), name)


def parse_role(raw: str) -> ParsedRole:
    """Parse one role string in any of the forms LMSes send. Never raises."""
    text = raw.strip()
    low = text.casefold()
    if low.startswith(_LIS):
        rest = text[len(_LIS) :]
        path, _, fragment = rest.partition("#")
        segments = path.split("/")
        head = segments[0].casefold()
        if head == "membership":
            if len(segments) == 2 and fragment:  # membership/Instructor#TeachingAssistant
                return ParsedRole(Vocabulary.CONTEXT, _canon(segments[1]), _canon(fragment))
            if len(segments) == 1 and fragment:
                return ParsedRole(Vocabulary.CONTEXT, _canon(fragment))
        elif head in ("institution", "system") and fragment:
            vocab = Vocabulary.INSTITUTION if head == "institution" else Vocabulary.SYSTEM
            return ParsedRole(vocab, _canon(fragment))
        elif head == "person" and fragment:  # deprecated prefix without system/institution
            return ParsedRole(Vocabulary.INSTITUTION, _canon(fragment))
        return ParsedRole(Vocabulary.UNKNOWN, text)
    if low.startswith(_LTI_SYSTEM.casefold()):
        return ParsedRole(Vocabulary.LTI_SYSTEM, _canon(text[len(_LTI_SYSTEM) :]))
    if low.startswith("urn:lti:"):
        kind, _, path = text[len("urn:lti:") :].partition(":")
        prefix = "ims/lis/"
        if path.casefold().startswith(prefix):
            parts = path[len(prefix) :].split("/")
            kind = kind.casefold()
            if kind == "role" and parts[0]:
                sub = _canon(parts[1]) if len(parts) > 1 and parts[1] else None
                return ParsedRole(Vocabulary.CONTEXT, _canon(parts[0]), sub)
            if kind in ("instrole", "sysrole") and parts[0]:
                vocab = Vocabulary.INSTITUTION if kind == "instrole" else Vocabulary.SYSTEM
                return ParsedRole(vocab, _canon(parts[0]))
        return ParsedRole(Vocabulary.UNKNOWN, text)
    if re.fullmatch(r"[A-Za-z][A-Za-z-]*(#[A-Za-z][A-Za-z-]*)?", text):
        # Deprecated simple names are context roles; "Instructor#TeachingAssistant" is a legacy
        # short form some tools accept.
        principal, _, sub = text.partition("#")
        return ParsedRole(Vocabulary.CONTEXT, _canon(principal), _canon(sub) if sub else None)
    return ParsedRole(Vocabulary.UNKNOWN, text)


# The default mapping. Keys are ``Principal`` (that principal with or without any sub-role) or
# ``Principal#SubRole`` (exactly that sub-role; wins over the bare principal key).
DEFAULT_RULES: dict[str, ToolRole] = {
    "Administrator": ToolRole.ADMINISTRATOR,
    "Instructor": ToolRole.INSTRUCTOR,
    **{
        f"Instructor#{sub}": ToolRole.TEACHING_ASSISTANT
        for sub in (
            "TeachingAssistant",
            "TeachingAssistantGroup",
            "TeachingAssistantOffering",
            "TeachingAssistantSection",
            "TeachingAssistantSectionAssociation",
            "TeachingAssistantTemplate",
            "Grader",
        )
    },
    "TeachingAssistant": ToolRole.TEACHING_ASSISTANT,  # LTI 1.1 principal role
    "ContentDeveloper": ToolRole.CONTENT_DEVELOPER,
    "Mentor": ToolRole.MENTOR,
    "Manager": ToolRole.MENTOR,
    "Learner": ToolRole.LEARNER,
    "Student": ToolRole.LEARNER,  # listed by LTIAAS among its accepted short names
}


def _rule_key(key: str) -> str:
    principal, _, sub = key.strip().partition("#")
    return f"{_canon(principal)}#{_canon(sub)}" if sub else _canon(principal)


def normalise_rule_key(key: str) -> str:
    """Turn an admin-typed key (``instructor#grader`` or a full URI) into table spelling."""
    parsed = parse_role(key)
    if parsed.vocabulary is Vocabulary.CONTEXT:
        return parsed.key
    if "://" in key or key.startswith("urn:"):
        raise ValueError(f"{key!r} is not a course (membership) role; only those are mapped")
    return _rule_key(key)


@dataclass(frozen=True, slots=True)
class MappedRole:
    role: ToolRole
    test_user: bool


class RoleMapping:
    """Maps a member's list of LTI roles to one tool role.

    Only context (membership) roles decide the course role. When a principal arrives with one
    or more sub-roles, the sub-roles decide for that principal (a TA is sent as Instructor plus
    the TA sub-role); among several principals the highest tool role wins. Anything unknown is
    ``Other`` — never silently ``Learner``.
    """

    def __init__(self, overrides: Mapping[str, ToolRole] | None = None) -> None:
        rules = {k.casefold(): v for k, v in DEFAULT_RULES.items()}
        for key, role in (overrides or {}).items():
            rules[_rule_key(key).casefold()] = role
        self._rules = rules
        self._overrides = dict(overrides or {})
        self._cache: dict[tuple[str, ...], MappedRole] = {}

    @property
    def overrides(self) -> dict[str, ToolRole]:
        return dict(self._overrides)

    def table(self) -> dict[str, ToolRole]:
        """The effective rules, defaults merged with overrides, in table spelling."""
        merged = {_rule_key(k): v for k, v in DEFAULT_RULES.items()}
        merged.update({_rule_key(k): v for k, v in self._overrides.items()})
        return merged

    def _lookup(self, principal: str, sub: str | None) -> ToolRole:
        if sub is not None:
            found = self._rules.get(f"{principal}#{sub}".casefold())
            if found is not None:
                return found
        return self._rules.get(principal.casefold(), ToolRole.OTHER)

    def map(self, roles: Iterable[str]) -> MappedRole:
        """Map a member's roles. Results are cached: rosters repeat the same few role lists."""
        key = tuple(roles)
        hit = self._cache.get(key)
        if hit is not None:
            return hit
        test_user = False
        subs: dict[str, list[str]] = {}
        for raw in key:
            parsed = parse_role(raw)
            if parsed.vocabulary is Vocabulary.LTI_SYSTEM and parsed.principal == "TestUser":
                test_user = True
            elif parsed.vocabulary is Vocabulary.CONTEXT:
                bucket = subs.setdefault(parsed.principal, [])
                if parsed.sub_role:
                    bucket.append(parsed.sub_role)
        best = ToolRole.OTHER
        for principal, sub_roles in subs.items():
            candidates = (
                [self._lookup(principal, s) for s in sub_roles]
                if sub_roles
                else [self._lookup(principal, None)]
            )
            for candidate in candidates:
                if candidate.rank < best.rank:
                    best = candidate
        result = MappedRole(best, test_user)
        if len(self._cache) < 4096:
            self._cache[key] = result
        return result
