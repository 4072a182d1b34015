"""The per-origin gate, alone and under the client (respx): places, shared back-off, a refused
API key told apart from a refused course key and refused without asking LTIAAS again."""

from __future__ import annotations

import threading
import time

import pytest
import respx

from rostergui.core import errors
from rostergui.core.limits import RetryPolicy
from rostergui.core.ltiaas import Credentials, LtiaasClient
from rostergui.core.ltiaas_errors import ApiKeyRefusedError
from rostergui.core.origin_gate import OriginGate, OriginGates, key_digest

BASE = "https://tool.ltiaas.example"
URL = f"{BASE}/api/memberships"
PAGE = {"id": "https://lms.example/m", "context": {"id": "c"}, "members": []}
API_KEY_REFUSED = {
    "status": 401,
    "error": "Unauthorized",
    "details": {"message": "INVALID_API_KEY", "description": "Invalid API key"},
}
SERVICE_KEY_REFUSED = {
    "status": 401,
    "error": "Unauthorized",
    "details": {
        "message": "INVALID_SERVICE_KEY_AUTH_AUTHORIZATION_HEADER",
        "description": "Invalid service key.",
    },
}


def client(gate: OriginGate, api_key: str = "KEY", secret: str = "SVC") -> LtiaasClient:
    return LtiaasClient(
        BASE,
        Credentials(api_key, secret),
        retry=RetryPolicy(attempts=3, total_seconds=10, base_delay=0.01, max_delay=0.02),
        sleep=lambda _s: None,  # the client's own waits; the gate's are real
        gate=gate,
    )


def test_an_invalid_api_key_is_told_apart_from_an_invalid_service_key(
    respx_mock: respx.MockRouter,
) -> None:
    gate = OriginGate(BASE)
    respx_mock.get(URL).respond(401, json=SERVICE_KEY_REFUSED)
    with client(gate) as one, pytest.raises(errors.AuthError) as refused:
        one.fetch_page()
    assert not isinstance(refused.value, ApiKeyRefusedError)
    assert gate.refusal() is None
    respx_mock.get(URL).respond(401, json=API_KEY_REFUSED)
    with client(gate) as one, pytest.raises(ApiKeyRefusedError) as refused:
        one.fetch_page()
    assert "LTIAAS refused the API key" in refused.value.message
    assert gate.refusal() == refused.value.message


def test_a_refused_api_key_is_refused_at_once_for_every_course_but_a_new_key_is_tried(
    respx_mock: respx.MockRouter,
) -> None:
    gate = OriginGates().gate(BASE)
    route = respx_mock.get(URL).respond(401, json=API_KEY_REFUSED)
    with client(gate, secret="A") as one, pytest.raises(ApiKeyRefusedError):
        one.fetch_page()
    assert route.call_count == 1
    with client(gate, secret="B") as other, pytest.raises(ApiKeyRefusedError) as again:
        other.fetch_page()
    assert route.call_count == 1  # LTIAAS was not asked again
    assert "API key" in again.value.message
    route.respond(json=PAGE)
    with client(gate, api_key="NEW-KEY") as fixed:
        fixed.fetch_page()
    assert route.call_count == 2


def test_a_429_pauses_every_request_to_the_origin(respx_mock: respx.MockRouter) -> None:
    gates = OriginGates()
    gate, elsewhere = gates.gate(BASE), gates.gate("https://other.example")
    respx_mock.get(URL).mock(
        side_effect=[
            respx.MockResponse(429, headers={"Retry-After": "1"}),
            respx.MockResponse(200, json=PAGE),
            respx.MockResponse(200, json=PAGE),
        ]
    )
    started = time.monotonic()
    with client(gate) as one:
        one.fetch_page()
    assert time.monotonic() - started >= 0.9  # its own wait was skipped; the gate's was not
    assert elsewhere.paused_for() == 0


def test_one_5xx_is_the_courses_own_but_a_second_in_a_row_pauses_the_origin() -> None:
    gate = OriginGate(BASE)
    failure = errors.UpstreamError("LTIAAS failed (HTTP 503)", status=503)
    gate.failed(failure, 5.0)
    assert gate.paused_for() == 0
    gate.answered()
    gate.failed(failure, 5.0)
    assert gate.paused_for() == 0  # a success in between: not repeated
    gate.failed(failure, 5.0)
    assert 4 < gate.paused_for() <= 5
    gate.failed(errors.RateLimitedError("busy", status=429), 3600)
    assert gate.paused_for() <= 90  # no answer pauses the origin for long


def test_places_are_shared_and_a_waiting_request_can_be_cancelled() -> None:
    gate = OriginGate(BASE, per_origin=1)
    key = key_digest("KEY")
    gate.enter(key, threading.Event(), time.monotonic() + 5)
    cancel = threading.Event()
    outcome: list[BaseException | None] = []

    def wait() -> None:
        try:
            gate.enter(key, cancel, time.monotonic() + 5)
            outcome.append(None)
        except errors.RosterSyncError as exc:
            outcome.append(exc)

    waiter = threading.Thread(target=wait)
    waiter.start()
    time.sleep(0.3)
    assert outcome == []  # still waiting for the place
    cancel.set()
    waiter.join(1)
    assert isinstance(outcome[0], errors.SyncCancelledError)
    gate.leave()
    gate.enter(key, threading.Event(), time.monotonic() + 5)
    assert gate.peak == 1
    with pytest.raises(errors.RateLimitedError):
        gate.enter(key, threading.Event(), time.monotonic() + 0.3)  # full until the deadline
