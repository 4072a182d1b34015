"""The LTIAAS simulator over real HTTP: auth, paging, quirks, faults and roster changes."""

from __future__ import annotations

import http.client
import itertools
import json
import re
import sys
import time
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest

from rostergui.simulator import DEFAULT_API_KEY, Fault, SimCourse, Simulator, sample_courses
from rostergui.simulator.members import member_to_json
from tests.conftest import simulator_process

LEARNER = "http://purl.imsglobal.org/vocab/lis/v2/membership#Learner"
INSTRUCTOR = "http://purl.imsglobal.org/vocab/lis/v2/membership#Instructor"
JSON_TYPE = "application/json; charset=utf-8"
ROSTER_SLUGS = ["canvas-bio", "moodle-chem", "bb-history", "edx-data", "canvas-large"]


@pytest.fixture
def sim() -> Iterator[Simulator]:
    with Simulator() as simulator:
        yield simulator


@pytest.fixture
def client(sim: Simulator) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=sim.base_url, timeout=10) as c:
        yield c


def service_auth(sim: Simulator, slug: str) -> dict[str, str]:
    return {"Authorization": f"SERVICE-AUTH-V1 {DEFAULT_API_KEY}:{sim.course(slug).service_key}"}


def ltik_auth(sim: Simulator, slug: str) -> dict[str, str]:
    return {"Authorization": f"LTIK-AUTH-V2 {DEFAULT_API_KEY}:{sim.course(slug).ltik}"}


def get_members(client: httpx.Client, sim: Simulator, slug: str, **params: Any) -> httpx.Response:
    return client.get("/api/memberships", params=params, headers=service_auth(sim, slug))


def follow(client: httpx.Client, sim: Simulator, slug: str, url: str) -> httpx.Response:
    return get_members(client, sim, slug, url=url)


def walk(client: httpx.Client, sim: Simulator, slug: str, **params: Any) -> list[dict[str, Any]]:
    """Every page of a roster walk, following ``next`` until it is absent."""
    pages = []
    response = get_members(client, sim, slug, **params)
    while True:
        assert response.status_code == 200, response.text
        page = response.json()
        pages.append(page)
        if "next" not in page:
            return pages
        response = follow(client, sim, slug, page["next"])


def uid(member: dict[str, Any]) -> str:
    return str(member.get("userId", member.get("user_id")))


def walk_ids(pages: list[dict[str, Any]]) -> list[str]:
    return [uid(m) for page in pages for m in page["members"]]


def roster_ids(sim: Simulator, slug: str) -> set[str]:
    return set(sim.course(slug).roster.user_ids())


# ------------------------------------------------------------------ auth


def test_missing_header_is_401(sim: Simulator, client: httpx.Client) -> None:
    response = client.get("/api/memberships")
    assert response.status_code == 401
    assert response.headers["content-type"] == JSON_TYPE
    body = response.json()
    assert body["status"] == 401
    assert body["error"] == "Unauthorized"
    assert body["details"]["message"] == "MISSING_AUTHORIZATION_HEADER"


@pytest.mark.parametrize("header", ["Bearer abc", "Basic dXNlcjpwYXNz", "service-auth-v1 x:y"])
def test_unknown_scheme_is_401(client: httpx.Client, header: str) -> None:
    response = client.get("/api/memberships", headers={"Authorization": header})
    assert response.status_code == 401
    assert response.json()["details"]["message"] == "MISSING_AUTHORIZATION_HEADER"


def test_unknown_ltik_body_matches_ltiaas(client: httpx.Client) -> None:
    header = {"Authorization": f"LTIK-AUTH-V2 {DEFAULT_API_KEY}:not-a-ltik"}
    response = client.get("/api/memberships", headers=header)
    assert response.status_code == 401
    assert response.json() == {
        "status": 401,
        "error": "Unauthorized",
        "details": {
            "message": "INVALID_LTIK_AUTH_AUTHORIZATION_HEADER",
            "description": "Invalid or expired ltik.",
        },
    }


def test_unknown_service_key_body_matches_ltiaas(client: httpx.Client) -> None:
    header = {"Authorization": f"SERVICE-AUTH-V1 {DEFAULT_API_KEY}:svc-nope"}
    response = client.get("/api/memberships", headers=header)
    assert response.status_code == 401
    assert response.json() == {
        "status": 401,
        "error": "Unauthorized",
        "details": {
            "message": "INVALID_SERVICE_KEY_AUTH_AUTHORIZATION_HEADER",
            "description": "Invalid service key.",
        },
    }


@pytest.mark.parametrize("scheme", ["SERVICE-AUTH-V1", "LTIK-AUTH-V2"])
def test_wrong_api_key(sim: Simulator, client: httpx.Client, scheme: str) -> None:
    course = sim.course("canvas-bio")
    secret = course.service_key if scheme == "SERVICE-AUTH-V1" else course.ltik
    header = {"Authorization": f"{scheme} wrong-api-key:{secret}"}
    response = client.get("/api/memberships", headers=header)
    assert response.status_code == 401
    details = response.json()["details"]
    assert details == {"message": "INVALID_API_KEY", "description": "Invalid API key"}


def test_credentials_without_colon(sim: Simulator, client: httpx.Client) -> None:
    header = {"Authorization": f"SERVICE-AUTH-V1 {sim.course('canvas-bio').service_key}"}
    response = client.get("/api/memberships", headers=header)
    assert response.status_code == 401
    assert response.json()["details"]["message"] == "INVALID_SERVICE_KEY_AUTH_AUTHORIZATION_HEADER"


def test_idtoken_rejects_service_key(sim: Simulator, client: httpx.Client) -> None:
    response = client.get("/api/idtoken", headers=service_auth(sim, "canvas-bio"))
    assert response.status_code == 401
    assert response.json()["details"] == {
        "message": "INVALID_LTIK_AUTH_AUTHORIZATION_HEADER",
        "description": "Invalid or expired ltik.",
    }


def test_idtoken_with_ltik(sim: Simulator, client: httpx.Client) -> None:
    course = sim.course("canvas-bio")
    response = client.get("/api/idtoken", headers=ltik_auth(sim, "canvas-bio"))
    assert response.status_code == 200
    assert response.headers["content-type"] == JSON_TYPE
    token = response.json()
    assert token["ltiVersion"] == "1.3.0"
    assert INSTRUCTOR in token["user"]["roles"]
    assert token["user"]["name"] == "Ada Whitfield"
    assert token["platform"]["id"] == course.platform_id
    assert token["platform"]["productFamilyCode"] == "canvas"
    launch = token["launch"]
    assert launch["type"] == "LtiResourceLinkRequest"
    assert launch["context"]["id"] == course.context_id
    assert launch["context"]["title"] == "Introduction to Biology"
    assert launch["resourceLink"]["id"] == course.resource_link_id
    assert token["services"]["namesAndRoles"] == {"available": True}
    assert token["services"]["serviceKey"] == course.service_key


def test_idtoken_of_course_without_roster_service(sim: Simulator, client: httpx.Client) -> None:
    token = client.get("/api/idtoken", headers=ltik_auth(sim, "no-roster")).json()
    assert token["services"]["namesAndRoles"] == {"available": False}
    assert token["platform"]["productFamilyCode"] == "schoology"


def test_ltik_also_works_for_memberships(sim: Simulator, client: httpx.Client) -> None:
    response = client.get("/api/memberships", headers=ltik_auth(sim, "moodle-chem"))
    assert response.status_code == 200
    assert response.json()["context"]["title"] == "Chimie générale"


def test_unknown_routes_are_404(sim: Simulator, client: httpx.Client) -> None:
    for response in (
        client.get("/api/lineitems", headers=service_auth(sim, "canvas-bio")),
        client.get("/"),
        client.post("/api/memberships", headers=service_auth(sim, "canvas-bio"), json={}),
    ):
        assert response.status_code == 404
        assert response.headers["content-type"] == JSON_TYPE
        assert response.json() == {"status": 404, "error": "Not Found"}


# ---------------------------------------------------------------- paging


@pytest.mark.parametrize("slug", ROSTER_SLUGS)
def test_walk_covers_whole_roster(sim: Simulator, client: httpx.Client, slug: str) -> None:
    pages = walk(client, sim, slug)
    ids = walk_ids(pages)
    assert set(ids) == roster_ids(sim, slug)
    assert len(set(ids)) == len(sim.course(slug).roster)
    assert all("next" in page for page in pages[:-1])
    assert "next" not in pages[-1]
    context = sim.course(slug)
    for page in pages:
        assert page["context"] == {
            "id": context.context_id,
            "label": context.label,
            "title": context.title,
        }
        assert page["id"].startswith(context.lms_origin)
        if "next" in page:
            assert page["next"].startswith(context.lms_origin + "/")


def test_walk_of_100k_course_takes_1000_pages(sim: Simulator, client: httpx.Client) -> None:
    pages = walk(client, sim, "mooc-100k", limit=100)
    assert len(pages) == 1000
    ids = walk_ids(pages)
    assert len(ids) == len(set(ids)) == 100_000
    assert ids[0] == "u000001"
    assert ids[-1] == "u100000"
    assert sum(1 for m in pages[500]["members"] if "email" not in m) < 20


def test_default_limit_and_capping(sim: Simulator, client: httpx.Client) -> None:
    def page_size(**params: Any) -> int:
        return len(get_members(client, sim, "canvas-bio", **params).json()["members"])

    assert page_size() == 10
    assert page_size(limit=5) == 5
    assert page_size(limit=50) == 50
    assert page_size(limit=1000) == 50
    assert len(get_members(client, sim, "moodle-chem", limit=500).json()["members"]) == 100


@pytest.mark.parametrize("limit", ["0", "-3", "many"])
def test_invalid_limit(sim: Simulator, client: httpx.Client, limit: str) -> None:
    response = get_members(client, sim, "canvas-bio", limit=limit)
    assert response.status_code == 400


def test_capped_limit_carries_through_next(sim: Simulator, client: httpx.Client) -> None:
    pages = walk(client, sim, "canvas-bio", limit=1000)
    assert [len(p["members"]) for p in pages] == [50, 50, 20]


def test_ignores_limit(sim: Simulator, client: httpx.Client) -> None:
    for limit in (5, 100):
        body = get_members(client, sim, "edx-data", limit=limit).json()
        assert len(body["members"]) == 37


def test_duplicates_across_pages(sim: Simulator, client: httpx.Client) -> None:
    pages = walk(client, sim, "edx-data")
    assert len(pages) > 2
    for previous, page in itertools.pairwise(pages):
        assert page["members"][0] == previous["members"][-1]
    ids = walk_ids(pages)
    assert len(ids) == 200 + len(pages) - 1
    assert set(ids) == roster_ids(sim, "edx-data")


def test_next_urls_differ_per_lms(sim: Simulator, client: httpx.Client) -> None:
    queries = {}
    for slug in ("canvas-bio", "moodle-chem", "bb-history", "edx-data", "mooc-100k"):
        next_url = get_members(client, sim, slug).json()["next"]
        queries[slug] = set(re.findall(r"[?&]([a-z_]+)=", next_url))
    assert {"page", "per_page"} <= queries["canvas-bio"]
    assert {"from", "limit"} <= queries["moodle-chem"]
    assert {"offset", "limit"} <= queries["bb-history"]
    assert queries["edx-data"] == {"cursor"}
    assert {"skip", "take"} <= queries["mooc-100k"]


def test_role_filter_survives_paging(sim: Simulator, client: httpx.Client) -> None:
    expected = {
        m.user_id
        for m in sim.course("canvas-bio").roster.members()
        if not isinstance(m, dict) and LEARNER in m.roles
    }
    for role in ("Learner", "learner", LEARNER):
        pages = walk(client, sim, "canvas-bio", role=role, limit=7)
        assert len(pages) > 3
        assert all("role=" in p["next"] for p in pages[:-1])
        ids = walk_ids(pages)
        assert set(ids) == expected
        assert len(ids) == len(expected)


def test_role_filter_matches_sub_roles_exactly(sim: Simulator, client: httpx.Client) -> None:
    ta = "http://purl.imsglobal.org/vocab/lis/v2/membership/Instructor#TeachingAssistant"
    members = [m for p in walk(client, sim, "canvas-bio", role=ta) for m in p["members"]]
    assert {m["name"] for m in members} == {"Marcus Chen", "Tomás Herrera"}
    instructors = walk_ids(walk(client, sim, "canvas-bio", role="Instructor"))
    assert len(instructors) == 4


def test_url_overrides_other_parameters(sim: Simulator, client: httpx.Client) -> None:
    first = get_members(client, sim, "canvas-bio", limit=5).json()
    second = get_members(
        client, sim, "canvas-bio", url=first["next"], limit=50, role="Instructor"
    ).json()
    assert len(second["members"]) == 5
    assert any(LEARNER in m["roles"] for m in second["members"])


@pytest.mark.parametrize(
    "url",
    [
        "https://evil.example/api/lti/courses/4201/names_and_roles?page=2&per_page=10&v=1",
        "https://moodle.sim.example/mod/lti/services.php/CourseSection/318/bindings/7/memberships?from=20&limit=20",
        "https://bio.canvas.sim.example/api/lti/courses/9999/names_and_roles?page=2&per_page=10",
        "https://bio.canvas.sim.example/api/lti/courses/4201/names_and_roles?page=x&per_page=10",
        "/api/lti/courses/4201/names_and_roles?page=2&per_page=10",
        "not a url",
    ],
)
def test_foreign_or_broken_url_is_400(sim: Simulator, client: httpx.Client, url: str) -> None:
    response = get_members(client, sim, "canvas-bio", url=url)
    assert response.status_code == 400
    assert response.json() == {
        "status": 400,
        "error": "Bad Request",
        "details": {"message": "INVALID_URL"},
    }


def test_course_without_roster_service(sim: Simulator, client: httpx.Client) -> None:
    response = get_members(client, sim, "no-roster")
    assert response.status_code == 400
    assert response.headers["content-type"] == JSON_TYPE
    assert response.json() == {
        "status": 400,
        "error": "Bad Request",
        "details": {
            "message": "MISSING_NAMES_AND_ROLES_SERVICE",
            "description": (
                "The Names and Roles Provisioning Service is not available in this context."
            ),
        },
    }


# ----------------------------------------------------------- field shapes


def test_camel_fields(sim: Simulator, client: httpx.Client) -> None:
    members = [m for p in walk(client, sim, "canvas-bio") for m in p["members"]]
    allowed = {"userId", "roles", "status", "name", "givenName", "familyName", "email", "picture"}
    for member in members:
        assert set(member) <= allowed
        assert {"userId", "roles", "status"} <= set(member)
        assert None not in member.values()
        assert isinstance(member["userId"], str)
    by_name = {m["name"]: m for m in members}
    assert "email" not in by_name["Test Student"]
    assert (
        "http://purl.imsglobal.org/vocab/lti/system/person#TestUser"
        in (by_name["Test Student"]["roles"])
    )
    for hostile in (
        '=HYPERLINK("http://x","click")',
        "+1 Student",
        "-Dash Name",
        "@Mention",
        "O'Brien, Pat",
        'Robert "Bobby" Tables',
        "Grace\nHopper",
        "Zoë Ångström",
        "王小明",
        "محمد الأحمد",
    ):
        assert hostile in by_name
    assert "familyName" not in by_name["@Mention"]
    assert sum(1 for m in members if m["status"] == "Inactive") == 4
    assert sum(1 for m in members if "email" not in m) >= 5


def test_snake_fields_and_numeric_ids(sim: Simulator, client: httpx.Client) -> None:
    members = [m for p in walk(client, sim, "moodle-chem", limit=100) for m in p["members"]]
    assert len(members) == 300
    for member in members:
        assert isinstance(member["user_id"], int)
        assert not {"userId", "givenName", "familyName"} & set(member)
        assert {"given_name", "family_name", "email", "status"} <= set(member)
        assert member["status"] == "Active"
    roles = {r for m in members for r in m["roles"]}
    assert {"urn:lti:role:ims/lis/Instructor", "Instructor", "Learner"} <= roles
    assert "urn:lti:role:ims/lis/TeachingAssistant" in roles
    assert any("lis_person_sourcedid" in m for m in members)


def test_blackboard_sends_no_status(sim: Simulator, client: httpx.Client) -> None:
    members = [m for p in walk(client, sim, "bb-history") for m in p["members"]]
    assert all("status" not in m for m in members)
    roles = [m["roles"] for m in members]
    assert ["http://purl.imsglobal.org/vocab/lis/v2/system/person#Administrator"] in roles
    assert ["http://example.edu/roles#Custodian"] in roles


def test_edx_members_without_personal_data(sim: Simulator, client: httpx.Client) -> None:
    members = [m for p in walk(client, sim, "edx-data") for m in p["members"]]
    bare = [m for m in members if "name" not in m]
    assert bare
    assert all(set(m) == {"userId", "roles", "status"} for m in bare)


def test_generated_json_matches_member_rendering() -> None:
    for course in sample_courses(3):
        source = course.roster.source
        if not source.count:
            continue
        for index in (0, 1, 14, 15, 999, source.count - 1):
            for snake in (False, True):
                for send_status in (False, True):
                    flags = {"snake": snake, "numeric_ids": False, "send_status": send_status}
                    fast = json.loads(source.member_json(index, **flags))
                    assert fast == member_to_json(source.member(index), **flags)


def test_samples_are_deterministic() -> None:
    first = {c.slug: (c.service_key, c.ltik) for c in sample_courses(7)}
    again = {c.slug: (c.service_key, c.ltik) for c in sample_courses(7)}
    other = {c.slug: (c.service_key, c.ltik) for c in sample_courses(8)}
    assert first == again
    assert first["canvas-bio"] != other["canvas-bio"]
    assert first["canvas-bio"][0].startswith("svc-canvas-bio-")
    assert len({c.lms_origin for c in sample_courses(7)}) == 7
    sizes = {c.slug: len(c.roster) for c in sample_courses(7)}
    assert sizes["canvas-bio"] == 120
    assert sizes["mooc-100k"] == 100_000
    assert sizes["canvas-large"] == 5000


# ---------------------------------------------------------------- faults


def test_rate_limit_fault(sim: Simulator, client: httpx.Client) -> None:
    sim.inject(Fault("rate_limit", retry_after=1.5))
    response = get_members(client, sim, "canvas-bio")
    assert response.status_code == 429
    assert response.headers["retry-after"] == "2"
    assert response.json()["status"] == 429
    assert get_members(client, sim, "canvas-bio").status_code == 200
    sim.inject(Fault("rate_limit", retry_after=0))
    assert get_members(client, sim, "canvas-bio").headers["retry-after"] == "0"


def test_fault_times_honoured(sim: Simulator, client: httpx.Client) -> None:
    sim.inject(Fault("server_error", times=2))
    codes = [get_members(client, sim, "canvas-bio").status_code for _ in range(3)]
    assert codes == [503, 503, 200]


def test_persistent_fault_until_cleared(sim: Simulator, client: httpx.Client) -> None:
    sim.inject(Fault("server_error", status=502, times=None))
    assert [get_members(client, sim, "bb-history").status_code for _ in range(4)] == [502] * 4
    sim.clear_faults()
    assert get_members(client, sim, "bb-history").status_code == 200


def test_server_error_bodies(sim: Simulator, client: httpx.Client) -> None:
    sim.inject(Fault("server_error"))
    body = get_members(client, sim, "canvas-bio").json()
    assert body["status"] == 503
    assert body["details"]["externalError"] is True
    sim.inject(Fault("server_error", status=500, external=False))
    response = get_members(client, sim, "canvas-bio")
    assert response.status_code == 500
    assert response.json()["details"]["externalError"] is False


def test_fault_targets_course(sim: Simulator, client: httpx.Client) -> None:
    sim.inject(Fault("server_error", course="moodle-chem"))
    assert get_members(client, sim, "canvas-bio").status_code == 200
    assert get_members(client, sim, "moodle-chem").status_code == 503


def test_fault_targets_page(sim: Simulator, client: httpx.Client) -> None:
    sim.inject(Fault("rate_limit", course="canvas-bio", page=3, retry_after=0))
    first = get_members(client, sim, "canvas-bio")
    second = follow(client, sim, "canvas-bio", first.json()["next"])
    assert second.status_code == 200
    third_url = second.json()["next"]
    assert follow(client, sim, "canvas-bio", third_url).status_code == 429
    retry = follow(client, sim, "canvas-bio", third_url)
    assert retry.status_code == 200
    assert [r.page for r in sim.requests] == [1, 2, 3, 3]


def test_page_fault_on_edx_overlapping_pages(sim: Simulator, client: httpx.Client) -> None:
    sim.inject(Fault("server_error", course="edx-data", page=2))
    first = get_members(client, sim, "edx-data").json()
    assert follow(client, sim, "edx-data", first["next"]).status_code == 503


def test_malformed_json_fault(sim: Simulator, client: httpx.Client) -> None:
    sim.inject(Fault("malformed_json"))
    response = get_members(client, sim, "canvas-bio")
    assert response.status_code == 200
    assert response.headers["content-type"] == JSON_TYPE
    with pytest.raises(json.JSONDecodeError):
        json.loads(response.text)
    assert get_members(client, sim, "canvas-bio").json()["members"]


def test_bad_shape_fault(sim: Simulator, client: httpx.Client) -> None:
    sim.inject(Fault("bad_shape"))
    body = get_members(client, sim, "canvas-bio").json()
    assert not isinstance(body.get("members"), list)
    sim.inject(Fault("bad_shape"))
    token = client.get("/api/idtoken", headers=ltik_auth(sim, "canvas-bio")).json()
    assert not isinstance(token, dict)


def test_slow_fault(sim: Simulator, client: httpx.Client) -> None:
    sim.inject(Fault("slow", delay=0.3))
    started = time.perf_counter()
    assert get_members(client, sim, "canvas-bio").status_code == 200
    assert time.perf_counter() - started >= 0.3


def test_disconnect_fault(sim: Simulator, client: httpx.Client) -> None:
    sim.inject(Fault("disconnect"))
    with pytest.raises(httpx.TransportError):
        get_members(client, sim, "canvas-bio")
    assert get_members(client, sim, "canvas-bio").status_code == 200
    assert sim.requests[0].status == 0


def test_faults_hit_idtoken_but_not_other_routes(sim: Simulator, client: httpx.Client) -> None:
    sim.inject(Fault("server_error"))
    assert client.get("/api/lineitems", headers=ltik_auth(sim, "canvas-bio")).status_code == 404
    assert client.get("/api/idtoken", headers=ltik_auth(sim, "canvas-bio")).status_code == 503


def test_fault_validation() -> None:
    with pytest.raises(ValueError):
        Fault("explode")  # type: ignore[arg-type]
    with pytest.raises(ValueError):
        Fault("rate_limit", times=0)
    with pytest.raises(ValueError):
        Fault("rate_limit", page=0)


# -------------------------------------------------------- roster changes


def test_changes_visible_in_next_walk_not_in_walk_in_progress(
    sim: Simulator, client: httpx.Client
) -> None:
    before = roster_ids(sim, "canvas-bio")
    first = get_members(client, sim, "canvas-bio", limit=10).json()
    later_id = sim.course("canvas-bio").roster.user_ids()[55]
    dropped = sim.drop("canvas-bio", [later_id])
    dropped += sim.drop("canvas-bio", count=3)
    added = sim.enroll("canvas-bio", count=4)
    assert dropped[0] == later_id
    assert len(dropped) == 4
    assert len(added) == 4
    pages = [first]
    while "next" in pages[-1]:
        pages.append(follow(client, sim, "canvas-bio", pages[-1]["next"]).json())
    assert set(walk_ids(pages)) == before
    after = set(walk_ids(walk(client, sim, "canvas-bio", limit=10)))
    assert after == (before - set(dropped)) | set(added)
    assert after == roster_ids(sim, "canvas-bio")


def test_enrolled_members_look_like_the_course(sim: Simulator, client: httpx.Client) -> None:
    (new_id,) = sim.enroll("moodle-chem", role="Instructor")
    members = [m for p in walk(client, sim, "moodle-chem", limit=100) for m in p["members"]]
    newcomer = next(m for m in members if str(m["user_id"]) == new_id)
    assert isinstance(newcomer["user_id"], int)
    assert newcomer["roles"] == [INSTRUCTOR]
    big = sim.enroll("mooc-100k", count=2)
    assert big == ["u100001", "u100002"]


def test_drop_unknown_member(sim: Simulator) -> None:
    with pytest.raises(KeyError):
        sim.drop("canvas-bio", ["nobody"])
    with pytest.raises(KeyError):
        sim.course("nope")


def test_set_member_status(sim: Simulator, client: httpx.Client) -> None:
    target = sim.course("mooc-100k").roster.user_ids()[20]
    sim.set_member_status("mooc-100k", target, "Inactive")
    page = get_members(client, sim, "mooc-100k").json()
    assert page["members"][20]["userId"] == target
    assert page["members"][20]["status"] == "Inactive"
    sim.set_member_status("mooc-100k", target, "Active")
    assert get_members(client, sim, "mooc-100k").json()["members"][20]["status"] == "Active"
    with pytest.raises(ValueError):
        sim.set_member_status("mooc-100k", target, "Suspended")


def test_drop_from_100k_course(sim: Simulator, client: httpx.Client) -> None:
    removed = sim.drop("mooc-100k", ["u000050"], count=2)
    assert removed[0] == "u000050"
    assert len(sim.course("mooc-100k").roster) == 99_997
    ids = walk_ids([get_members(client, sim, "mooc-100k").json()])
    assert "u000050" not in ids
    assert ids[48:50] == ["u000049", "u000051"]


def test_replace_roster_is_served_verbatim(sim: Simulator, client: httpx.Client) -> None:
    members: list[dict[str, Any]] = [
        {"user_id": "a1", "roles": ["Learner"], "name": "Ann"},
        {"user_id": "b2", "roles": [INSTRUCTOR], "status": "Inactive", "custom": {"x": 1}},
    ]
    sim.replace_roster("canvas-bio", members)
    pages = walk(client, sim, "canvas-bio", limit=1)
    assert [p["members"][0] for p in pages] == members
    sim.set_member_status("canvas-bio", "a1", "Inactive")
    assert get_members(client, sim, "canvas-bio").json()["members"][0]["status"] == "Inactive"
    assert walk_ids(walk(client, sim, "canvas-bio", role="Learner")) == ["a1"]


def test_churn_is_seeded_and_changes_fresh_walks() -> None:
    def churned_rosters() -> list[set[str]]:
        with Simulator(churn=True) as sim, httpx.Client(base_url=sim.base_url) as client:
            seen = []
            for _ in range(6):
                seen.append(set(walk_ids(walk(client, sim, "bb-history", limit=100))))
            return seen

    first = churned_rosters()
    assert first == churned_rosters()
    assert len({frozenset(s) for s in first}) > 1


def test_churn_does_not_disturb_walk_in_progress() -> None:
    with Simulator(churn=True) as sim, httpx.Client(base_url=sim.base_url) as client:
        first = get_members(client, sim, "bb-history", limit=10).json()
        expected = roster_ids(sim, "bb-history")
        for _ in range(5):
            get_members(client, sim, "bb-history")
        pages = [first]
        while "next" in pages[-1]:
            pages.append(follow(client, sim, "bb-history", pages[-1]["next"]).json())
        assert set(walk_ids(pages)) == expected


# ------------------------------------------------- latency, log, server


def test_latency(sim: Simulator, client: httpx.Client) -> None:
    sim.latency = 0.2
    started = time.perf_counter()
    assert client.get("/api/memberships").status_code == 401
    assert time.perf_counter() - started >= 0.2
    sim.latency = 0.0
    started = time.perf_counter()
    get_members(client, sim, "canvas-bio")
    assert time.perf_counter() - started < 0.2


def test_request_log(sim: Simulator, client: httpx.Client) -> None:
    get_members(client, sim, "canvas-bio", limit=5, role="Learner")
    client.get("/api/idtoken", headers=ltik_auth(sim, "moodle-chem"))
    client.get("/api/memberships", headers={"Authorization": "Bearer x"})
    client.get("/api/memberships")
    log = sim.requests
    assert [r.status for r in log] == [200, 200, 401, 401]
    assert [r.auth_scheme for r in log] == ["SERVICE-AUTH-V1", "LTIK-AUTH-V2", "Bearer", None]
    assert log[0].method == "GET"
    assert log[0].path.startswith("/api/memberships?")
    assert log[0].query == {"limit": "5", "role": "Learner"}
    assert log[0].course == "canvas-bio"
    assert log[1].course == "moodle-chem"
    assert log[2].course is None
    sim.reset_log()
    assert sim.requests == []


def test_keep_alive_on_one_connection(sim: Simulator) -> None:
    address = urlsplit(sim.base_url)
    assert address.hostname is not None
    conn = http.client.HTTPConnection(address.hostname, address.port, timeout=5)
    try:
        for _ in range(3):
            conn.request("GET", "/api/memberships", headers=service_auth(sim, "canvas-bio"))
            response = conn.getresponse()
            assert response.status == 200
            assert json.loads(response.read())["members"]
            assert response.getheader("Connection") != "close"
    finally:
        conn.close()


def test_lifecycle() -> None:
    sim = Simulator(courses=[c for c in sample_courses(7) if c.slug == "canvas-bio"])
    with pytest.raises(RuntimeError):
        _ = sim.base_url
    sim.start()
    try:
        assert re.fullmatch(r"http://127\.0\.0\.1:\d+", sim.base_url)
        assert list(sim.courses) == ["canvas-bio"]
        assert isinstance(sim.course("canvas-bio"), SimCourse)
        with pytest.raises(RuntimeError):
            sim.start()
    finally:
        sim.stop()
    sim.stop()
    assert not sim.running


def test_serve_prints_credentials_and_stops_on_sigterm() -> None:
    code = "from rostergui.simulator import serve; raise SystemExit(serve())"
    argv = [sys.executable, "-c", code]
    with simulator_process(argv, what="serve()") as (proc, text):
        base_url = re.search(r"Base URL : (\S+)", text)
        assert base_url is not None
        assert DEFAULT_API_KEY in text
        for course in sample_courses(7):
            assert course.service_key in text
            assert course.ltik in text
        assert httpx.get(base_url.group(1) + "/api/memberships").status_code == 401
        proc.terminate()
        assert proc.wait(timeout=10) == 0
        assert proc.stdout is not None
        assert "stopped" in proc.stdout.read()


def test_internal_error_is_500_json(sim: Simulator, client: httpx.Client) -> None:
    broken: dict[str, Any] = {"user_id": "x", "roles": [], "oops": object()}
    sim.replace_roster("canvas-bio", [broken])
    response = get_members(client, sim, "canvas-bio")
    assert response.status_code == 500
    assert response.json() == {"status": 500, "error": "Internal Server Error"}
    assert sim.requests[-1].status == 500
