"""The bounds a roster walk keeps that the hostile-input tests do not reach on their own: the
member count of one roster, a course id too long for its column, and a response body read in
pieces (one chunk can never hold more than the limit allows)."""

from __future__ import annotations

import httpx
import pytest
import respx

from rostergui.core import errors
from rostergui.core.limits import Limits, RetryPolicy
from rostergui.core.ltiaas import Credentials, LtiaasClient
from rostergui.core.nrps import MAX_CONTEXT_ID_LENGTH, parse_page

BASE = "https://tool.ltiaas.example"
LMS = "https://lms.example.edu/api/lti/courses/7/names_and_roles"
NO_RETRY = RetryPolicy(attempts=1, total_seconds=1, base_delay=0, max_delay=0)


def client(**limits: int) -> LtiaasClient:
    return LtiaasClient(
        BASE,
        Credentials("API-KEY-limits-0001", "SERVICE-KEY-limits-0002"),
        retry=NO_RETRY,
        limits=Limits(**limits),
    )


def test_a_roster_past_its_member_bound_is_refused(respx_mock: respx.MockRouter) -> None:
    counter = iter(range(10**6))

    def pages(request: httpx.Request) -> httpx.Response:
        number = next(counter)
        members = [{"userId": f"{number}-{i}", "roles": []} for i in range(40)]
        return httpx.Response(200, json={"members": members, "next": f"{LMS}?p={number + 1}"})

    respx_mock.get(f"{BASE}/api/memberships").mock(side_effect=pages)
    walked: list[int] = []
    with client(members=100) as c, pytest.raises(errors.LimitExceededError, match="100 members"):
        walked.extend(len(p.raw_members) for p in c.iter_pages())
    assert walked == [40, 40]  # the third page (120 in all) was not handed on


def test_a_course_id_too_long_for_its_column_is_refused() -> None:
    body = {"context": {"id": "c" * (MAX_CONTEXT_ID_LENGTH + 1)}, "members": []}
    with pytest.raises(errors.MalformedResponseError, match="course id longer"):
        parse_page(body, "page 1")
    fits = {"context": {"id": "c" * MAX_CONTEXT_ID_LENGTH}, "members": []}
    assert parse_page(fits, "page 1").context_id == "c" * MAX_CONTEXT_ID_LENGTH


def test_a_body_announced_larger_than_the_limit_is_refused_before_reading(
    respx_mock: respx.MockRouter,
) -> None:
    respx_mock.get(f"{BASE}/api/memberships").respond(
        200, content=b"{}", headers={"Content-Length": str(10**9)}
    )
    with client(page_bytes=1024) as c, pytest.raises(errors.LimitExceededError):
        c.fetch_page()
