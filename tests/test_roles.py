"""Role parsing and mapping: every spelling LMSes send, and the admin's overrides."""

from __future__ import annotations

import pytest

from rostergui.core.roles import (
    RoleMapping,
    ToolRole,
    Vocabulary,
    normalise_rule_key,
    parse_role,
)

LIS = "http://purl.imsglobal.org/vocab/lis/v2/"
M = LIS + "membership#"


@pytest.mark.parametrize(
    ("raw", "vocab", "principal", "sub"),
    [
        (M + "Instructor", Vocabulary.CONTEXT, "Instructor", None),
        (
            LIS + "membership/Instructor#TeachingAssistant",
            Vocabulary.CONTEXT,
            "Instructor",
            "TeachingAssistant",
        ),
        (
            LIS + "membership/instructor#TeachingAssistant",
            Vocabulary.CONTEXT,
            "Instructor",
            "TeachingAssistant",
        ),
        (
            "HTTP://PURL.IMSGLOBAL.ORG/VOCAB/LIS/V2/MEMBERSHIP#LEARNER",
            Vocabulary.CONTEXT,
            "Learner",
            None,
        ),
        (LIS + "membership/Learner#Instructor", Vocabulary.CONTEXT, "Learner", "Instructor"),
        (LIS + "institution/person#Faculty", Vocabulary.INSTITUTION, "Faculty", None),
        (LIS + "system/person#Administrator", Vocabulary.SYSTEM, "Administrator", None),
        (LIS + "person#Student", Vocabulary.INSTITUTION, "Student", None),
        (
            "http://purl.imsglobal.org/vocab/lti/system/person#TestUser",
            Vocabulary.LTI_SYSTEM,
            "TestUser",
            None,
        ),
        ("Instructor", Vocabulary.CONTEXT, "Instructor", None),
        ("learner", Vocabulary.CONTEXT, "Learner", None),
        ("Instructor#TeachingAssistant", Vocabulary.CONTEXT, "Instructor", "TeachingAssistant"),
        ("urn:lti:role:ims/lis/TeachingAssistant", Vocabulary.CONTEXT, "TeachingAssistant", None),
        (
            "urn:lti:role:ims/lis/TeachingAssistant/Grader",
            Vocabulary.CONTEXT,
            "TeachingAssistant",
            "Grader",
        ),
        ("URN:LTI:ROLE:IMS/LIS/Instructor", Vocabulary.CONTEXT, "Instructor", None),
        ("urn:lti:instrole:ims/lis/Faculty", Vocabulary.INSTITUTION, "Faculty", None),
        ("urn:lti:sysrole:ims/lis/SysAdmin", Vocabulary.SYSTEM, "SysAdmin", None),
        (
            "http://example.edu/roles#Custodian",
            Vocabulary.UNKNOWN,
            "http://example.edu/roles#Custodian",
            None,
        ),
        ("", Vocabulary.UNKNOWN, "", None),
    ],
)
def test_parse_every_form(raw: str, vocab: Vocabulary, principal: str, sub: str | None) -> None:
    parsed = parse_role(raw)
    assert (parsed.vocabulary, parsed.principal, parsed.sub_role) == (vocab, principal, sub)


@pytest.mark.parametrize(
    ("roles", "expected"),
    [
        ([M + "Administrator"], ToolRole.ADMINISTRATOR),
        ([LIS + "membership/Administrator#Developer"], ToolRole.ADMINISTRATOR),
        ([M + "Instructor"], ToolRole.INSTRUCTOR),
        ([M + "Instructor", LIS + "membership/Instructor#PrimaryInstructor"], ToolRole.INSTRUCTOR),
        # Canvas TA: Instructor plus the TA sub-role is a TA, not an Instructor.
        (
            [M + "Instructor", LIS + "membership/Instructor#TeachingAssistant"],
            ToolRole.TEACHING_ASSISTANT,
        ),
        (
            [M + "Instructor", LIS + "membership/instructor#TeachingAssistant"],
            ToolRole.TEACHING_ASSISTANT,
        ),
        ([LIS + "membership/Instructor#TeachingAssistantSection"], ToolRole.TEACHING_ASSISTANT),
        ([M + "Instructor", LIS + "membership/Instructor#Grader"], ToolRole.TEACHING_ASSISTANT),
        (["urn:lti:role:ims/lis/TeachingAssistant"], ToolRole.TEACHING_ASSISTANT),
        ([M + "ContentDeveloper"], ToolRole.CONTENT_DEVELOPER),
        ([M + "Mentor"], ToolRole.MENTOR),
        ([LIS + "membership/Manager#Observer"], ToolRole.MENTOR),
        ([M + "Learner"], ToolRole.LEARNER),
        (["Learner"], ToolRole.LEARNER),
        (["urn:lti:role:ims/lis/Learner"], ToolRole.LEARNER),
        # A Learner sub-role named Instructor is still a Learner: no substring matching.
        ([LIS + "membership/Learner#Instructor"], ToolRole.LEARNER),
        # Highest course role wins; institution roles never decide the course role.
        ([M + "Learner", M + "Instructor"], ToolRole.INSTRUCTOR),
        ([LIS + "institution/person#Faculty", M + "Learner"], ToolRole.LEARNER),
        ([LIS + "institution/person#Faculty"], ToolRole.OTHER),
        ([LIS + "system/person#Administrator"], ToolRole.OTHER),
        # Unknown roles never become Learner silently.
        (["http://example.edu/roles#Custodian"], ToolRole.OTHER),
        ([M + "Member"], ToolRole.OTHER),
        ([], ToolRole.OTHER),
    ],
)
def test_default_mapping(roles: list[str], expected: ToolRole) -> None:
    assert RoleMapping().map(roles).role is expected


def test_test_user_is_flagged_and_keeps_its_role() -> None:
    mapped = RoleMapping().map(
        [M + "Learner", "http://purl.imsglobal.org/vocab/lti/system/person#TestUser"]
    )
    assert mapped.role is ToolRole.LEARNER
    assert mapped.test_user
    assert not RoleMapping().map([M + "Learner"]).test_user


def test_overrides_change_the_mapping_for_that_key_only() -> None:
    mapping = RoleMapping({"instructor#grader": ToolRole.INSTRUCTOR, "Member": ToolRole.LEARNER})
    assert mapping.map([M + "Instructor", LIS + "membership/Instructor#Grader"]).role is (
        ToolRole.INSTRUCTOR
    )
    assert mapping.map([LIS + "membership/Instructor#TeachingAssistant"]).role is (
        ToolRole.TEACHING_ASSISTANT
    )
    assert mapping.map([M + "Member"]).role is ToolRole.LEARNER
    assert mapping.table()["Instructor#Grader"] is ToolRole.INSTRUCTOR


@pytest.mark.parametrize(
    ("typed", "key"),
    [
        ("instructor#grader", "Instructor#Grader"),
        (LIS + "membership/Instructor#Grader", "Instructor#Grader"),
        ("urn:lti:role:ims/lis/Learner", "Learner"),
        ("Member", "Member"),
    ],
)
def test_rule_keys_are_normalised(typed: str, key: str) -> None:
    assert normalise_rule_key(typed) == key


def test_rule_key_rejects_institution_roles() -> None:
    with pytest.raises(ValueError, match="not a course"):
        normalise_rule_key(LIS + "institution/person#Faculty")


@pytest.mark.parametrize(
    ("text", "role"),
    [
        ("ta", ToolRole.TEACHING_ASSISTANT),
        ("teaching_assistant", ToolRole.TEACHING_ASSISTANT),
        ("LEARNER", ToolRole.LEARNER),
        ("content-developer", ToolRole.CONTENT_DEVELOPER),
    ],
)
def test_tool_role_parse(text: str, role: ToolRole) -> None:
    assert ToolRole.parse(text) is role


def test_tool_role_parse_rejects_unknown() -> None:
    with pytest.raises(ValueError, match="choose one of"):
        ToolRole.parse("janitor")
