"""The LTIAAS client against mocked HTTP (respx): auth, paging, retries, errors."""

from __future__ import annotations

import json
import ssl
import threading
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
import respx

from rostergui.core import errors
from rostergui.core.limits import RetryPolicy
from rostergui.core.ltiaas import Credentials, LtiaasClient
from rostergui.core.origin import normalise_base_url

BASE = "https://tool.ltiaas.example"
LMS = "https://lms.example.edu/api/lti/courses/7/names_and_roles"
M = "http://purl.imsglobal.org/vocab/lis/v2/membership#"


def make_client(sleeps: list[float] | None = None, **kwargs: object) -> LtiaasClient:
    creds = kwargs.pop("credentials", Credentials("API-KEY-123", "SVC-KEY-456"))
    policy = kwargs.pop("retry", RetryPolicy(attempts=4, total_seconds=60, base_delay=0.5))
    recorder = sleeps.append if sleeps is not None else (lambda _s: None)
    return LtiaasClient(BASE, creds, retry=policy, sleep=recorder, **kwargs)  # type: ignore[arg-type]


def page(members: list[dict[str, object]], next_url: str | None = None) -> dict[str, object]:
    body: dict[str, object] = {
        "id": LMS,
        "context": {"id": "ctx-7", "label": "BIO", "title": "Biology"},
        "members": members,
    }
    if next_url:
        body["next"] = next_url
    return body


def member(uid: str, **extra: object) -> dict[str, object]:
    return {"userId": uid, "roles": [M + "Learner"], **extra}


def test_service_key_header_is_exact(respx_mock: respx.MockRouter) -> None:
    route = respx_mock.get(f"{BASE}/api/memberships").respond(json=page([member("1")]))
    with make_client() as client:
        client.fetch_page(limit=50)
    request = route.calls.last.request
    assert request.headers["Authorization"] == "SERVICE-AUTH-V1 API-KEY-123:SVC-KEY-456"
    assert dict(request.url.params) == {"limit": "50"}


def test_ltik_header_is_exact(respx_mock: respx.MockRouter) -> None:
    route = respx_mock.get(f"{BASE}/api/memberships").respond(json=page([]))
    with make_client(credentials=Credentials("K", "LTIK.abc", "ltik")) as client:
        client.fetch_page()
    assert route.calls.last.request.headers["Authorization"] == "LTIK-AUTH-V2 K:LTIK.abc"


def test_paging_sends_next_back_as_url_and_never_calls_the_lms(
    respx_mock: respx.MockRouter,
) -> None:
    second = LMS + "?page=2&per_page=2"
    third = LMS + "?page=3&per_page=2&note=a%26b"
    lms_route = respx_mock.get(url__startswith="https://lms.example.edu").respond(500)

    def answer(request: httpx.Request) -> httpx.Response:
        params = parse_qs(urlsplit(str(request.url)).query)
        target = params.get("url", [None])[0]
        if target is None:
            assert params["role"] == [M + "Learner"]
            return httpx.Response(200, json=page([member("1"), member("2")], second))
        assert set(params) == {"url"}  # nothing else goes with url=
        if target == second:
            # A short page (one member) is not the end: only a missing next is.
            return httpx.Response(200, json=page([member("3")], third))
        assert target == third
        return httpx.Response(200, json=page([member("4"), member("5")]))

    respx_mock.get(f"{BASE}/api/memberships").mock(side_effect=answer)
    with make_client() as client:
        pages = list(client.iter_pages(limit=2, role=M + "Learner"))
    assert [len(p.members) for p in pages] == [2, 1, 2]
    assert [m.user_id for p in pages for m in p.members] == ["1", "2", "3", "4", "5"]
    assert pages[-1].next_url is None
    assert not lms_route.called


def test_member_fields_in_both_spellings_and_defaults(respx_mock: respx.MockRouter) -> None:
    body = page(
        [
            {
                "userId": "a",
                "roles": ["Learner"],
                "givenName": "Zoë",
                "familyName": "Å",
                "name": "Zoë Å",
                "email": "z@x",
                "status": "Inactive",
            },
            {"user_id": 42, "roles": ["Instructor"], "given_name": "Jo", "family_name": "Li"},
            {"user_id": "b", "roles": [], "status": "active"},
        ]
    )
    respx_mock.get(f"{BASE}/api/memberships").respond(json=body)
    with make_client() as client:
        members = client.fetch_page().members
    assert members[0].given_name == "Zoë" and members[0].status == "Inactive"
    assert members[1].user_id == "42"  # numeric ids become strings
    assert (members[1].given_name, members[1].family_name) == ("Jo", "Li")
    assert members[1].status == "Active"  # missing status means Active
    assert members[2].status == "Active"


def test_401_is_an_auth_error_with_ltiaas_description(respx_mock: respx.MockRouter) -> None:
    respx_mock.get(f"{BASE}/api/memberships").respond(
        401,
        json={
            "status": 401,
            "error": "Unauthorized",
            "details": {"message": "INVALID_SERVICE_KEY", "description": "Invalid service key."},
        },
    )
    with make_client() as client, pytest.raises(errors.AuthError) as caught:
        client.fetch_page()
    assert "Invalid service key." in caught.value.message
    assert "API-KEY-123" not in caught.value.message
    assert "SVC-KEY-456" not in caught.value.message


def test_403_is_an_auth_error_and_not_retried(respx_mock: respx.MockRouter) -> None:
    route = respx_mock.get(f"{BASE}/api/memberships").respond(403, json={"error": "Forbidden"})
    with make_client() as client, pytest.raises(errors.AuthError):
        client.fetch_page()
    assert route.call_count == 1


def test_ltik_auth_error_mentions_expiry(respx_mock: respx.MockRouter) -> None:
    respx_mock.get(f"{BASE}/api/idtoken").respond(401, json={"status": 401})
    client = make_client(credentials=Credentials("K", "L", "ltik"))
    with client, pytest.raises(errors.AuthError, match="24 hours"):
        client.idtoken()


def test_missing_roster_service_is_recognised(respx_mock: respx.MockRouter) -> None:
    respx_mock.get(f"{BASE}/api/memberships").respond(
        400,
        json={
            "status": 400,
            "error": "Bad Request",
            "details": {"message": "MISSING_NAMES_AND_ROLES_SERVICE"},
        },
    )
    with make_client() as client, pytest.raises(errors.RosterServiceUnavailableError):
        client.fetch_page()


def test_429_honours_retry_after_then_succeeds(respx_mock: respx.MockRouter) -> None:
    route = respx_mock.get(f"{BASE}/api/memberships")
    route.side_effect = [
        httpx.Response(429, headers={"Retry-After": "3"}, json={"status": 429}),
        httpx.Response(200, json=page([member("1")])),
    ]
    sleeps: list[float] = []
    with make_client(sleeps) as client:
        assert client.fetch_page().members[0].user_id == "1"
    assert sleeps == [3.0]


def test_429_with_retry_after_beyond_budget_fails_fast(respx_mock: respx.MockRouter) -> None:
    respx_mock.get(f"{BASE}/api/memberships").respond(
        429, headers={"Retry-After": "3600"}, json={"status": 429}
    )
    sleeps: list[float] = []
    with make_client(sleeps) as client, pytest.raises(errors.RateLimitedError):
        client.fetch_page()
    assert sleeps == []


def test_transient_5xx_is_retried_with_bounded_jittered_backoff(
    respx_mock: respx.MockRouter,
) -> None:
    route = respx_mock.get(f"{BASE}/api/memberships")
    route.side_effect = [
        httpx.Response(502),
        httpx.Response(503),
        httpx.Response(200, json=page([member("9")])),
    ]
    sleeps: list[float] = []
    with make_client(sleeps) as client:
        assert client.fetch_page().members[0].user_id == "9"
    assert len(sleeps) == 2
    assert 0 <= sleeps[0] <= 0.5 and 0 <= sleeps[1] <= 1.0


def test_persistent_5xx_gives_up_after_the_attempt_limit(respx_mock: respx.MockRouter) -> None:
    route = respx_mock.get(f"{BASE}/api/memberships").respond(
        500,
        json={
            "status": 500,
            "error": "Internal Server Error",
            "details": {"externalError": True, "message": "LMS exploded"},
        },
    )
    with make_client([]) as client, pytest.raises(errors.UpstreamError) as caught:
        client.fetch_page()
    assert route.call_count == 4
    assert caught.value.message.startswith("The LMS behind LTIAAS failed (HTTP 500)")


def test_malformed_json_is_a_clear_error(respx_mock: respx.MockRouter) -> None:
    respx_mock.get(f"{BASE}/api/memberships").respond(200, content=b'{"members": [')
    with make_client() as client, pytest.raises(errors.MalformedResponseError, match="not valid"):
        client.fetch_page()


@pytest.mark.parametrize(
    "body",
    [
        [],
        {"members": "nope"},
        {"members": [{"roles": []}]},
        {"members": [{"userId": "1", "roles": "Learner"}]},
        {"members": [{"userId": True, "roles": []}]},
        {"members": ["x"]},
    ],
)
def test_wrong_shapes_are_rejected(respx_mock: respx.MockRouter, body: object) -> None:
    respx_mock.get(f"{BASE}/api/memberships").respond(200, content=json.dumps(body).encode())
    with make_client() as client, pytest.raises(errors.MalformedResponseError):
        client.fetch_page().members  # noqa: B018 - parsing is the point


def test_timeouts_are_retried_then_reported(respx_mock: respx.MockRouter) -> None:
    route = respx_mock.get(f"{BASE}/api/memberships").mock(side_effect=httpx.ReadTimeout("slow"))
    with make_client([]) as client, pytest.raises(errors.LtiaasTimeoutError):
        client.fetch_page()
    assert route.call_count == 4


def test_unreachable_host(respx_mock: respx.MockRouter) -> None:
    respx_mock.get(f"{BASE}/api/memberships").mock(side_effect=httpx.ConnectError("refused"))
    with make_client([]) as client, pytest.raises(errors.UnreachableError, match="Cannot reach"):
        client.fetch_page()


def test_a_repeated_next_link_stops_instead_of_looping(respx_mock: respx.MockRouter) -> None:
    respx_mock.get(f"{BASE}/api/memberships").respond(json=page([member("1")], LMS + "?p=2"))
    with (
        make_client() as client,
        pytest.raises(errors.MalformedResponseError, match="already sent"),
    ):
        list(client.iter_pages())


def test_cancel_interrupts_backoff(respx_mock: respx.MockRouter) -> None:
    respx_mock.get(f"{BASE}/api/memberships").respond(503)
    cancel = threading.Event()
    cancel.set()
    client = LtiaasClient(BASE, Credentials("a", "b"), cancel=cancel)
    with client, pytest.raises(errors.SyncCancelledError):
        client.fetch_page()


def test_idtoken_is_parsed(respx_mock: respx.MockRouter) -> None:
    respx_mock.get(f"{BASE}/api/idtoken").respond(
        json={
            "platform": {"id": "https://canvas.example", "name": "Canvas"},
            "launch": {
                "context": {"id": "c1", "title": "Bio", "label": "B"},
                "resourceLink": {"id": "rl1"},
            },
            "services": {"namesAndRoles": {"available": True}, "serviceKey": "svc"},
        }
    )
    with make_client(credentials=Credentials("K", "L", "ltik")) as client:
        info = client.idtoken()
    assert (info.platform_id, info.context_id, info.context_title) == (
        "https://canvas.example",
        "c1",
        "Bio",
    )
    assert info.roster_available and info.service_key == "svc"
    assert "svc" not in repr(info)


def test_credentials_repr_hides_secrets() -> None:
    assert "S3CRET" not in repr(Credentials("S3CRET", "S3CRET2"))


@pytest.mark.parametrize(
    ("url", "origin"),
    [
        ("https://Tool.LTIAAS.com/", "https://tool.ltiaas.com"),
        ("tool.ltiaas.com", "https://tool.ltiaas.com"),
        ("http://127.0.0.1:8765", "http://127.0.0.1:8765"),
        ("http://localhost:9000/x", "http://localhost:9000"),
        ("http://[::1]:80", "http://[::1]"),  # the default port is dropped: one spelling
    ],
)
def test_base_url_normalised(url: str, origin: str) -> None:
    assert normalise_base_url(url) == origin


@pytest.mark.parametrize("url", ["http://tool.ltiaas.com", "ftp://x", "https://u:p@h.com", "://"])
def test_base_url_rejected(url: str) -> None:
    with pytest.raises(errors.ConfigError):
        normalise_base_url(url)


def test_clients_share_one_tls_context() -> None:
    """Reading the CA bundle takes tens of milliseconds holding the interpreter lock; courses
    starting together must not each do it (the window would freeze that long each time)."""
    from rostergui.core import bounded_http

    contexts = []
    for _ in range(2):
        transport = bounded_http.transport(bounded_http.Deadline(threading.Event()))
        contexts.append(transport._pool._ssl_context)
    assert contexts[0] is contexts[1] is bounded_http.tls_context()
    assert contexts[0].verify_mode == ssl.CERT_REQUIRED and contexts[0].check_hostname
