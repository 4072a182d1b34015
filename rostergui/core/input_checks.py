"""What an administrator types for the service, checked before anything is asked or saved.

The command line and the window both pass typed text straight to the service; these checks
turn it into the form that is stored (an LTIAAS origin, a role-mapping key) or a
:class:`~rostergui.core.errors.ConfigError` that says what is wrong, and make sure the result
fits its column on every database.
"""

from __future__ import annotations

from rostergui.core import errors
from rostergui.core.origin import normalise_base_url
from rostergui.core.roles import normalise_rule_key
from rostergui.core.store.courses import CONTROL_CHARACTERS, fits
from rostergui.core.store.schema import contexts, role_rules

#: The longest LTI role key an administrator may type (the stored key must also fit its column).
MAX_ROLE_KEY = 255


def checked_base_url(url: str) -> str:
    """:func:`normalise_base_url`, and a check that the origin fits its column."""
    return fits(contexts.c.base_url, normalise_base_url(url), "The LTIAAS address")


def checked_role_key(lti_role: str) -> str:
    """The mapping-table key for an LTI role an administrator typed, or :class:`ConfigError`
    when it cannot name a role: empty, spaces or control characters in it, too long, or a
    sub-role without its role."""
    text = lti_role.strip()
    if not text:
        raise errors.ConfigError("Name the LTI role to map, for example Instructor#Grader")
    if len(text) > MAX_ROLE_KEY:
        raise errors.ConfigError(
            f"An LTI role is at most {MAX_ROLE_KEY} characters; this one has {len(text)}"
        )
    if any(char.isspace() for char in text) or CONTROL_CHARACTERS.search(text):
        raise errors.ConfigError(
            "An LTI role contains no spaces or control characters; give it as LTIAAS sends "
            "it, for example Instructor#Grader or a full role URI"
        )
    try:
        key = normalise_rule_key(text)
    except ValueError as exc:
        raise errors.ConfigError(str(exc)) from exc
    if not key or key.startswith("#"):
        raise errors.ConfigError(
            f"'{text}' names no LTI role; give one such as Instructor or Instructor#Grader"
        )
    return fits(role_rules.c.lti_role, key, "The LTI role")
