"""The simulator as a slow and busy LTIAAS origin, over real HTTP: latency on every page, a
limit on the requests it takes at once (429 with Retry-After beyond it), and LMSes that cap
the page size or honour large ones."""

from __future__ import annotations

import dataclasses
import re
import sys
import threading
import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from rostergui.cli.parser import build_parser
from rostergui.core.service import RosterService
from rostergui.simulator import DEFAULT_API_KEY, Fault, Simulator, sample_courses
from rostergui.simulator.cli import main as simulator_main
from rostergui.simulator.samples import mooc_course
from tests.conftest import add_sim_course, simulator_process


def service_auth(sim: Simulator, slug: str) -> dict[str, str]:
    return {"Authorization": f"SERVICE-AUTH-V1 {DEFAULT_API_KEY}:{sim.course(slug).service_key}"}


def members_of(base_url: str, headers: dict[str, str], **params: Any) -> httpx.Response:
    with httpx.Client(base_url=base_url, timeout=10) as client:
        return client.get("/api/memberships", params=params, headers=headers)


def in_background(call: Any, count: int) -> tuple[list[threading.Thread], list[Any]]:
    """Start ``count`` threads each running ``call``; their results land in the list."""
    results: list[Any] = []
    threads = [threading.Thread(target=lambda: results.append(call())) for _ in range(count)]
    for thread in threads:
        thread.start()
    return threads, results


def wait_for(condition: Any, timeout: float = 5.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.005)


@pytest.fixture
def busy_sim() -> Iterator[Simulator]:
    """Two requests at once at most, each taking half a second."""
    with Simulator(latency=0.5, max_in_flight=2, busy_retry_after=3) as sim:
        yield sim


def test_requests_beyond_the_limit_get_429_with_retry_after(busy_sim: Simulator) -> None:
    sim = busy_sim
    headers = service_auth(sim, "canvas-bio")
    threads, results = in_background(lambda: members_of(sim.base_url, headers), 2)
    wait_for(lambda: sim.in_flight.in_flight == 2)
    started = time.perf_counter()
    refused = members_of(sim.base_url, headers)
    assert time.perf_counter() - started < 0.4  # answered at once, not after the latency
    assert refused.status_code == 429
    assert refused.headers["retry-after"] == "3"
    assert refused.json() == {
        "status": 429,
        "error": "Too Many Requests",
        "details": {
            "message": "TOO_MANY_REQUESTS",
            "description": "Too many requests, slow down.",
        },
    }
    for thread in threads:
        thread.join()
    assert [r.status_code for r in results] == [200, 200]
    assert members_of(sim.base_url, headers).status_code == 200  # room again
    counts = sim.in_flight
    assert (counts.in_flight, counts.peak, counts.refused) == (0, 2, 1)
    assert sorted(r.status for r in sim.requests) == [200, 200, 200, 429]
    sim.reset_log()
    assert (sim.in_flight.peak, sim.in_flight.refused) == (0, 0)


def test_no_limit_unless_asked() -> None:
    with Simulator(latency=0.5) as sim:
        headers = service_auth(sim, "moodle-chem")
        threads, results = in_background(lambda: members_of(sim.base_url, headers), 6)
        for thread in threads:
            thread.join()
        assert [r.status_code for r in results] == [200] * 6
        assert sim.in_flight.peak == 6
        assert sim.in_flight.refused == 0


def test_a_client_keeping_to_the_limit_is_never_refused() -> None:
    """A slot is free as soon as its answer starts to go out, so a client whose next request
    arrives before the server thread has finished writing is not refused."""
    with Simulator(latency=0.002, max_in_flight=3) as sim:
        headers = service_auth(sim, "canvas-bio")

        def many() -> list[int]:
            with httpx.Client(base_url=sim.base_url, timeout=10) as client:
                return [
                    client.get("/api/memberships", headers=headers).status_code
                    for _ in range(40)
                ]

        threads, results = in_background(many, 3)
        for thread in threads:
            thread.join()
        assert [code for codes in results for code in codes] == [200] * 120
        assert sim.in_flight.refused == 0
        assert sim.in_flight.peak <= 3


def test_the_limit_and_latency_change_while_it_runs(sim: Simulator) -> None:
    headers = service_auth(sim, "canvas-bio")
    sim.max_in_flight = 1
    sim.inject(Fault("slow", course="moodle-chem", delay=0.5))
    threads, _ = in_background(
        lambda: members_of(sim.base_url, service_auth(sim, "moodle-chem")), 1
    )
    wait_for(lambda: sim.in_flight.in_flight == 1)
    assert members_of(sim.base_url, headers).status_code == 429
    for thread in threads:
        thread.join()
    sim.max_in_flight = None
    sim.latency = 0.2
    started = time.perf_counter()
    assert members_of(sim.base_url, headers).status_code == 200
    assert time.perf_counter() - started >= 0.2


def test_dropped_connections_and_other_paths_leave_no_slot_taken() -> None:
    with Simulator(max_in_flight=1) as sim:
        headers = service_auth(sim, "canvas-bio")
        sim.inject(Fault("disconnect", times=2))
        for _ in range(2):
            with pytest.raises(httpx.TransportError):
                members_of(sim.base_url, headers)
        assert sim.in_flight.in_flight == 0
        with httpx.Client(base_url=sim.base_url, timeout=10) as client:
            assert client.get("/elsewhere").status_code == 404
            assert client.get("/api/nothing").status_code == 404
        assert members_of(sim.base_url, headers).status_code == 200
        assert sim.in_flight.refused == 0


def test_a_sync_rides_out_a_busy_origin(
    sim: Simulator, service: RosterService
) -> None:
    """RosterSync's client waits the Retry-After of a 429 and carries on."""
    name = add_sim_course(service, sim, "canvas-bio")
    sim.max_in_flight, sim.busy_retry_after = 1, 1
    sim.inject(Fault("slow", course="moodle-chem", delay=0.6))
    sim.reset_log()
    threads, _ = in_background(
        lambda: members_of(sim.base_url, service_auth(sim, "moodle-chem")), 1
    )
    wait_for(lambda: sim.in_flight.in_flight == 1)
    result = service.sync(name)
    for thread in threads:
        thread.join()
    assert result.ok, result.error
    assert result.added == len(sim.course("canvas-bio").roster)
    statuses = [r.status for r in sim.requests if r.course == "canvas-bio" or r.status == 429]
    assert statuses[0] == 429
    assert sim.in_flight.refused >= 1


@pytest.mark.parametrize(
    "options",
    [{"max_in_flight": 0}, {"busy_retry_after": -1}, {"latency": -0.1}],
)
def test_simulator_options_are_checked(options: dict[str, Any]) -> None:
    with pytest.raises(ValueError):
        Simulator(courses=[], **options)


# --------------------------------------------------------------- page-size caps


def test_an_lms_may_honour_large_pages_or_cap_them() -> None:
    honours = dataclasses.replace(
        mooc_course(count=2_500, slug="honours"), max_limit=10_000
    )
    canvas = next(c for c in sample_courses(7) if c.slug == "canvas-bio")
    with Simulator(courses=[honours, canvas]) as sim:
        headers = service_auth(sim, "honours")
        sizes = []
        response = members_of(sim.base_url, headers, limit=2_000)
        while True:
            assert response.status_code == 200, response.text
            page = response.json()
            sizes.append(len(page["members"]))
            if "next" not in page:
                break
            response = members_of(sim.base_url, headers, url=page["next"])
        assert sizes == [2_000, 500]
        canvas_page = members_of(sim.base_url, service_auth(sim, "canvas-bio"), limit=1000)
        assert len(canvas_page.json()["members"]) == 50  # Canvas caps at 50
        assert "per_page=50" in canvas_page.json()["next"]


# ------------------------------------------------------------------ the commands


def test_simulator_commands_take_the_options() -> None:
    parser = build_parser()
    args = parser.parse_args(
        ["simulator", "--latency-ms", "100", "--max-in-flight", "4", "--retry-after", "2"]
    )
    assert (args.latency_ms, args.max_in_flight, args.retry_after) == (100.0, 4, 2)
    args = parser.parse_args(["simulator"])
    assert (args.latency_ms, args.max_in_flight, args.retry_after) == (0.0, None, 1)


@pytest.mark.parametrize(
    "argv",
    [
        ["--max-in-flight", "0"],
        ["--max-in-flight", "two"],
        ["--retry-after", "-1"],
        ["--retry-after", "0.5"],
        ["--latency-ms", "-5"],
        ["--latency-ms", "nan"],
    ],
)
def test_simulator_commands_refuse_bad_options(
    argv: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    for parse in (lambda: build_parser().parse_args(["simulator", *argv]),
                  lambda: simulator_main(argv)):
        with pytest.raises(SystemExit) as caught:
            parse()
        assert caught.value.code == 2
    assert "argument" in capsys.readouterr().err


@pytest.mark.parametrize(
    "command",
    [
        [sys.executable, "-m", "rostergui", "simulator"],
        [sys.executable, "-m", "rostergui.simulator"],
    ],
    ids=["rostergui simulator", "python -m rostergui.simulator"],
)
def test_a_running_simulator_limits_requests(command: list[str]) -> None:
    options = ["--port", "0", "--latency-ms", "400", "--max-in-flight", "1", "--retry-after", "5"]
    with simulator_process([*command, *options]) as (proc, text):
        assert "Latency  : 0.4 s" in text
        assert "Limit    : 1 requests at once, then 429 with Retry-After: 5" in text
        found = re.search(r"Base URL : (\S+)", text)
        assert found is not None
        base_url = found.group(1)
        threads, results = in_background(lambda: members_of(base_url, {}), 1)
        time.sleep(0.15)  # the first request is in flight (and will be a 401 after 0.4 s)
        refused = members_of(base_url, {})
        for thread in threads:
            thread.join()
        assert refused.status_code == 429
        assert refused.headers["retry-after"] == "5"
        assert results[0].status_code == 401
        proc.terminate()
        assert proc.wait(timeout=10) == 0
