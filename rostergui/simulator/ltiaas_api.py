"""What the simulated LTIAAS API answers, apart from roster pages: its paths, its error bodies,
the ID token of a launch, and the failures a test injects (:class:`~.model.Fault`).

The bodies follow LTIAAS closely (status, error phrase, ``details`` with ``message`` and
``description``, ``externalError`` when the LMS behind it failed), because the client reads
them to tell the administrator what went wrong.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from dataclasses import dataclass
from http import HTTPStatus
from typing import Any

from rostergui.simulator.members import COURSE_OFFERING, json_text
from rostergui.simulator.model import Fault, SimCourse

SERVICE_SCHEME = "SERVICE-AUTH-V1"
LTIK_SCHEME = "LTIK-AUTH-V2"
IDTOKEN_PATH = "/api/idtoken"
MEMBERSHIPS_PATH = "/api/memberships"
TOOL_URL = "https://rostersync.sim.example"


def json_bytes(payload: object) -> bytes:
    return json_text(payload).encode("utf-8")


def error_body(status: int, details: dict[str, Any] | None = None) -> bytes:
    payload: dict[str, Any] = {"status": status, "error": HTTPStatus(status).phrase}
    if details is not None:
        payload["details"] = details
    return json_bytes(payload)


LTIK_INVALID = ("INVALID_LTIK_AUTH_AUTHORIZATION_HEADER", "Invalid or expired ltik.")
SERVICE_INVALID = ("INVALID_SERVICE_KEY_AUTH_AUTHORIZATION_HEADER", "Invalid service key.")
API_KEY_INVALID = ("INVALID_API_KEY", "Invalid API key")
MISSING_HEADER = ("MISSING_AUTHORIZATION_HEADER", "Missing or unsupported Authorization header.")
NOT_FOUND = error_body(404)
INTERNAL_ERROR = error_body(500)
NO_NRPS = error_body(
    400,
    {
        "message": "MISSING_NAMES_AND_ROLES_SERVICE",
        "description": "The Names and Roles Provisioning Service is not available in this context.",
    },
)
INVALID_URL = error_body(400, {"message": "INVALID_URL"})
INVALID_LIMIT = error_body(
    400, {"message": "INVALID_PARAMETERS", "description": '"limit" must be a positive integer.'}
)


@dataclass(slots=True)
class Response:
    status: int
    body: bytes
    headers: tuple[tuple[str, str], ...] = ()


def authenticate(
    header: str | None,
    *,
    api_key: str,
    by_ltik: Mapping[str, SimCourse],
    by_service_key: Mapping[str, SimCourse],
    ltik_only: bool,
) -> tuple[SimCourse | None, Response]:
    """Resolve the course from an LTIAAS Authorization header, or build the 401."""

    def reject(reason: tuple[str, str]) -> tuple[None, Response]:
        message, description = reason
        body = error_body(401, {"message": message, "description": description})
        return None, Response(401, body)

    if not header:
        return reject(MISSING_HEADER)
    scheme, _, credentials = header.partition(" ")
    if scheme == LTIK_SCHEME:
        invalid, table = LTIK_INVALID, by_ltik
    elif scheme == SERVICE_SCHEME:
        if ltik_only:
            return reject(LTIK_INVALID)
        invalid, table = SERVICE_INVALID, by_service_key
    else:
        return reject(MISSING_HEADER)
    given_key, sep, secret = credentials.strip().partition(":")
    if not sep or not secret:
        return reject(invalid)
    if given_key != api_key:
        return reject(API_KEY_INVALID)
    course = table.get(secret)
    if course is None:
        return reject(invalid)
    return course, Response(200, b"")


def idtoken_body(course: SimCourse) -> bytes:
    person = course.launch_user
    user: dict[str, Any] = {"id": person.user_id, "roles": list(person.roles)}
    for name, value in (
        ("name", person.name),
        ("email", person.email),
        ("givenName", person.given_name),
        ("familyName", person.family_name),
    ):
        if value is not None:
            user[name] = value
    token = {
        "ltiVersion": "1.3.0",
        "user": user,
        "platform": {
            "id": course.platform_id,
            "url": course.platform_id,
            "clientId": course.client_id,
            "deploymentId": course.deployment_id,
            "name": course.platform_name,
            "productFamilyCode": course.product,
            "version": course.platform_version,
        },
        "launch": {
            "type": "LtiResourceLinkRequest",
            "target": f"{TOOL_URL}/launch",
            "context": {
                "id": course.context_id,
                "label": course.label,
                "title": course.title,
                "type": [COURSE_OFFERING],
            },
            "resourceLink": {
                "id": course.resource_link_id,
                "title": course.resource_link_title,
            },
            "presentation": {"documentTarget": "iframe", "locale": course.locale},
            "custom": {},
        },
        "services": {
            "deepLinking": {"available": False},
            "namesAndRoles": {"available": course.nrps_available},
            "assignmentAndGrades": {"available": True},
            "serviceKey": course.service_key,
        },
    }
    return json_bytes(token)


def too_many_requests(retry_after: float) -> Response:
    """LTIAAS's 429, with ``Retry-After`` in whole seconds (rounded up, as HTTP spells it)."""
    seconds = math.ceil(retry_after)
    body = error_body(
        429,
        {"message": "TOO_MANY_REQUESTS", "description": "Too many requests, slow down."},
    )
    return Response(429, body, (("Retry-After", str(seconds)),))


def rate_limited(fault: Fault) -> Response:
    return too_many_requests(fault.retry_after)


def server_error(fault: Fault) -> Response:
    if fault.external:
        details = {
            "message": "PLATFORM_REQUEST_FAILED",
            "description": "The LMS returned an error while handling the request.",
            "externalError": True,
        }
    else:
        details = {
            "message": "INTERNAL_SERVER_ERROR",
            "description": "Something went wrong.",
            "externalError": False,
        }
    return Response(fault.status, error_body(fault.status, details))


def bad_shape(path: str, body: bytes) -> bytes:
    """Valid JSON that breaks the documented shape."""
    if path == MEMBERSHIPS_PATH:
        try:
            original = json.loads(body)
        except ValueError:
            original = {}
        members = original.get("members", []) if isinstance(original, dict) else []
        return json_bytes({"id": None, "members": {"items": members}, "next": 42})
    return json_bytes(["ltiVersion", "1.3.0"])
