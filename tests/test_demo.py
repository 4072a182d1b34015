"""The built-in demo, headless: the samples synced and listed, and a kept demo folder reused."""

from __future__ import annotations

import io
from pathlib import Path

import pytest

from rostergui.cli import run
from rostergui.demo import REVOKED_NAME, SYNC_AT_START, start_demo
from rostergui.demo_catalogue import CATALOGUE_SIZE, catalogue_courses, course_name


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


def test_the_catalogue_is_small_courses_sharing_people_across_three_lmses() -> None:
    courses = catalogue_courses(count=CATALOGUE_SIZE)
    assert len(courses) == CATALOGUE_SIZE
    assert len({course_name(c) for c in courses}) == CATALOGUE_SIZE
    assert len({c.service_key for c in courses}) == CATALOGUE_SIZE
    assert len({c.platform_id for c in courses}) == 3
    sizes = sorted(len(c.roster) for c in courses)
    assert sizes[len(sizes) // 2] <= 40  # most are small
    # The same person (platform and user id) is in several courses.
    seen: dict[tuple[str, str], int] = {}
    for course in courses[:300]:
        for user_id in course.roster.user_ids():
            key = (course.platform_id, user_id)
            seen[key] = seen.get(key, 0) + 1
    assert max(seen.values()) >= 3
    # The same for the same seed: a kept demo folder finds its courses again.
    assert [course_name(c) for c in catalogue_courses(count=50)] == [
        course_name(c) for c in courses[:50]
    ]


def test_a_catalogue_demo_imports_its_courses_and_the_headless_one_syncs_them(
    tmp_path: Path,
) -> None:
    folder = tmp_path / "demo"
    demo = start_demo(folder, sync_at_start=False, catalogue=40)
    try:
        names = {c.name for c in demo.service.courses()}
        assert set(demo.catalogue) <= names
        assert len(names) == 40 + len(SYNC_AT_START) + 5  # the samples and the catalogue
        assert len(demo.catalogue) < 40  # a few are left never synced
        assert demo.notes == []
        assert not set(demo.catalogue) & set(demo.samples_to_sync())
        results = demo.sync_catalogue()
        assert len(results) == len(demo.catalogue)
        # One in NO_ROSTER_EVERY has its roster service off, for the list's "failed" group.
        failed = [r for r in results if not r.ok]
        assert [r.error_kind for r in failed] == ["no_roster_service"]
        course = demo.service.course(demo.catalogue[0])
        assert course.title and course.context_id  # learned from the first sync
        assert len(demo.service.people_index()) > 100
    finally:
        demo.close()
    # Kept: the next start moves the catalogue to the new simulator instead of adding it again.
    again = start_demo(folder, sync_at_start=False, catalogue=40)
    try:
        assert {c.base_url for c in again.service.courses()} == {again.simulator.base_url}
        assert again.service.sync(again.catalogue[1]).ok
    finally:
        again.close()


def test_demo_catalogue_on_the_command_line_reaches_the_window_session(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``rostergui demo --catalogue``: the window's session syncs the catalogue once listed,
    and says so on the message bar."""
    from rostergui import demo_catalogue
    from rostergui.cli.parser import build_parser
    from rostergui.ui.app import open_demo

    args = build_parser().parse_args(["--data-dir", str(tmp_path / "d"), "demo", "--catalogue"])
    assert args.catalogue and not args.headless
    monkeypatch.setattr(demo_catalogue, "CATALOGUE_SIZE", 12)
    session = open_demo(args, tmp_path / "d")
    try:
        assert len(session.sync_when_listed) == 12 - 1  # one is left never synced
        assert any("11 courses of the demo's catalogue" in note for note in session.notes)
        names = {c.name for c in session.service.courses()}
        assert set(session.sync_when_listed) <= names
    finally:
        session.close()
    assert not build_parser().parse_args(["demo"]).catalogue
