"""``rostergui sync --jobs N`` and ``--stale-after`` over real HTTP against the simulator: the
JSON list in the order asked, exit statuses as for one course at a time, a line per course."""

from __future__ import annotations

import io
import json
import os
import signal
import threading
from collections.abc import Iterator
from datetime import timedelta

import pytest

from rostergui.arguments import stale_after
from rostergui.cli import run
from rostergui.core.limits import MAX_JOBS
from rostergui.core.sync_round import checked_jobs
from rostergui.simulator import Simulator
from tests.conftest import Cli
from tests.test_sync_round import courses


@pytest.fixture
def four() -> Iterator[Simulator]:
    with Simulator(courses=courses("c", 4, 300), latency=0.02) as sim:
        yield sim


def test_jobs_keep_the_asked_order_and_exit_0(cli: Cli, four: Simulator) -> None:
    for i in range(4):
        cli.add(four, f"c{i}", f"Course {i}")
    four.reset_log()
    asked = ["Course 2", "Course 0", "Course 3", "Course 1"]
    code, out, err = cli("sync", *asked, "--jobs", "3", "--page-size", "100", "--json")
    assert code == 0, err
    results = json.loads(out)
    assert [r["name"] for r in results] == asked
    assert all(r["ok"] and r["outcome"] == "ok" and r["added"] == 300 for r in results)
    assert 2 <= four.in_flight.peak <= 3  # at once, never more than --jobs
    for name in asked:  # progress on stderr, each line naming its course
        assert f"{name}: " in err


def test_text_output_and_exit_status_of_a_failed_and_a_held_course(
    cli: Cli, four: Simulator
) -> None:
    for i in range(4):
        cli.add(four, f"c{i}", f"Course {i}")
    assert cli("sync", "--all", "--jobs", "4")[0] == 0
    four.drop("c1", count=200)
    code, out, _err = cli("sync", "--all", "--jobs", "4")
    assert code == 3  # held, nothing failed
    assert "Course 1: held" in out
    code, out, _err = cli("sync", "Course 0", "Nowhere", "Course 2", "--jobs", "2")
    assert code == 1
    assert "Nowhere: failed" in out and "Course 2: 300 members" in out


def test_a_refused_api_key_is_one_message(cli: Cli, four: Simulator) -> None:
    for i in range(4):
        cli.add(four, f"c{i}", f"Course {i}")
    four.api_key = "revoked"
    four.reset_log()
    code, out, _err = cli("sync", "--all", "--jobs", "1")
    assert code == 1
    lines = out.splitlines()
    assert lines[0].startswith("Course 0: failed — LTIAAS refused the API key")
    assert lines[1].startswith("Not synced (3): Course 1, Course 2, Course 3 — LTIAAS refused")
    assert len(lines) == 2
    assert len(four.requests) == 1


def test_stale_after_skips_recent_courses(cli: Cli, four: Simulator) -> None:
    cli.add(four, "c0", "Course 0")
    cli.add(four, "c1", "Course 1")
    assert cli("sync", "Course 0")[0] == 0
    code, out, err = cli("sync", "--all", "--stale-after", "6h", "--json")
    assert code == 0, err
    results = {r["name"]: r for r in json.loads(out)}
    assert results["Course 0"]["outcome"] == "skipped" and results["Course 0"]["skipped"]
    assert results["Course 1"]["outcome"] == "ok"
    code, out, _err = cli("sync", "--all", "--stale-after", "30m")
    assert code == 0
    assert "Course 0: skipped — " in out and "Course 1: skipped — " in out


@pytest.mark.parametrize(
    ("option", "value", "says"),
    [
        ("--jobs", "0", "must be from 1 to 12"),
        ("--jobs", "13", "must be from 1 to 12"),
        ("--jobs", "four", "not a whole number"),
        ("--stale-after", "6x", "use a whole number and a unit, e.g. 30m, 6h or 2d"),
        ("--stale-after", "0h", "must be from 1s to 366d"),
        ("--stale-after", "-3d", "not a duration"),
    ],
)
def test_bad_jobs_and_durations_are_usage_errors(
    bare_cli: Cli, option: str, value: str, says: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as exit_:
        bare_cli("sync", "--all", f"{option}={value}")
    assert exit_.value.code == 2
    assert says in capsys.readouterr().err


def test_ctrl_c_cancels_every_course(
    cli: Cli, capsys: pytest.CaptureFixture[str], db_backend: str
) -> None:
    if db_backend != "sqlite":
        pytest.skip("the signal handling is the same on every database")
    with Simulator(courses=courses("c", 4, 2000), latency=0.03) as sim:
        for i in range(4):
            cli.add(sim, f"c{i}", f"Course {i}")
        sim.reset_log()
        timer = threading.Timer(0.5, os.kill, (os.getpid(), signal.SIGINT))
        timer.start()
        try:
            code, out, _err = cli("sync", "--all", "--jobs", "2", "--page-size", "100", "--json")
        finally:
            timer.cancel()
    assert code == 1
    results = json.loads(out)
    assert [r["outcome"] for r in results] == ["cancelled"] * 4
    assert results[3]["error"] == "Cancelled before it started; nothing was changed"
    assert "Cancelling…" in capsys.readouterr().err
    code, out, _err = cli("members", "Course 0", "--json")
    assert code == 0 and json.loads(out) == []


@pytest.mark.parametrize(
    ("text", "seconds"),
    [("45s", 45), ("30m", 1800), ("6h", 21_600), ("2d", 172_800), (" 2D ", 172_800)],
)
def test_durations(text: str, seconds: int) -> None:
    assert stale_after(text) == timedelta(seconds=seconds)


def test_jobs_bounds_in_the_core() -> None:
    assert checked_jobs(1) == 1 and checked_jobs(MAX_JOBS) == MAX_JOBS
    for bad in (0, MAX_JOBS + 1):
        with pytest.raises(ValueError, match="jobs must be from 1 to"):
            checked_jobs(bad)
    with pytest.raises(TypeError):
        checked_jobs(True)


class _ClosedOut(io.StringIO):
    """A stdout whose reader went away (``rostergui sync --all | head -0``)."""

    def write(self, _text: str) -> int:
        raise BrokenPipeError


def test_a_closed_stdout_lets_every_course_finish(cli: Cli, four: Simulator) -> None:
    for i in range(4):
        cli.add(four, f"c{i}", f"Course {i}")
    err = io.StringIO()
    code = run(
        ["--data-dir", str(cli.data_dir), "sync", "--all", "--jobs", "2"], out=_ClosedOut(), err=err
    )
    assert code == 1
    assert "unexpected" not in err.getvalue() and "Traceback" not in err.getvalue()
    code, out, _err = cli("contexts", "list", "--json")
    assert [c["last_status"] for c in json.loads(out)] == ["ok"] * 4
