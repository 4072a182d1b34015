"""What an LTIAAS answer other than 200 means, as a :mod:`~rostergui.core.errors` class.

The client (:mod:`rostergui.core.ltiaas`) decides when to retry; this module only reads an
error answer: the wait it asks for, the description LTIAAS gives, and the error class and
message that tell the administrator what to do.
"""

from __future__ import annotations

import email.utils
import time
from typing import Any

import httpx

from rostergui.core import errors
from rostergui.core.nrps import JsonError, decode_json
from rostergui.core.states import AuthScheme


def retry_after(response: httpx.Response) -> float | None:
    value = response.headers.get("retry-after")
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - time.time())


class ApiKeyRefusedError(errors.AuthError):
    """LTIAAS refused the account's API key itself, not a course's service key or launch
    token: every course on the origin would be refused the same way (see
    :mod:`~rostergui.core.origin_gate`)."""


#: What LTIAAS says of an invalid API key (``details.message``, or the description).
_API_KEY_CODES = ("INVALID_API_KEY",)


def refuses_api_key(content: bytes) -> bool:
    """Whether an error answer says the API key (not the course's key) is invalid."""
    try:
        body = decode_json(content)
    except JsonError:
        return False
    details = body.get("details") if isinstance(body, dict) else None
    if not isinstance(details, dict):
        return False
    code = details.get("message")
    if isinstance(code, str) and code.strip().upper() in _API_KEY_CODES:
        return True
    described = details.get("description")
    return isinstance(described, str) and described.strip().casefold().rstrip(".") in (
        "invalid api key",
        "invalid or expired api key",
    )


def error_details(content: bytes) -> tuple[str, bool]:
    """Pull a short description out of an LTIAAS error body (redacted with the error)."""
    try:
        body = decode_json(content)
    except JsonError:
        return "", False
    if not isinstance(body, dict):
        return "", False
    details: dict[str, Any] = body["details"] if isinstance(body.get("details"), dict) else {}
    described = next(
        (
            v
            for v in (details.get("description"), details.get("message"), body.get("error"))
            if isinstance(v, str) and v.strip()
        ),
        "",
    )
    return described.strip()[:300], bool(details.get("externalError"))


def http_error(
    response: httpx.Response, content: bytes, what: str, scheme: AuthScheme
) -> errors.LtiaasError:
    """The error a non-200 answer amounts to, with a message that says what to do."""
    status = response.status_code
    described, external = error_details(content)
    suffix = f" (LTIAAS says: {described})" if described else ""
    shown = described or content[:200].decode("utf-8", "replace")
    detail = f"HTTP {status} for {what}: {shown!r}"
    lowered = described.casefold()
    if any(
        marker in lowered
        for marker in ("names_and_roles", "names and roles", "memberships_url", "nrps")
    ):
        return errors.RosterServiceUnavailableError(
            "The roster service (Names and Roles) is not available for this course; enable "
            "it in the LMS's tool settings, then launch the tool from the course again" + suffix,
            status=status,
            detail=detail,
        )
    if status in (401, 403):
        if refuses_api_key(content):
            return ApiKeyRefusedError(
                "LTIAAS refused the API key (every course on this LTIAAS address uses it); "
                "enter the account's current API key for the course" + suffix,
                status=status,
                detail=detail,
            )
        if scheme == AuthScheme.LTIK:
            hint = (
                "the API key or launch token was refused; launch tokens expire after 24 "
                "hours — launch the tool from the course again, and check the API key"
            )
        else:
            hint = (
                "the API key or service key was refused; check the API key, or give the "
                "course the new service key (or launch token) of a fresh launch"
            )
        return errors.AuthError(hint[0].upper() + hint[1:] + suffix, status=status, detail=detail)
    if status == 404:
        return errors.NotFoundError(
            f"LTIAAS has no such resource for {what}; check the LTIAAS address" + suffix,
            status=status,
            detail=detail,
        )
    if status == 429:
        return errors.RateLimitedError(
            "LTIAAS is limiting requests right now; wait a few minutes and sync again" + suffix,
            status=status,
            detail=detail,
        )
    if status >= 500:
        source = "The LMS behind LTIAAS" if external else "LTIAAS"
        return errors.UpstreamError(
            f"{source} failed (HTTP {status}) while reading {what}; try again later" + suffix,
            status=status,
            detail=detail,
        )
    return errors.LtiaasError(
        f"LTIAAS refused the request for {what} (HTTP {status})"
        + suffix
        + "; check the course settings",
        status=status,
        detail=detail,
    )
