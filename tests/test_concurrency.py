"""Two RosterSync processes on one database (a team sharing SQLite on one machine, or a
shared PostgreSQL): different courses sync side by side; the same course never double-counts
(see tests/test_multi_worker.py for rounds split between several processes)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from sqlalchemy import create_engine, func, select

from rostergui.core.store.schema import memberships, people, sync_changes
from rostergui.simulator import DEFAULT_API_KEY, Simulator


def _env(tmp_path: Path, db_url: str) -> dict[str, str]:
    return {
        **os.environ,
        "ROSTERGUI_DATA_DIR": str(tmp_path / "data"),
        "ROSTERGUI_DB_URL": db_url,
        "PYTHON_KEYRING_BACKEND": "keyrings.alt.file.PlaintextKeyring",
        "XDG_DATA_HOME": str(tmp_path / "xdg"),
    }


def _run(env: dict[str, str], *argv: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "rostergui", *argv],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


def _start(env: dict[str, str], *argv: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "rostergui", *argv],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def _add(env: dict[str, str], sim: Simulator, slug: str, name: str) -> None:
    added = _run(
        {
            **env,
            "ROSTERGUI_API_KEY": DEFAULT_API_KEY,
            "ROSTERGUI_SERVICE_KEY": sim.course(slug).service_key,
        },
        "contexts",
        "add",
        "--name",
        name,
        "--base-url",
        sim.base_url,
    )
    assert added.returncode == 0, added.stderr


def test_two_processes_sync_different_and_same_courses(
    tmp_path: Path, sim: Simulator, db_url: str
) -> None:
    env = _env(tmp_path, db_url)
    _add(env, sim, "canvas-large", "Large")
    _add(env, sim, "canvas-bio", "Bio")
    sim.latency = 0.005  # long enough for the two walks to overlap

    # Different courses at the same time: both succeed.
    first, second = _start(env, "sync", "Large", "--json"), _start(env, "sync", "Bio", "--json")
    outputs = [p.communicate(timeout=300) for p in (first, second)]
    assert [p.returncode for p in (first, second)] == [0, 0], [o[1] for o in outputs]
    large, bio = (json.loads(out)[0] for out, _err in outputs)
    assert large["added"] == len(sim.course("canvas-large").roster)
    assert bio["added"] == len(sim.course("canvas-bio").roster)

    # The same course twice at the same time, after its roster changed.
    dropped = sim.drop("canvas-large", count=30)
    enrolled = sim.enroll("canvas-large", count=40)
    racers = [_start(env, "sync", "Large", "--json") for _ in range(2)]
    results = []
    for process in racers:
        out, err = process.communicate(timeout=300)
        assert process.returncode == 0, err
        results.append(json.loads(out)[0])
    assert sorted(r["added"] for r in results) == [0, 40]
    assert sorted(r["deactivated"] for r in results) == [0, 30]
    # The second either found the course's lease held (busy: not a failure, no history row)
    # or came after the first had finished (an unchanged re-sync).
    assert sorted(r["outcome"] for r in results) in (["busy", "ok"], ["ok", "ok"])

    engine = create_engine(db_url)
    with engine.connect() as conn:
        total = conn.execute(select(func.count()).select_from(memberships)).scalar()
        assert total == large["added"] + bio["added"] + len(enrolled)
        distinct_people = conn.execute(select(func.count()).select_from(people)).scalar()
        assert distinct_people == total  # no person stored twice
        changes = conn.execute(
            select(sync_changes.c.change, func.count()).group_by(sync_changes.c.change)
        ).all()
    engine.dispose()
    counts = dict(changes)
    assert counts["deactivated"] == len(dropped)
    assert counts["added"] == total
