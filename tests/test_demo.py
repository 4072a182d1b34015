"""The built-in demo, headless: the samples synced and listed, and a kept demo folder reused."""

from __future__ import annotations

import io
from pathlib import Path

from rostergui.cli import run
from rostergui.demo import REVOKED_NAME, SYNC_AT_START, start_demo


def headless_demo(data_dir: Path) -> tuple[int, list[str], str]:
    out, err = io.StringIO(), io.StringIO()
    code = run(["--data-dir", str(data_dir), "demo", "--headless"], out=out, err=err)
    return code, out.getvalue().splitlines(), err.getvalue()


def listing(lines: list[str]) -> dict[str, str]:
    """The closing table: each course's line by course name."""
    table = lines[lines.index("") + 1 :]
    return {line[:30].rstrip(): line[30:] for line in table}


def test_the_headless_demo_syncs_the_samples_and_lists_them(tmp_path: Path) -> None:
    code, lines, _ = headless_demo(tmp_path / "demo")
    assert code == 0
    assert lines[0].startswith("Simulator at http://127.0.0.1:")
    courses = listing(lines)
    assert courses["Biology 101"].split()[0] == "ok"
    assert courses[REVOKED_NAME].split()[0] == "failed"
    assert courses["Python for Everyone (100k)"].split()[0] == "never"
    synced = [line.split(":")[0] for line in lines[1 : lines.index("")] if "members on" in line]
    assert "World History" in synced and not set(synced) & set(SYNC_AT_START)
    assert not any("\\x0a" in line for line in lines)


def test_a_kept_demo_folder_points_at_the_new_simulator(tmp_path: Path) -> None:
    """On the second run the simulator has another port and the private keyring is empty:
    the courses are moved to it with their keys stored again, through the service."""
    folder = tmp_path / "demo"
    assert headless_demo(folder)[0] == 0
    demo = start_demo(folder, sync_at_start=False)
    try:
        courses = {c.name: c for c in demo.service.courses()}
        assert {c.base_url for c in courses.values()} == {demo.simulator.base_url}
        assert demo.notes == []
        assert demo.service.sync("Biology 101").ok
        assert not demo.service.sync(REVOKED_NAME).ok
        assert demo.samples_to_sync() == [
            name for name in courses if name not in SYNC_AT_START and "100k" not in name
        ]
    finally:
        demo.close()
    assert folder.exists()  # a given folder is kept
